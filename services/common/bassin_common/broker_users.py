"""Each component's own RabbitMQ user, allowed its own exchanges and queues and no others.

RabbitMQ grants a user three regular expressions per vhost, matched against the name of
the exchange or queue an operation touches (the default exchange is ``amq.default``):

- configure: declare (not passively) or delete it;
- write: publish to an exchange; be the destination of a binding (a queue being bound);
- read: consume from a queue; be the source of a binding (the exchange a queue is bound to).

What a service ``S`` touches at run time (its topology is declared beforehand by the
one-shot step ``bassin-topology``, as an administrator; ``topology.ensure`` at start only
checks it and re-binds its own queues):

============================  =========  =====  ====  =====================================
resource                      configure  write  read  why
============================  =========  =====  ====  =====================================
``S.events``                                 x         its outbox relay publishes its events
``S.retry``                                  x     x   failed events go to its retry queues;
                                                       its queues are bound to it
``P.events`` it subscribes to                      x   its queues are bound to them
``evt-P-E--S.h`` (+ ``.retry.N``,  x          x     x   nameko declares and consumes them;
``.dead``)                                             bindings need write on the queue
``rpc-S``                         x          x     x   nameko's RPC consumer
``rpc.reply-S-*``                 x          x     x   its reply queues (RPC calls it makes)
``nameko-rpc``                    x          x     x   every nameko process declares it; calls
                                                       and replies are published to it
============================  =========  =====  ====  =====================================

So a service cannot publish to another's events exchange, nor (no write on
``amq.default``) put a message straight into another's queue, nor consume another's queue,
nor bind a queue of its own to an exchange it does not subscribe to. ``nameko-rpc`` is
the one shared exchange anyone may configure, because nameko declares it (not passively)
in every RPC consumer and reply listener; write on it is what an RPC call is. The context
that travels with a call is what tells who may do what (``RequestContext``).

The gateway calls RPCs and reads the services' events, on a queue of each gateway
process's own (``gateway.overview-cache-<uuid>``, exclusive), to keep its customer-360
cache fresh (ADR 0032): read on every ``S.events``, write on none. The scheduler only
calls RPCs; it is also a Celery worker and beat, whose broker is the same RabbitMQ (its
queue ``bassin.scheduler`` and Celery's own ``celery*`` exchanges and queues). A service
declares the extra exchanges and queues of its own it uses outside this scheme
(notifications: ``bassin.partners``) as ``broker_resources`` on its class: regular
expressions granted in full.

``bassin-broker-users`` creates or updates the users and their permissions through the
management API (idempotent); each component's password comes from
``BASSIN_AMQP_PASSWORD_<COMPONENT>``. Kubernetes does the same with the messaging-topology
operator's ``User`` and ``Permission`` resources (``deploy/k8s/overlays/prod``), whose
regular expressions are these, written by ``./bassin generate``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from bassin_common.registry import ServiceInfo, installed_services
from bassin_common.topology import event_exchange, retry_exchange

USER_PREFIX = "bassin-"
RPC_EXCHANGE = "nameko-rpc"
GATEWAY = "gateway"
SCHEDULER = "scheduler"
# The gateway's overview cache's queues (bassin_gateway.overview_cache), one per process.
GATEWAY_EVENT_QUEUES = r"gateway\.overview-cache-[0-9a-f-]+"
# Celery's broker resources: its task queue and exchange, the worker's control (pidbox)
# and event (celeryev) exchanges and queues.
CELERY_RESOURCES = (
    r"bassin\.scheduler",
    r"celery(ev)?",
    r"celeryev\..+",
    r"celery\.pidbox",
    r"reply\.celery\.pidbox",
    r".+\.(reply\.)?celery\.pidbox",
)


@dataclass(frozen=True)
class Permissions:
    """One user's three regular expressions on one vhost."""

    configure: str
    write: str
    read: str


def _literal(name: str) -> str:
    return re.escape(name).replace("\\-", "-")  # "-" means itself outside a character set


def _any_of(names: Iterable[str] = (), patterns: Iterable[str] = ()) -> str:
    parts = sorted({_literal(name) for name in names}) + sorted(set(patterns))
    return f"^({'|'.join(parts)})$" if parts else "^$"


def _rpc_client(component: str) -> list[str]:
    """What making RPC calls takes: reply queues named after the component."""
    return [rf"rpc\.reply-{_literal(component)}-.+"]


def service_permissions(service: ServiceInfo) -> Permissions:
    """What ``service`` may do, derived from its registration (see the table above)."""
    name = service.name
    # Its consumer queues, whoever they subscribe to (``Subscription.queue_name``): what
    # they can be bound to is what its read permission allows.
    own_queues = [rf"evt-[^.]+--{_literal(name)}\.[^.]+(\.retry\.[0-9]+|\.dead)?"] if service.subscriptions else []
    queues = [*own_queues, *_rpc_client(name), _literal(f"rpc-{name}")]
    extra = list(getattr(service.service_class, "broker_resources", ()))
    retry = retry_exchange(name).name
    producers = {event_exchange(s.producer).name for s in service.subscriptions}
    return Permissions(
        configure=_any_of([RPC_EXCHANGE], [*queues, *extra]),
        write=_any_of([RPC_EXCHANGE, event_exchange(name).name, retry], [*queues, *extra]),
        read=_any_of([RPC_EXCHANGE, retry, *producers], [*queues, *extra]),
    )


def client_permissions(component: str, extra: Iterable[str] = ()) -> Permissions:
    """A component that only calls RPCs (the gateway), plus ``extra`` resources."""
    patterns = [*_rpc_client(component), *extra]
    everything = _any_of([RPC_EXCHANGE], patterns)
    return Permissions(configure=everything, write=everything, read=everything)


