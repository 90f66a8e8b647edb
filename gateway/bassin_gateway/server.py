"""``bassin-gateway``: serve the gateway with eventlet's WSGI server.

Green threads let one process hold many requests waiting on RPC replies at once.
SIGTERM (and Ctrl-C) stop accepting connections and let requests in flight finish.
"""

from __future__ import annotations

import eventlet

import bassin_common  # noqa: F401  (first: quiets eventlet's notice, picks psycopg's wait function)

eventlet.monkey_patch()

import logging
import signal

import eventlet.wsgi

from bassin_common.database import assert_cooperative_psycopg
from bassin_common.logs import configure_logging
from bassin_gateway.runtime import build_app
from bassin_gateway.settings import load_gateway_settings

log = logging.getLogger("bassin_gateway")


def main() -> None:
    settings = load_gateway_settings()
    configure_logging(settings.log_level, "gateway", settings.log_format)
    assert_cooperative_psycopg()
    app, rpc = build_app(settings)
    listener = eventlet.listen((settings.gateway_host, settings.gateway_port))
    log.info("gateway listening on http://%s:%d", settings.gateway_host, settings.gateway_port)

    def shut_down(signum: int, _frame: object) -> None:
        # eventlet's WSGI server treats SystemExit as "stop accepting, finish what is in flight".
        log.info("signal %d: stopping", signum)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    try:
        eventlet.wsgi.server(listener, app, log_output=False, max_size=1000)
    finally:
        rpc.stop()
        log.info("gateway stopped")


if __name__ == "__main__":
    main()
