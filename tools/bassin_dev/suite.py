"""The whole test suite as independent pytest processes side by side.

One pytest process spends most of its time waiting (for a broker round trip, a service
started as a real process, a browser): alone it left the machine's cores idle for most
of the run. Each process already has its own databases and RabbitMQ vhosts (the test
plugin names them after the process), so groups of test files run side by side safely;
the tests that stop or restart PostgreSQL and RabbitMQ (marker ``disruptive``) would
break their neighbours, so they run last, alone.

The groups (``groups``):

- ``services-and-contracts``: every test outside ``tests/e2e`` (each service's own tests,
  the gateway's, the platform, docs, tools, deploy and UI tests). A test here starts at
  most one service in its process, never a whole system.
- ``flows`` and ``e2e``: the end-to-end files, each of which holds a whole system (the
  six services and the gateway, in its process or as real processes) while it runs, so
  at most two systems hold PostgreSQL connections at once, as before this split (the
  own-system flows already ran beside the other flows). PostgreSQL has
  ``max_connections = 100``: a system's pools may open up to 6 services x
  (``max_workers`` 10 + 2 overflow, and the relay's 1 + 2) + the gateway's 20 + 2, a test
  uses a fraction of that (one request at a time), and flow processes side by side have
  exhausted the 100 before (six services' pools each): never a third system. The first
  group adds one service's pools at a time (<= 15, and 4 for the test's own sessions).
  ``flows`` starts with the two flows that start a system of real processes
  (``OWN_SYSTEM_FLOWS``); the other files are then dealt, heaviest first, to whichever
  of the two groups has less work so far (longest-processing-time first), so both end
  at about the same time.

A file's weight is its duration in seconds: the sum of its tests' setup, call and
teardown as pytest's ``--durations=0`` reports them. Each run of the suite records them,
from the groups' logs, in ``.bassin/test-logs/durations.json``; the next run deals the
files by them. Without that record (a fresh checkout, CI), ``FALLBACK_SECONDS`` holds
those of the last measurement (a loaded machine: only their ratios matter); a file in
neither counts ``DEFAULT_SECONDS``.

Each group's output goes to ``.bassin/test-logs/<group>.log``; a group that fails has
its whole output printed, the others their summary line.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

UNIT_AND_CONTRACT = ["services", "gateway", "tests/platform", "tests/docs", "tests/tools", "tests/deploy", "tests/ui"]
E2E = "tests/e2e"
# Flows that start a whole system of their own (real processes, one at a time): first
# in the group ``flows``.
OWN_SYSTEM_FLOWS = ["tests/e2e/test_story.py", "tests/e2e/test_demo_company.py"]
DURATIONS = Path(".bassin/test-logs/durations.json")
# Seconds per end-to-end file when no run has recorded any (see the module's docstring).
FALLBACK_SECONDS: dict[str, float] = {}
DEFAULT_SECONDS = 30.0
# A line of pytest's --durations report: "12.34s call     tests/e2e/test_x.py::test_y".
_DURATION_LINE = re.compile(r"^(?P<seconds>\d+(?:\.\d+)?)s (?:setup|call|teardown)\s+(?P<file>[^:\s]+\.py)::", re.M)


@dataclass
class Group:
    name: str
    paths: list[str]
    marker: str

    def command(self) -> list[str]:
        return [sys.executable, "-m", "pytest", "-q", "--durations=0", "-m", self.marker, *self.paths]


def weights(repo: Path) -> dict[str, float]:
    """Seconds per test file: the last recorded run's, else ``FALLBACK_SECONDS``."""
    recorded = repo / DURATIONS
    if recorded.is_file():
        return {**FALLBACK_SECONDS, **json.loads(recorded.read_text())}
    return dict(FALLBACK_SECONDS)


def deal(files: list[str], seconds: Mapping[str, float], heads: list[list[str]]) -> list[list[str]]:
    """``files`` dealt to as many groups as ``heads`` (the files each group starts with),
    heaviest first, each to the group with the least work so far (ties: the first)."""
    lanes = [list(head) for head in heads]
    loads = [sum(seconds.get(file, DEFAULT_SECONDS) for file in head) for head in heads]
    for file in sorted(files, key=lambda name: (-seconds.get(name, DEFAULT_SECONDS), name)):
        lightest = loads.index(min(loads))
        lanes[lightest].append(file)
        loads[lightest] += seconds.get(file, DEFAULT_SECONDS)
    return lanes


def groups(repo: Path, seconds: Mapping[str, float] | None = None) -> list[Group]:
    seconds = weights(repo) if seconds is None else seconds
    e2e = sorted(str(path.relative_to(repo)) for path in (repo / E2E).glob("test_*.py"))
    in_process = [file for file in e2e if file not in OWN_SYSTEM_FLOWS]
    flows, rest = deal(in_process, seconds, [OWN_SYSTEM_FLOWS, []])
    return [
        Group("services-and-contracts", UNIT_AND_CONTRACT, "not disruptive"),
        Group("flows", flows, "not disruptive"),
        Group("e2e", rest, "not disruptive"),
    ]


def file_durations(output: str) -> dict[str, float]:
    """Seconds per test file in a pytest ``--durations=0`` report."""
    found: dict[str, float] = {}
    for line in _DURATION_LINE.finditer(output):
        found[line["file"]] = round(found.get(line["file"], 0.0) + float(line["seconds"]), 2)
    return found


def run_suite(repo: Path, env: dict[str, str]) -> int:
    logs = repo / ".bassin" / "test-logs"
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    running = [(group, _start(group, repo, env, logs)) for group in groups(repo)]
    failed = [group for group, process in running if not _passed(group, process, logs)]
    _record_durations(repo, [group for group, _ in running], logs)
    alone = Group("disruptive", ["services", "gateway", "tests"], "disruptive")
    if not _passed(alone, _start(alone, repo, env, logs), logs):
        failed.append(alone)
    minutes, seconds = divmod(round(time.monotonic() - started), 60)
    verdict = "failed: " + ", ".join(group.name for group in failed) if failed else "passed"
    print(f"the whole suite {verdict} in {minutes} min {seconds} s", flush=True)
    return 1 if failed else 0


def _record_durations(repo: Path, ran: list[Group], logs: Path) -> None:
    """Adds this run's per-file seconds to the record the next run deals the files by."""
    measured = weights(repo) if (repo / DURATIONS).is_file() else {}
    for group in ran:
        measured.update(file_durations((logs / f"{group.name}.log").read_text(errors="replace")))
    (repo / DURATIONS).write_text(json.dumps(dict(sorted(measured.items())), indent=1) + "\n")


def _start(group: Group, repo: Path, env: dict[str, str], logs: Path) -> subprocess.Popen[bytes]:
    print(f"{group.name}: {' '.join(group.command()[3:])}", flush=True)
    with (logs / f"{group.name}.log").open("wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(group.command(), cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT)


def _passed(group: Group, process: subprocess.Popen[bytes], logs: Path) -> bool:
    code = process.wait()
    output = (logs / f"{group.name}.log").read_text(errors="replace")
    # pytest's exit code 5: no test collected (a group may hold none of a marker's tests).
    if code in (0, 5):
        summary = output.strip().splitlines()[-1] if output.strip() else "no output"
        print(f"{group.name}: {summary}", flush=True)
        return True
    print(f"\n===== {group.name} failed (exit code {code}): its output =====\n{output}", flush=True)
    return False
