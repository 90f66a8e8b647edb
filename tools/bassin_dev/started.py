"""``./bassin`` run as a newcomer runs it, from a test: a subprocess in its own process
group, on a free port, its output kept as it comes (and copied to a file when asked), and
stopped with Ctrl-C — killed if it does not stop in time. The browser tests and the demo
company's tests start Bassin this way."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class StartedBassin:
    def __init__(self, env: dict[str, str], *arguments: str, command: str = "start", log: Path | None = None) -> None:
        self.log = log
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [str(REPO / "bassin"), command, "--port", str(port), *arguments],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own group: Ctrl-C in the terminal of the test run stays ours
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        with open(self.log or os.devnull, "w") as log:
            for line in self.process.stdout:  # type: ignore[union-attr]
                self.lines.append(line)
                log.write(line)
                log.flush()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        """The first match of ``pattern`` in the output; fails if it stops or time runs out first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := pattern.search(self.output):
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        raise AssertionError(f"./bassin printed nothing matching {pattern.pattern!r}:\n{self.output[-6000:]}")

    def stop(self) -> None:
        """Ctrl-C, as a developer stops it; killed if it does not stop in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
