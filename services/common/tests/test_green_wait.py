"""psycopg waits through eventlet's hub (``bassin_common.green_wait``), on a real server:
other green threads run meanwhile, and what a wait can end in — an answer, a statement
timeout, a backend terminated mid-query, a deadline, an interrupted green thread — comes
out as it did through psycopg's ``wait_select`` under eventlet. The failure cases run with
both, so a difference shows."""

from __future__ import annotations

import subprocess
import sys

import eventlet
import psycopg
import pytest
import sqlalchemy.exc
from eventlet.hubs import get_hub
from psycopg import waiting
from sqlalchemy import text

from bassin_common.config import Settings
from bassin_common.database import assert_cooperative_psycopg, make_engine, psycopg_conninfo
from bassin_common.faults import is_transient
from bassin_common.green_wait import wait_on_hub

STATEMENT_TIMEOUT = Settings(database_statement_timeout=0.5)


@pytest.fixture(params=[wait_on_hub, waiting.wait_select], ids=lambda wait: wait.__name__)
def wait_function(request, monkeypatch) -> None:
    """The hub's wait, and psycopg's ``wait_select`` (eventlet's select) for comparison."""
    monkeypatch.setattr(waiting, "wait", request.param)


def test_the_tests_and_services_wait_through_the_hub_and_the_guard_refuses_psycopg_s_c_wait(monkeypatch) -> None:
    assert waiting.wait is wait_on_hub  # installed: this process is monkey-patched (bassin_common.testing)
    assert_cooperative_psycopg()
    monkeypatch.setattr(waiting, "wait", getattr(waiting, "wait_c", waiting.wait_poll))
    with pytest.raises(RuntimeError, match="not through eventlet's hub"):
        assert_cooperative_psycopg()


def test_a_process_without_eventlet_keeps_psycopg_s_wait() -> None:
    show = "from psycopg import waiting; print(waiting.wait.__name__)"
    plain = f"import bassin_common.database; {show}"
    green = f"import eventlet; eventlet.monkey_patch(); import bassin_common.database; {show}"
    waits = [subprocess.check_output([sys.executable, "-c", code], text=True).strip() for code in (plain, green)]
    assert waits == ["wait_select", "wait_on_hub"]


def test_other_green_threads_run_while_a_query_waits(platform_database) -> None:
    order: list[str] = []
    with psycopg.connect(psycopg_conninfo(platform_database)) as connection:
        eventlet.spawn(order.append, "another green thread")
        answer = connection.execute("SELECT 'answer' FROM pg_sleep(0.05)").fetchone()
        order.append("the query")
    assert answer == ("answer",)
    assert order == ["another green thread", "the query"]


def test_a_pipelined_executemany_reads_while_it_sends(platform_database) -> None:
    # Thousands of statements in one pipeline, each answered with a kilobyte: psycopg waits
    # for reading or writing (Wait.RW), tens of thousands of times, told which one came.
    numbers = [(number,) for number in range(20_000)]
    with psycopg.connect(psycopg_conninfo(platform_database)) as connection, eventlet.Timeout(120):
        connection.execute("CREATE TEMPORARY TABLE pipelined (number int)")
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO pipelined VALUES (%s) RETURNING repeat('x', 1000)", numbers, returning=True)
            answers = 1
            while cursor.nextset():
                answers += 1
        assert answers == len(numbers)
        assert connection.execute("SELECT count(*) FROM pipelined").fetchone() == (len(numbers),)


def test_a_statement_cut_by_its_timeout_is_still_a_fault(platform_database, wait_function) -> None:
    engine = make_engine(platform_database, pool_size=1, settings=STATEMENT_TIMEOUT)
    try:
        with pytest.raises(sqlalchemy.exc.OperationalError) as cut, engine.connect() as connection:
            connection.execute(text("SELECT pg_sleep(5)"))
        assert cut.value.orig.sqlstate == "57014" and not is_transient(cut.value)
    finally:
        engine.dispose()


def test_a_backend_terminated_mid_query_is_still_transient(platform_database, wait_function) -> None:
    engine = make_engine(platform_database, pool_size=1)
    try:
        with engine.connect() as connection:
            backend = connection.scalar(text("SELECT pg_backend_pid()"))
            killer = eventlet.spawn(_terminate_once_running, platform_database, backend)
            with pytest.raises(sqlalchemy.exc.OperationalError) as dropped:
                connection.execute(text("SELECT pg_sleep(10)"))
        assert killer.wait() is True  # the fault landed: the backend was killed mid-query
        assert dropped.value.orig.sqlstate == "57P01" and dropped.value.connection_invalidated
        assert is_transient(dropped.value)
        with engine.connect() as connection:  # the pool recovers
            assert connection.scalar(text("SELECT 1")) == 1
    finally:
        engine.dispose()


def _terminate_once_running(database: str, backend: int) -> bool:
    with psycopg.connect(psycopg_conninfo(database), autocommit=True) as admin:
        for _ in range(500):
            running = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE pid = %s AND state = 'active' AND query LIKE 'SELECT pg_sleep%%'",
                (backend,),
            ).fetchone()
            if running:
                return bool(running[0])
            eventlet.sleep(0.01)
    return False


def test_a_deadline_ends_the_wait_and_an_answer_before_it_is_read(platform_database, wait_function) -> None:
    with (
        psycopg.connect(psycopg_conninfo(platform_database), autocommit=True) as listener,
        psycopg.connect(psycopg_conninfo(platform_database), autocommit=True) as notifier,
    ):
        listener.execute("LISTEN green_wait")
        with eventlet.Timeout(60):  # a wait that missed its deadline fails rather than hangs
            assert list(listener.notifies(timeout=0.05)) == []  # psycopg's wait-timeout error, caught by psycopg
        notifier.execute("NOTIFY green_wait, 'here'")
        assert [notify.payload for notify in listener.notifies(timeout=30, stop_after=1)] == ["here"]


def test_a_green_thread_interrupted_while_waiting_leaves_no_listener(platform_database, wait_function) -> None:
    with psycopg.connect(psycopg_conninfo(platform_database)) as connection:
        socket = connection.pgconn.socket
        with pytest.raises(eventlet.Timeout), eventlet.Timeout(0.05):
            connection.execute("SELECT pg_sleep(10)")
        hub = get_hub()
        assert socket not in hub.listeners[hub.READ] and socket not in hub.listeners[hub.WRITE]
        connection.close()  # its query still runs: the connection is of no more use
    with psycopg.connect(psycopg_conninfo(platform_database)) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
