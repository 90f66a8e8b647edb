"""Every error leaves the gateway as ``application/problem+json`` (RFC 9457).

This is the one place where error types become HTTP statuses.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, jsonify
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from werkzeug.exceptions import HTTPException

from bassin_common.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

# Domain errors, raised by the services (or the gateway), as HTTP statuses and titles.
STATUSES: dict[type[DomainError], tuple[int, str]] = {
    ValidationFailed: (422, "Invalid input"),
    NotFound: (404, "Not found"),
    Forbidden: (403, "Forbidden"),
    Conflict: (409, "Conflict"),
}


def problem(status: int, title: str, detail: str = "", **extra: Any):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail or title, **extra}
    if correlation_id := getattr(g, "correlation_id", None):
        body["correlation_id"] = correlation_id
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


def install_problem_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        status, title = next(
            (STATUSES[kind] for kind in type(exc).__mro__ if kind in STATUSES), (500, "Internal error")
        )
        extra = {"errors": exc.errors} if isinstance(exc, ValidationFailed) else {}
        return problem(status, title, exc.detail, **extra)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return problem(exc.code or 500, exc.name, exc.description or "")

    @app.errorhandler(UnknownService)
    def _unknown_service(exc: UnknownService):
        return problem(503, "Service unavailable", "a service needed for this request is not running")

    @app.errorhandler(RpcTimeout)
    def _timeout(exc: RpcTimeout):
        return problem(504, "Service timeout", "a service did not answer in time")

    @app.errorhandler(RemoteError)
    def _remote(exc: RemoteError):
        log.error("unexpected error in a service: %s", exc)
        return problem(500, "Internal error", "unexpected error; quote the correlation id to support")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error in the gateway")
        return problem(500, "Internal error", "unexpected error; quote the correlation id to support")
