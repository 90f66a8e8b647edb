"""``bassin-gateway``: serve the gateway with eventlet's WSGI server.

Green threads let one process hold many requests waiting on RPC replies at once.

It refuses to start without a signing key of the operator's own (``settings.signing_keys``)
and a context key of theirs (``bassin_common.signing.check_context_keys``).
SIGTERM (or Ctrl-C) drains it: the listening socket is closed at once, so new connections
are refused; idle keep-alive connections are closed; requests in flight get up to
``drain_seconds`` to finish (a second signal cuts that short); then the RPC client stops
and the process exits 0.

With ``gateway_processes`` above 1 (``BASSIN_GATEWAY_PROCESSES``), this process only
supervises: it starts that many gateways, each a process as above listening on the same
port (``SO_REUSEPORT``), passes each signal on to them (the first drains them, a second
cuts the drain short) and exits 0 once they all have. If one ends by itself, the others
are stopped and it exits with that one's code (non-zero): its orchestrator restarts it.
If the supervisor itself is killed outright (SIGKILL, the OOM killer), the kernel sends
each of its processes SIGTERM (Linux's parent-death signal): none outlives it holding the
port, which the restarted supervisor's own processes would then share with them.

Once built, everything the process made while starting (modules, the application, its
clients: some 110,000 objects) is moved out of the garbage collector's reach
(``gc.freeze``): they live as long as the process, and a full collection walking them
all took 50 to 120 ms, during which every request in flight waited (ADR 0032, the tail).
"""

from __future__ import annotations

import eventlet

import bassin_common  # noqa: F401  (first: quiets eventlet's notice, picks psycopg's wait function)

eventlet.monkey_patch()

import contextlib
import ctypes
import gc
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import eventlet.wsgi
from eventlet.hubs import trampoline
from eventlet.patcher import original
from eventlet.queue import Empty, LightQueue

from bassin_common.database import assert_cooperative_psycopg
from bassin_common.logs import configure_logging
from bassin_common.signing import InsecureContextKeys, check_context_keys
from bassin_gateway.runtime import build_app
from bassin_gateway.settings import InsecureSettings, load_gateway_settings, signing_keys

log = logging.getLogger("bassin_gateway")

_unpatched_os = original("os")

MAX_CONNECTIONS = 1000
SERVER_ENDED = 0  # on the stops queue: the server's loop returned (anything else: a signal)


SUPERVISOR_POLL_SECONDS = 0.5
PR_SET_PDEATHSIG = 1  # prctl(2), <linux/prctl.h>


def main() -> None:
    settings = load_gateway_settings()
    configure_logging(settings.log_level, "gateway", settings.log_format)
    try:
        signing_keys(settings)
        check_context_keys(settings.context_keys)
    except (InsecureSettings, InsecureContextKeys) as error:
        raise SystemExit(f"bassin-gateway: refusing to start: {error}") from None
    if settings.gateway_processes > 1:
        command = [sys.executable, "-m", "bassin_gateway.server"]
        raise SystemExit(
            supervise(settings.gateway_processes, command, {**os.environ, "BASSIN_GATEWAY_PROCESSES": "1"})
        )
    assert_cooperative_psycopg()
    app, rpc = build_app(settings)
    _freeze_start_up()
    listener = eventlet.listen((settings.gateway_host, settings.gateway_port))
    stops = _stop_signals(signal.SIGTERM, signal.SIGINT)
    pool = eventlet.GreenPool(MAX_CONNECTIONS)
    server = eventlet.spawn(
        eventlet.wsgi.server,
        listener,
        app,
        log_output=False,
        custom_pool=pool,
        socket_timeout=settings.http_socket_timeout,
    )
    server.link(lambda _server: stops.put(SERVER_ENDED))
    log.info("gateway listening on http://%s:%d", settings.gateway_host, settings.gateway_port)
    try:
        signum = stops.get()
        if signum == SERVER_ENDED:
            server.wait()  # it ends by itself only by failing: raise what it died of
        else:
            log.info(
                "signal %d: draining, up to %gs, %d connection(s) open", signum, settings.drain_seconds, pool.running()
            )
            _drain(server, listener, stops, settings.drain_seconds, pool)
    finally:
        app.extensions["bassin"]["overview_cache"].stop()
        rpc.stop()
        log.info("gateway stopped")


