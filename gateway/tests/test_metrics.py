"""The gateway's Prometheus metrics: each HTTP request timed by route pattern and status."""

from __future__ import annotations

import re


def test_metrics_count_requests_by_route_pattern_and_status(stand_in_app) -> None:
    client = stand_in_app()[0].test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/nowhere-at-all").status_code == 404

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    assert "# TYPE bassin_http_request_duration_seconds histogram" in text
    counts = dict(re.findall(r"^bassin_http_request_duration_seconds_count(\{.*\}) (\d+)$", text, re.M))
    assert int(counts['{method="GET",route="/healthz",status="200"}']) >= 1
    assert int(counts['{method="GET",route="unmatched",status="404"}']) >= 1
    assert not any("nowhere-at-all" in labels for labels in counts), "paths never become series"
