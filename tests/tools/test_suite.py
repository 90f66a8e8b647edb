"""The whole suite's split into processes side by side: every test file belongs to
exactly one group, so none is skipped or run twice by the split."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bassin_dev.suite import OWN_SYSTEM_FLOWS, deal, file_durations, groups

REPO = Path(__file__).resolve().parents[2]


def test_every_test_file_is_in_exactly_one_group() -> None:
    testpaths = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"]
    every = {path for root in testpaths for path in (REPO / root).rglob("test_*.py") if ".venv" not in path.parts}

    def files(paths: list[str]) -> list[Path]:
        found = []
        for name in paths:
            path = REPO / name
            found.extend([path] if path.is_file() else path.rglob("test_*.py"))
        return found

    split = [file for group in groups(REPO) for file in files(group.paths)]
    assert sorted(split) == sorted(every)  # each once, none left out
    assert all(group.marker == "not disruptive" for group in groups(REPO))


def test_at_most_two_groups_hold_a_whole_system() -> None:
    """PostgreSQL's 100 connections take two systems at once, not three: the end-to-end
    files are in two groups, the own-system flows first in one of them."""
    with_e2e = [group for group in groups(REPO) if any(path.startswith("tests/e2e") for path in group.paths)]
    assert len(with_e2e) == 2
    assert any(group.paths[: len(OWN_SYSTEM_FLOWS)] == OWN_SYSTEM_FLOWS for group in with_e2e)


def test_the_heaviest_files_are_dealt_to_the_group_with_the_least_work() -> None:
    seconds = {"a": 300.0, "b": 200.0, "c": 120.0, "d": 100.0, "head": 250.0}
    assert deal(["a", "b", "c", "d"], seconds, [["head"], []]) == [["head", "b"], ["a", "c", "d"]]  # 450 s and 520 s


def test_durations_are_read_per_file_from_pytest_s_report() -> None:
    report = (
        "============================= slowest durations ==============================\n"
        "12.50s call     tests/e2e/test_x.py::test_one\n"
        "2.00s setup    tests/e2e/test_x.py::test_one\n"
        "1.25s teardown tests/e2e/test_y.py::test_two[param-1]\n"
        "3 passed in 16.00s\n"
    )
    assert file_durations(report) == {"tests/e2e/test_x.py": 14.5, "tests/e2e/test_y.py": 1.25}
