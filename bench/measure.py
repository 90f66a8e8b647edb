"""What the benches measure with: wrk's runs, processes' CPU from /proc, a fresh vhost."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import requests

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class WrkResult:
    requests: int
    failed: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def accepted(self) -> int:
        return self.requests - self.failed


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, connections: int, seconds: float, script: Path | None = None, timeout: float = 2) -> WrkResult:
    command = ["wrk", "--latency", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{round(seconds)}s"]
    command += ["--timeout", f"{timeout:g}s"]  # an answer slower than this counts as an error
    arguments = []
    if script is not None:
        command += ["-s", str(script)]
        arguments = ["--", uuid.uuid4().hex[:12]]  # this run's keys: every sale a new one
    output = subprocess.run([*command, url, *arguments], capture_output=True, text=True, check=True).stdout
    if os.environ.get("BENCH_SHOW_WRK"):
        print(output)
    total = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)[1])
    elapsed = _milliseconds(re.search(r"requests in ([\d.]+\w+)", output)[1]) / 1000
    failed = int(m[1]) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0
    failed += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    p50 = _milliseconds(re.search(r"50%\s+([\d.]+\w+)", output)[1])
    p99 = _milliseconds(re.search(r"99%\s+([\d.]+\w+)", output)[1])
    return WrkResult(total, failed, elapsed, p50, p99)


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def pids_of(command: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def fresh_vhost(management_uri: str, amqp_uri: str, vhost: str) -> str:
    """A new, empty ``vhost`` for this run; returns the AMQP URI that points at it."""
    base = management_uri.rstrip("/")
    amqp = urlparse(amqp_uri)
    requests.delete(f"{base}/api/vhosts/{vhost}", timeout=10)
    requests.put(f"{base}/api/vhosts/{vhost}", timeout=10).raise_for_status()
    requests.put(
        f"{base}/api/permissions/{vhost}/{amqp.username or 'guest'}",
        json={"configure": ".*", "write": ".*", "read": ".*"},
        timeout=10,
    ).raise_for_status()
    return urlunparse(amqp._replace(path=f"/{vhost}"))
