"""The screens in a real browser (issue #26): ``./bassin start`` run as a newcomer runs it,
on this test's databases and vhost, and Chromium driven through the journeys of
``journeys.py``.

Playwright's synchronous API cannot run in this process: the test plugin monkey-patches
it with eventlet (for nameko), whose hub takes over the greenlets Playwright switches
between. The journeys therefore run in a child pytest without Bassin's plugin
(``-p no:bassin``), against the system this test started; its report is this test's.
Debian's ``chromium`` (``/usr/bin/chromium``) is the browser: nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).parent
REPO = HERE.parent.parent
STARTED = re.compile(r"log in at (http://\S+/connexion)")
DEMO = re.compile(r"Demo login: (\S+) / (\S+)")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed: apt-get install chromium"),
]


class Started:
    """``./bassin start`` running; its output kept, read as it comes."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log  # its output, also as a file the journeys read (the e-mails of console mode)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            # --empty: the journeys need the demo logins and its 8 articles only (not minutes of loading).
            [str(REPO / "bassin"), "start", "--empty", "--port", str(port)],
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
        with self.log.open("w") as log:
            for line in self.process.stdout:  # type: ignore[union-attr]
                self.lines.append(line)
                log.write(line)
                log.flush()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_started(self, timeout: float = 240) -> tuple[str, str, str]:
        """The login URL and the demo login it printed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (url := STARTED.search(self.output)) and (demo := DEMO.search(self.output)):
                return url.group(1), demo.group(1), demo.group(2)
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        raise AssertionError(f"./bassin start printed no login URL:\n{self.output[-4000:]}")

    def stop(self) -> None:
        """Ctrl-C, as a developer stops it; killed if it does not stop in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def bassin_started(process_environment: dict[str, str], tmp_path: Path) -> Iterator[Started]:
    env = {**process_environment, "BASSIN_LOG_FORMAT": "text"}
    env.pop("BASSIN_SMTP_HOST", None)  # console mode: the e-mails are in its output
    started = Started(env, tmp_path / "bassin-start.log")
    try:
        yield started
    finally:
        started.stop()


def test_the_screens_in_chromium(bassin_started: Started) -> None:
    login_url, email, password = bassin_started.wait_started()
    env = {
        **os.environ,
        "BASSIN_UI_LOGIN_URL": login_url,
        "BASSIN_UI_EMAIL": email,
        "BASSIN_UI_PASSWORD": password,
        "BASSIN_UI_CHROMIUM": str(CHROMIUM),
        "BASSIN_UI_START_LOG": str(bassin_started.log),
    }
    # Every area's journeys; BASSIN_UI_JOURNEYS (a glob) runs some of them while working on one.
    # The foundation's journeys.py first (the demo company as loaded), every area's, then
    # journeys_last.py, whose journeys change the demo company for good.
    chosen = HERE.glob(os.environ.get("BASSIN_UI_JOURNEYS", "journeys*.py"))
    order = {"journeys.py": 0, "journeys_last.py": 2}
    journey_files = [str(path) for path in sorted(chosen, key=lambda path: (order.get(path.name, 1), path.name))]
    assert journey_files, "no journeys*.py file matches BASSIN_UI_JOURNEYS"
    # browsing.py, loaded as a plugin, gives every journey file its fixtures (the browser, a watched page).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "pytest", "-p", "no:bassin", "-p", "browsing", "--noconftest", "-q", "-s", "-rs"]
    command += journey_files
    journeys = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    report = journeys.stdout[-15000:] + journeys.stderr[-3000:]
    print(report)
    trouble = "".join(line for line in bassin_started.lines if re.search(r"WARNING|ERROR|Traceback| 5\d\d$", line))
    assert journeys.returncode == 0, f"{report}\n--- ./bassin start: warnings and errors ---\n{trouble[-8000:]}"
    assert re.search(r"\d+ passed", journeys.stdout) and "skipped" not in journeys.stdout, report
