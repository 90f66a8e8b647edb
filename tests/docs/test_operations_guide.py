"""Counts docs/operations.md gives that the code decides."""

from __future__ import annotations

import re
from pathlib import Path

from bassin_common.registry import all_subscriptions, installed_services

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_the_number_of_consumer_queues_is_the_number_of_subscriptions() -> None:
    found = re.search(
        r"one per event handler of each service \((\d+) today over the (\w+)\s+services", GUIDE.read_text()
    )
    assert found, "docs/operations.md no longer says how many consumer queues there are"
    words = {"four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
    assert int(found[1]) == len(all_subscriptions())
    assert words[found[2]] == len(installed_services())
