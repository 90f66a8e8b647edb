"""JSON logs that carry the correlation id and the tenant of the work in progress.

``LogContext`` binds them for each nameko worker from its context data (RPC calls and
events alike carry them); greenlets have their own contextvars, so concurrent workers
never mix their fields.

No password reaches a log line: both formatters (``JsonFormatter``, ``TextFormatter``)
mask the password of every URL (``amqp://user:***@host``) and libpq connection string
(``password=***``) in the message and the traceback, whoever logged them (kombu, nameko,
SQLAlchemy, Bassin). ``mask_secrets`` does the same for text the platform stores or sends
(an error in a dead letter's headers, an outbox row's last error).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import traceback
from datetime import UTC, datetime
from typing import Any

from nameko.extensions import DependencyProvider

_fields: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("bassin_log_fields")
BOUND_KEYS = ("correlation_id", "request_id", "tenant_id", "user_id")
MASK = "***"
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*):[^@\s/]*@")
_CONNINFO_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^\s'\"]+)", re.IGNORECASE)


def mask_secrets(text: str) -> str:
    """``text`` with the password of every URL and libpq connection string masked."""
    text = _URL_PASSWORD.sub(rf"\g<head>:{MASK}@", text)
    return _CONNINFO_PASSWORD.sub(rf"\g<head>{MASK}", text)


def describe(error: BaseException, limit: int = 2000) -> str:
    """An error in one line (its type and message), passwords masked: what logs, dead
    letters' headers and outbox rows keep of it."""
    return mask_secrets("".join(traceback.format_exception_only(error)).strip())[:limit]


def bind(**fields: Any) -> contextvars.Token[dict[str, Any]]:
    return _fields.set({**_fields.get({}), **{k: v for k, v in fields.items() if v is not None}})


def reset(token: contextvars.Token[dict[str, Any]]) -> None:
    _fields.reset(token)


# The service this process runs (one per process in production); set by LogContext.
_process_service = ""


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_secrets(record.getMessage()),
        }
        if service := self.service or _process_service:
            entry["service"] = service
        entry.update(_fields.get({}))
        if record.exc_info:
            entry["exception"] = mask_secrets(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """Plain lines for a terminal (``BASSIN_LOG_FORMAT=text``), passwords masked too."""

    def __init__(self, fmt: str = "%(asctime)s %(levelname)s %(name)s %(message)s", **kwargs: Any) -> None:
        super().__init__(fmt, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


def configure_logging(level: str = "INFO", service: str = "", fmt: str = "json") -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class LogContext(DependencyProvider):
    """Binds each worker's correlation id and tenant into its log lines."""

    def setup(self) -> None:
        global _process_service
        _process_service = self.container.service_name
        self._tokens: dict[Any, contextvars.Token[dict[str, Any]]] = {}

    def worker_setup(self, worker_ctx: Any) -> None:
        data = worker_ctx.context_data
        self._tokens[worker_ctx] = bind(**{key: data.get(key) for key in BOUND_KEYS})

    def worker_teardown(self, worker_ctx: Any) -> None:
        token = self._tokens.pop(worker_ctx, None)
        if token is not None:
            # ValueError: teardown ran in another greenlet; its context dies with the worker.
            with contextlib.suppress(ValueError):
                reset(token)
