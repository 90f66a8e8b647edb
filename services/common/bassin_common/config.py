"""Typed settings read from a YAML file and the environment.

Precedence, lowest first: the defaults of the settings class, the YAML file named by
``BASSIN_CONFIG`` (values may use ``${VAR:default}``, as nameko's own config files do),
then ``BASSIN_<FIELD>`` environment variables.

``Settings`` holds what every service process needs; a component with settings of its
own (the gateway) extends it and loads its subclass with the same ``load_settings``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

_ENV_REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<default>[^}]*))?\}")
# The context key of a development machine and of in-process tests: published here, so a
# process that takes calls or events refuses to start with it (bassin_common.signing).
DEVELOPMENT_CONTEXT_KEY = "bassin-development-context-key-published-never-use-it"


@dataclasses.dataclass(frozen=True)
class Settings:
    # PostgreSQL server URL without a database name; each service appends its own. A
    # service's credentials are the runtime ones: a login that owns nothing and is only a
    # member of ``database_role`` (the migration step creates it from this URL, ADR 0033).
    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432"
    # The migration step's URL (the owner of the tables, allowed to create databases and
    # roles); only the migration step is given it. "" migrates with ``database_url``.
    migration_database_url: str = ""
    database_prefix: str = "bassin_"
    # Services act in PostgreSQL as this role (SET ROLE on each connection), a role without
    # superuser or BYPASSRLS, so the row-level security policies apply; "" turns it off.
    database_role: str = "bassin_service"
    # The secret a service signs its transaction's tenant with (HMAC-SHA256), which the
    # row-level security policies verify: SQL run through a service's connection cannot
    # name another tenant. The migration step writes it (and the previous one, accepted
    # during a rotation) into each database (ADR 0033).
    database_tenant_key: str = ""
    database_previous_tenant_key: str = ""
    amqp_uri: str = "pyamqp://guest:guest@127.0.0.1:5672/"
    # Seconds between attempts of a failing event handler; one retry per entry,
    # then the message goes to the handler's dead-letter queue.
    retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0)
    outbox_poll_interval: float = 1.0
    outbox_batch_size: int = 100
    # Seconds the relay, woken by a commit, waits for more before it claims its batch: under
    # load one claim and one mark serve the rows of several commits (0: claim at once).
    outbox_gather_window: float = 0.01
    # Seconds a relay's lease on the rows it publishes outlasts its confirm timeout: a relay
    # that dies mid-batch delays its rows by at most both (another takes them then).
    outbox_lease_margin: float = 5.0
    # The relay's wait after a failure doubles up to this, so it resumes within about this
    # long once the broker or the database is back.
    outbox_max_backoff: float = 2.0
    # A row the broker refuses this many times (its exchange deleted, say) is set aside,
    # for ``bassin-outbox list|replay``, instead of holding back the rows behind it.
    outbox_max_attempts: int = 10
    # Retention, in days, of what the relay's hourly housekeeping purges: published outbox
    # rows, processed events (the inbox: longer than any redelivery or replay), processed
    # RPC requests (how long a request id is remembered).
    outbox_retention_days: float = 7.0
    inbox_retention_days: float = 30.0
    request_retention_days: float = 7.0
    # Seconds. PostgreSQL: to connect; for one statement; waiting for a lock; a session
    # left idle inside a transaction (0 turns one off). Migrations use only the first.
    database_connect_timeout: float = 5.0
    database_statement_timeout: float = 15.0
    database_lock_timeout: float = 5.0
    database_idle_in_transaction_timeout: float = 60.0
    # Seconds to wait for RabbitMQ to confirm a publish (outbox, RPC replies, retries).
    amqp_confirm_timeout: float = 10.0
    # HMAC keys of the call and event contexts (bassin_common.signing), comma-separated:
    # contexts are signed with the first, accepted with any (rotation: docs/operations.md).
    context_keys: tuple[str, ...] = (DEVELOPMENT_CONTEXT_KEY,)
    # Deliveries of an event without its consumer settling it (its process died each
    # time) before its queue dead-letters it: the bassin-delivery-limit policy that the
    # topology step sets through the management API (bassin_common.quorum). That API is at
    # the AMQP URI's host, port 15672, with its credentials, unless set here; "off": the
    # policy is managed elsewhere (the prod overlay's Policy resource).
    delivery_limit: int = 5
    rabbit_management_uri: str = ""
    max_workers: int = 10
    log_level: str = "INFO"
    log_format: str = "json"
    # The service process's health and metrics port (bassin_common.observability): 0
    # serves nothing (tests, ./bassin start); the images listen on 0.0.0.0:8080.
    http_host: str = "127.0.0.1"
    http_port: int = 0
    # Sending e-mail (bassin_common.mail). Without a host, each message is logged instead
    # ("console" mode, for development: never where the logs are shared).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "Bassin <ne-pas-repondre@bassin.invalid>"
    smtp_security: str = "starttls"  # starttls, tls (implicit, port 465) or none
    smtp_timeout: float = 10.0

    def database_name(self, service: str) -> str:
        return f"{self.database_prefix}{service}"

    def service_database_url(self, service: str) -> str:
        return f"{self.database_url.rstrip('/')}/{self.database_name(service)}"

    def migration_service_database_url(self, service: str) -> str:
        """A service's database as the migration step reaches it (the tables' owner)."""
        server = self.migration_database_url or self.database_url
        return f"{server.rstrip('/')}/{self.database_name(service)}"

    def replace(self, **changes: Any) -> Any:
        return dataclasses.replace(self, **changes)


SettingsT = TypeVar("SettingsT", bound=Settings)


def _coerce(field: dataclasses.Field[Any], raw: Any) -> Any:
    kind = field.type
    if kind == "tuple[float, ...]":
        if isinstance(raw, str):
            raw = [part for part in raw.split(",") if part.strip()]
        return tuple(float(part) for part in raw)
    if kind == "tuple[str, ...]":
        parts = raw.split(",") if isinstance(raw, str) else raw
        return tuple(str(part).strip() for part in parts if str(part).strip())
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    return str(raw)


def _interpolate(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _ENV_REFERENCE.sub(lambda m: env.get(m["name"], m["default"] or ""), value)
    if isinstance(value, dict):
        return {key: _interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item, env) for item in value]
    return value


def read_yaml(path: str | Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read a YAML file, replacing ``${VAR:default}`` with environment values."""
    document = yaml.safe_load(Path(path).read_text()) or {}
    return _interpolate(document, os.environ if env is None else env)


