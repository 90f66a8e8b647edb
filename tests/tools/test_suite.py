"""The whole suite's split into processes side by side: every test file belongs to
exactly one group, so none is skipped or run twice by the split."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bassin_dev.suite import groups

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
    assert len(groups(REPO)) == 2 and all(group.marker == "not disruptive" for group in groups(REPO))
