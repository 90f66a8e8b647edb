"""The whole test suite as independent pytest processes side by side.

One pytest process spends most of its time waiting (for a broker round trip, a service
started as a real process, a browser): alone it left the machine's cores idle for most
of the run. Each process already has its own databases and RabbitMQ vhosts (the test
plugin names them after the process), so groups of test files run side by side safely;
the tests that stop or restart PostgreSQL and RabbitMQ (marker ``disruptive``) would
break their neighbours, so they run last, alone.

Each group's output goes to ``.bassin/test-logs/<group>.log``; a group that fails has
its whole output printed, the others their summary line.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Everything but the end-to-end flows. The flows stay in one process: two flow processes
# side by side have exhausted PostgreSQL's 100 connections (six services' pools each); even
# one flow process beside the own-system flows did once: .ci/run gives a local cluster 200.
UNIT_AND_CONTRACT = ["services", "gateway", "tests/platform", "tests/docs", "tests/tools", "tests/deploy", "tests/ui"]
E2E = "tests/e2e"
# Flows that start a whole system of their own (real processes, one at a time): they run
# after the first group's short tests, beside the other flows, so that no more than two
# systems hold connections at once.
OWN_SYSTEM_FLOWS = ["tests/e2e/test_story.py", "tests/e2e/test_demo_company.py"]
# Long flows moved to the first group so that both end about together: alone, the flows
# took 32 min to the first group's 18 (``--durations``: the route matrix about 2 min, the
# hardening tests' three systems about 4). Still one system at a time in each process.
BALANCING_FLOWS = ["tests/e2e/test_route_matrix.py", "tests/e2e/test_hardening.py"]


@dataclass
class Group:
    name: str
    paths: list[str]
    marker: str

    def command(self) -> list[str]:
        return [sys.executable, "-m", "pytest", "-q", "-m", self.marker, *self.paths]


def groups(repo: Path) -> list[Group]:
    flows = sorted(str(path.relative_to(repo)) for path in (repo / E2E).glob("test_*.py"))
    first = [*BALANCING_FLOWS, *OWN_SYSTEM_FLOWS]
    return [
        Group("services-and-contracts", [*UNIT_AND_CONTRACT, *first], "not disruptive"),
        Group("e2e", [flow for flow in flows if flow not in first], "not disruptive"),
    ]


def run_suite(repo: Path, env: dict[str, str]) -> int:
    logs = repo / ".bassin" / "test-logs"
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    running = [(group, _start(group, repo, env, logs)) for group in groups(repo)]
    failed = [group for group, process in running if not _passed(group, process, logs)]
    alone = Group("disruptive", ["services", "gateway", "tests"], "disruptive")
    if not _passed(alone, _start(alone, repo, env, logs), logs):
        failed.append(alone)
    minutes, seconds = divmod(round(time.monotonic() - started), 60)
    verdict = "failed: " + ", ".join(group.name for group in failed) if failed else "passed"
    print(f"the whole suite {verdict} in {minutes} min {seconds} s", flush=True)
    return 1 if failed else 0


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