def load_settings(env: Mapping[str, str] | None = None, kind: type[SettingsT] = Settings) -> SettingsT:  # type: ignore[assignment]
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    if config_path := env.get("BASSIN_CONFIG"):
        values.update({k.lower(): v for k, v in read_yaml(config_path, env).items()})
    known = {field.name: field for field in dataclasses.fields(kind)}
    for name in known:
        if (raw := env.get(f"BASSIN_{name.upper()}")) is not None:
            values[name] = raw
    unknown = set(values) - set(known)
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
    return kind(**{name: _coerce(known[name], raw) for name, raw in values.items()})


def settings_from_nameko() -> Settings:
    """A service process's settings: the environment's, with nameko's own config winning
    where they overlap (its ``AMQP_URI``; tests also pass ``DATABASE_PREFIX`` and the
    runtime ``DATABASE_URL`` there)."""
    from nameko import config as nameko_config

    settings = load_settings()
    if amqp_uri := nameko_config.get("AMQP_URI"):
        settings = settings.replace(amqp_uri=amqp_uri)
    if database_url := nameko_config.get("DATABASE_URL"):
        settings = settings.replace(database_url=database_url)
    if database_prefix := nameko_config.get("DATABASE_PREFIX"):
        settings = settings.replace(database_prefix=database_prefix)
    if max_workers := nameko_config.get("max_workers"):
        settings = settings.replace(max_workers=int(max_workers))
    return settings
