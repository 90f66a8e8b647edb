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
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bassin_dev.started import StartedBassin

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


@pytest.fixture
def bassin_started(process_environment: dict[str, str], tmp_path: Path) -> Iterator[StartedBassin]:
    env = {**process_environment, "BASSIN_LOG_FORMAT": "text"}
    env.pop("BASSIN_SMTP_HOST", None)  # console mode: the e-mails are in its output
    # --empty: the journeys need the demo logins and its 8 articles only (not minutes of loading).
    # Its output is also a file the journeys read (the e-mails of console mode).
    started = StartedBassin(env, "--empty", log=tmp_path / "bassin-start.log")
    try:
        yield started
    finally:
        started.stop()


def test_the_screens_in_chromium(bassin_started: StartedBassin) -> None:
    email, password = bassin_started.wait_for(DEMO, timeout=240).groups()  # printed after the URL
    started = STARTED.search(bassin_started.output)
    assert started, f"./bassin start printed no login URL:\n{bassin_started.output[-4000:]}"
    login_url = started.group(1)
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