def gateway_permissions(services: Iterable[ServiceInfo]) -> Permissions:
    """RPC calls, and its overview cache's own queues bound to every service's events."""
    calls = client_permissions(GATEWAY, [GATEWAY_EVENT_QUEUES])
    exchanges = [event_exchange(service.name).name for service in services]
    return Permissions(
        configure=calls.configure,
        write=calls.write,
        read=_any_of([RPC_EXCHANGE, *exchanges], [*_rpc_client(GATEWAY), GATEWAY_EVENT_QUEUES]),
    )


def component_permissions(services: Iterable[ServiceInfo] | None = None) -> dict[str, Permissions]:
    """Every component's permissions: each installed service, the gateway, the scheduler."""
    services = list(services or installed_services())
    found = {service.name: service_permissions(service) for service in services}
    found[GATEWAY] = gateway_permissions(services)
    found[SCHEDULER] = client_permissions(SCHEDULER, CELERY_RESOURCES)
    return found


def username(component: str, prefix: str = USER_PREFIX) -> str:
    return f"{prefix}{component}"


def component_uri(amqp_uri: str, user: str, password: str) -> str:
    """``amqp_uri`` (its host and vhost) with ``user``'s credentials."""
    parts = urllib.parse.urlsplit(amqp_uri)
    credentials = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}"
    host = parts.hostname or "127.0.0.1"
    netloc = f"{credentials}@{host}:{parts.port}" if parts.port else f"{credentials}@{host}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def vhost_of(amqp_uri: str) -> str:
    path = urllib.parse.urlsplit(amqp_uri).path
    return urllib.parse.unquote(path[1:]) if len(path) > 1 else "/"


class Management:
    """The few calls of RabbitMQ's management HTTP API that users and vhosts take."""

    def __init__(self, management_uri: str) -> None:
        parts = urllib.parse.urlsplit(management_uri)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api"
        credentials = f"{urllib.parse.unquote(parts.username or '')}:{urllib.parse.unquote(parts.password or '')}"
        self.authorization = "Basic " + base64.b64encode(credentials.encode()).decode()

    def call(self, method: str, path: str, body: Any = None, missing_ok: bool = False) -> None:
        request = urllib.request.Request(
            self.base + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"content-type": "application/json", "authorization": self.authorization},
        )
        try:
            with urllib.request.urlopen(request, timeout=10):
                pass
        except urllib.error.HTTPError as error:
            if not (missing_ok and error.code == 404):
                raise

    @staticmethod
    def quoted(name: str) -> str:
        return urllib.parse.quote(name, safe="")

    def put_user(self, user: str, password: str) -> None:
        self.call("PUT", f"/users/{self.quoted(user)}", {"password": password, "tags": ""})

    def delete_user(self, user: str) -> None:
        self.call("DELETE", f"/users/{self.quoted(user)}", missing_ok=True)

    def put_permissions(self, vhost: str, user: str, permissions: Permissions) -> None:
        self.call("PUT", f"/permissions/{self.quoted(vhost)}/{self.quoted(user)}", asdict(permissions))


def apply(
    management: Management,
    vhost: str,
    passwords: Mapping[str, str],
    permissions: Mapping[str, Permissions],
    prefix: str = USER_PREFIX,
) -> list[str]:
    """Create or update each component's user (its password) and its permissions on
    ``vhost``; idempotent. Returns the user names."""
    users = []
    for component, granted in permissions.items():
        user = username(component, prefix)
        management.put_user(user, passwords[component])
        management.put_permissions(vhost, user, granted)
        users.append(user)
    return users


def password_variable(component: str) -> str:
    return f"BASSIN_AMQP_PASSWORD_{component.upper()}"


def main(argv: list[str] | None = None) -> int:
    """``bassin-broker-users``: each component's RabbitMQ user and permissions, created or
    updated (its password from ``BASSIN_AMQP_PASSWORD_<COMPONENT>``)."""
    parser = argparse.ArgumentParser(prog="bassin-broker-users", description=main.__doc__)
    parser.add_argument("components", nargs="*", help="only these (default: every one known here)")
    parser.add_argument("--management-uri", default=os.environ.get("BASSIN_RABBIT_MANAGEMENT_URI"))
    parser.add_argument("--vhost", default=os.environ.get("BASSIN_AMQP_VHOST", "/"))
    parser.add_argument("--prefix", default=USER_PREFIX, help=f"of the user names ({USER_PREFIX})")
    parser.add_argument("--show", action="store_true", help="print the permissions as JSON; change nothing")
    args = parser.parse_args(argv)
    permissions = component_permissions()
    if unknown := set(args.components) - set(permissions):
        parser.error(f"unknown component(s) here: {', '.join(sorted(unknown))} (known: {', '.join(permissions)})")
    if args.components:
        permissions = {c: p for c, p in permissions.items() if c in args.components}
    if args.show:
        print(json.dumps({username(c, args.prefix): asdict(p) for c, p in permissions.items()}, indent=2))
        return 0
    if not args.management_uri:
        parser.error("--management-uri or BASSIN_RABBIT_MANAGEMENT_URI is required")
    missing = [password_variable(c) for c in permissions if not os.environ.get(password_variable(c))]
    if missing:
        parser.error(f"missing passwords: {', '.join(missing)}")
    passwords = {c: os.environ[password_variable(c)] for c in permissions}
    users = apply(Management(args.management_uri), args.vhost, passwords, permissions, args.prefix)
    print(f"{len(users)} broker user(s) up to date on vhost {args.vhost}: {', '.join(users)}")
    return 0
