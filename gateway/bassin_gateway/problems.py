"""Every error leaves the gateway as ``application/problem+json`` (RFC 9457).

This is the one place where error types become HTTP statuses. Failures of the
infrastructure — a service not running or not answering, RabbitMQ not taking a request,
the gateway's own database unreachable — are 503 or 504 with ``Retry-After``, never 500:
nothing was done, and the same request may be sent again later.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from flask import Flask, current_app, g, jsonify
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from werkzeug.exceptions import HTTPException

from bassin_common.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unavailable,
    ValidationFailed,
)
from bassin_common.faults import is_transient
from bassin_gateway.rpc import BrokerUnavailable

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
DEFAULT_RETRY_AFTER_SECONDS = 5


class MalformedRequest(ValidationFailed):
    """The request itself cannot be read (not JSON, nested too deep, a required header
    missing): 400, naming the part at fault as ``ValidationFailed`` does. Gateway only."""


class TooManyRequests(Exception):
    """A limit was reached; the client may try again after ``retry_after`` seconds."""

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


# Domain errors, raised by the services (or the gateway), as HTTP statuses and titles.
STATUSES: dict[type[DomainError], tuple[int, str]] = {
    MalformedRequest: (400, "Bad request"),
    ValidationFailed: (422, "Invalid input"),
    NotFound: (404, "Not found"),
    Forbidden: (403, "Forbidden"),
    Conflict: (409, "Conflict"),
    PreconditionFailed: (412, "Precondition failed"),
    PreconditionRequired: (428, "Precondition required"),
    Unavailable: (503, "Service unavailable"),
}


def problem(status: int, title: str, detail: str = "", **extra: Any):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail or title, **extra}
    if correlation_id := getattr(g, "correlation_id", None):
        body["correlation_id"] = correlation_id
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


def retry_later(status: int, title: str, detail: str, retry_after: float | None = None):
    """A problem the client may retry, with ``Retry-After`` (whole seconds, at least 1)."""
    if retry_after is None:
        retry_after = current_app.config.get("BASSIN_RETRY_AFTER", DEFAULT_RETRY_AFTER_SECONDS)
    response = problem(status, title, detail)
    response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


def install_problem_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        status, title = next(
            (STATUSES[kind] for kind in type(exc).__mro__ if kind in STATUSES), (500, "Internal error")
        )
        if status == 503:
            return retry_later(status, title, exc.detail)
        extra = {"errors": exc.errors} if isinstance(exc, ValidationFailed) else {}
        return problem(status, title, exc.detail, **extra)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return problem(exc.code or 500, exc.name, exc.description or "")

    @app.errorhandler(TooManyRequests)
    def _too_many(exc: TooManyRequests):
        return retry_later(429, "Too many requests", exc.detail, exc.retry_after)

    @app.errorhandler(UnknownService)
    def _unknown_service(exc: UnknownService):
        return retry_later(503, "Service unavailable", "a service needed for this request is not running")

    @app.errorhandler(BrokerUnavailable)
    def _broker(exc: BrokerUnavailable):
        return retry_later(503, "Service unavailable", "the message broker is not taking requests")

    @app.errorhandler(RpcTimeout)
    def _timeout(exc: RpcTimeout):
        return retry_later(504, "Service timeout", "a service did not answer in time")

    @app.errorhandler(RemoteError)
    def _remote(exc: RemoteError):
        log.error("unexpected error in a service: %s", exc)
        return problem(500, "Internal error", "unexpected error; quote the correlation id to support")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if is_transient(exc):  # the gateway's database unreachable, its pool exhausted…
            log.warning("infrastructure unavailable: %r", exc)
            return retry_later(503, "Service unavailable", "a database or the broker cannot be reached; retry later")
        log.exception("unexpected error in the gateway")
        return problem(500, "Internal error", "unexpected error; quote the correlation id to support")
