"""``bassin-gateway`` with ``BASSIN_GATEWAY_PROCESSES`` above 1: the supervisor passes the
stopping signal on to its processes and waits for them; one ending by itself stops the
rest; a supervisor killed outright takes them with it. Each process is a stand-in here (the
gateway's own drain: test_server.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bassin_common.testing import wait_until

# A process that says it is ready, writes which signal stopped it, and exits 0 on SIGTERM;
# the one that claims ``crash`` first (if asked to) ends by itself with code 3 once the
# other is ready.
CHILD = """
import os, signal, sys, time
from pathlib import Path

here = Path(sys.argv[1])

def stop(signum, _frame):
    (here / f"{os.getpid()}.stopped").write_text(str(signum))
    sys.exit(0)

signal.signal(signal.SIGTERM, stop)
(here / f"{os.getpid()}.ready").write_text("")
if os.environ.get("CHILD_CRASH"):
    try:
        os.close(os.open(here / "crash", os.O_CREAT | os.O_EXCL))
        while len(list(here.glob("*.ready"))) < 2:  # the other one is ready to be stopped
            time.sleep(0.05)
        sys.exit(3)
    except FileExistsError:
        pass
while True:
    time.sleep(0.05)
"""
SUPERVISOR = """
import os, sys
from bassin_gateway.server import supervise
sys.exit(supervise(2, [sys.executable, sys.argv[1], sys.argv[2]], dict(os.environ)))
"""


def start_supervisor(tmp_path: Path, **env: str) -> subprocess.Popen[bytes]:
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    return subprocess.Popen([sys.executable, "-c", SUPERVISOR, str(child), str(tmp_path)], env={**os.environ, **env})


def readies(tmp_path: Path) -> list[Path]:
    return sorted(tmp_path.glob("*.ready"))


def test_a_signal_is_passed_on_to_every_process_then_it_exits_0(tmp_path: Path) -> None:
    supervisor = start_supervisor(tmp_path)
    wait_until(lambda: len(readies(tmp_path)) == 2)
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=30) == 0
    stopped = sorted(path.read_text() for path in tmp_path.glob("*.stopped"))
    assert stopped == [str(int(signal.SIGTERM))] * 2


def test_a_process_that_ends_by_itself_stops_the_others_and_its_code_is_the_exit_code(tmp_path: Path) -> None:
    supervisor = start_supervisor(tmp_path, CHILD_CRASH="1")
    assert supervisor.wait(timeout=30) == 3
    assert len(readies(tmp_path)) == 2
    assert len(list(tmp_path.glob("*.stopped"))) == 1  # the other one, stopped by the supervisor


def test_a_supervisor_killed_outright_leaves_no_process_behind(tmp_path: Path) -> None:
    supervisor = start_supervisor(tmp_path)
    wait_until(lambda: len(readies(tmp_path)) == 2)
    supervisor.kill()  # SIGKILL: it cannot pass anything on
    supervisor.wait(timeout=30)
    wait_until(lambda: len(list(tmp_path.glob("*.stopped"))) == 2)
    assert sorted(path.read_text() for path in tmp_path.glob("*.stopped")) == [str(int(signal.SIGTERM))] * 2
