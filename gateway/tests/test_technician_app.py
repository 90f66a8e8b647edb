"""The technician's phone as the gateway serves it (issue #27, ADR 0027): an installable
web app (its manifest), and a service worker served from the root (so that its scope can be
``/technicien``) whose version is the hash of the shell it caches — a change to any file of
the shell is a new worker. What the phone does offline is tested in Chromium
(tests/ui/journeys_technician.py)."""

from __future__ import annotations

import json
import re

from bassin_gateway import ui


def worker(client) -> tuple[str, str, list[str]]:
    answer = client.get("/technicien-sw.js")
    assert answer.status_code == 200 and answer.mimetype == "text/javascript"
    assert answer.headers["Cache-Control"] == "no-cache"  # the browser checks for a new version each visit
    script = answer.get_data(as_text=True)
    version = re.search(r'const VERSION = "([0-9a-f]{16})";', script)
    shell = re.search(r"const SHELL = (\[.*?\]);", script)
    assert version and shell, script[:400]
    return script, version.group(1), json.loads(shell.group(1))


def test_the_service_worker_caches_a_shell_that_the_gateway_serves(stand_in_app) -> None:
    client = stand_in_app()[0].test_client()
    _, _, shell = worker(client)
    assert shell == list(ui.TECHNICIAN_SHELL)
    assert "/technicien" in shell and "/ui/screens/technician.js" in shell
    for path in shell:
        assert client.get(path).status_code == 200, path


def test_a_change_to_a_file_of_the_shell_is_a_new_worker(stand_in_app, tmp_path, monkeypatch) -> None:
    client = stand_in_app()[0].test_client()
    _, before, _ = worker(client)
    assert worker(client)[1] == before  # the same files: the same worker, byte for byte
    copy = tmp_path / "ui"
    copy.mkdir()
    (copy / "technician").mkdir()
    (copy / "technician" / "sw.js").write_bytes(ui.SERVICE_WORKER.read_bytes())
    for path in ui.TECHNICIAN_SHELL:
        target = copy / "index.html" if path == "/technicien" else copy / path.removeprefix("/ui/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(ui._shell_file(path).read_bytes())
    monkeypatch.setattr(ui, "ROOT", copy)
    monkeypatch.setattr(ui, "INDEX", copy / "index.html")
    monkeypatch.setattr(ui, "SERVICE_WORKER", copy / "technician" / "sw.js")
    assert worker(client)[1] == before
    (copy / "screens" / "technician.js").write_text("// a new version\n")
    assert worker(client)[1] != before


def test_the_manifest_makes_the_day_installable(stand_in_app) -> None:
    client = stand_in_app()[0].test_client()
    answer = client.get("/ui/technician/manifest.webmanifest")
    assert answer.status_code == 200 and answer.mimetype == "application/manifest+json"
    manifest = json.loads(answer.get_data())
    assert (manifest["start_url"], manifest["scope"]) == ("/technicien", "/technicien")
    assert manifest["display"] == "standalone"
    assert manifest["lang"] == "fr" and manifest["name"]
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200, icon
    assert any(icon["sizes"] == "any" or icon["sizes"] == "512x512" for icon in manifest["icons"])


def test_the_phone_s_page_is_a_screen_of_the_interface(stand_in_app) -> None:
    client = stand_in_app()[0].test_client()
    assert "/technicien" in ui.PAGES
    assert client.get("/technicien").status_code == 200
    app_js = client.get("/ui/app.js", headers={"Accept-Encoding": "identity"}).get_data(as_text=True)
    assert '"/technicien"' in app_js and "./screens/technician.js" in app_js