def supervise(count: int, command: list[str], env: dict[str, str]) -> int:
    """Run ``count`` processes of ``command`` until a signal stops them all (0, or the first
    non-zero code one of them stopped with) or one of them ends by itself (its code, at
    least 1: the others are stopped)."""
    stops = _stop_signals(signal.SIGTERM, signal.SIGINT)
    # Each in a process group of its own: a Ctrl-C in a terminal reaches this process only,
    # which passes it on once (twice would cut their drain short).
    with_supervisor = _terminated_with(os.getpid())
    children = [subprocess.Popen(command, env=env, process_group=0, preexec_fn=with_supervisor) for _ in range(count)]
    log.info("gateway supervisor: %d processes (pids %s)", count, ", ".join(str(child.pid) for child in children))
    stopping = False
    code = 0
    while any(child.poll() is None for child in children):
        try:
            signum = stops.get(timeout=SUPERVISOR_POLL_SECONDS)
        except Empty:
            signum = None
        if signum is not None:
            stopping = True
            _signal_all(children, signum)
        elif not stopping and (ended := next((c for c in children if c.poll() is not None), None)) is not None:
            log.error("gateway process %d ended by itself (code %s): stopping the others", ended.pid, ended.returncode)
            stopping, code = True, ended.returncode or 1
            _signal_all(children, signal.SIGTERM)
    if code == 0:
        code = next((child.returncode for child in children if child.returncode), 0)
    log.info("gateway supervisor stopped")
    return code


def _terminated_with(supervisor: int) -> Callable[[], None] | None:
    """What a child runs between fork and exec so that the kernel sends it SIGTERM when
    ``supervisor`` dies (kept across exec); None where prctl does not exist (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork

    def ask_the_kernel() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != supervisor:  # it died before the request: the signal will never come
            os.kill(os.getpid(), signal.SIGTERM)

    return ask_the_kernel


def _signal_all(children: list[subprocess.Popen], signum: int) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signum)


def _freeze_start_up() -> None:
    """Move the objects made so far to the collector's permanent generation: a full
    collection then walks only what requests leave behind, not the process's modules and
    long-lived parts (collected first, so no garbage is frozen with them)."""
    gc.collect()
    gc.freeze()


def _drain(server: Any, listener: Any, stops: LightQueue, seconds: float, pool: eventlet.GreenPool) -> None:
    # eventlet's server ends its accept loop on SystemExit, closes idle connections and
    # waits for the requests in flight; closing the listener refuses new connections now.
    server.kill(SystemExit)
    listener.close()
    try:
        drained = stops.get(timeout=seconds) == SERVER_ENDED
    except Empty:
        drained = False
    if drained:
        log.info("requests in flight finished")
    else:
        log.warning("stopping with %d request(s) still in flight", pool.running())


def _stop_signals(*signums: int) -> LightQueue:
    """A queue that receives each of ``signums`` as it arrives.

    A signal handler runs in whatever green thread (or the hub) happens to be running, so
    it only writes the signal's number to a pipe; a green thread reads it from there.
    """
    stops: LightQueue = LightQueue()
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)

    def watch() -> None:
        while True:
            trampoline(read_end, read=True)
            for signum in os.read(read_end, 64):
                stops.put(signum)

    def handle(number: int, _frame: object) -> None:
        with contextlib.suppress(BlockingIOError):  # the pipe is full: a signal is pending anyway
            _unpatched_os.write(write_end, bytes([number]))  # the green write would wait on the hub

    for signum in signums:
        signal.signal(signum, handle)
    eventlet.spawn(watch)
    return stops


if __name__ == "__main__":
    main()
