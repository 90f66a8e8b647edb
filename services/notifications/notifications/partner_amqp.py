"""Partners on AMQP: each partner's own queue, and a RabbitMQ user that can read it and
nothing else.

For a partner of brand ``b`` in company ``t``, the service declares (as itself) the durable
queue ``partner.<t>.<b>`` bound to the ``bassin.partners`` topic exchange by the routing key
``<t>.<b>`` only, and creates through the broker's management API the user
``partner-<t>-<b>`` whose permissions on the vhost are: configure ``^$`` (it declares,
deletes and binds nothing), write ``^$`` (it publishes nothing, binds nothing: binding needs
write on the queue), read ``^partner\\.<t>\\.<b>$`` (it consumes its queue and no other). So a
manufacturer never reads another brand's returns, nor another company's, nor binds its
queue to them. The password is given once, when the partner is added.

Settings: ``BASSIN_RABBIT_MANAGEMENT_URI`` (the management API, with an administrator's
credentials), ``BASSIN_PARTNER_AMQP_HOST`` (the host:port partners connect to; the
service's broker by default). The vhost is the service's.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import urllib.parse
import urllib.request
import uuid
from typing import Any

from kombu import Connection, Exchange, Queue

from bassin_common.config import settings_from_nameko

EXCHANGE = Exchange("bassin.partners", type="topic", durable=True)
DEFAULT_MANAGEMENT_URI = "http://guest:guest@127.0.0.1:15672"


def names(tenant_id: uuid.UUID, brand: str) -> dict[str, str]:
    return {
        "queue": f"partner.{tenant_id}.{brand}",
        "routing_key": f"{tenant_id}.{brand}",
        "user": f"partner-{tenant_id}-{brand}",
    }


def _amqp_uri() -> str:
    return settings_from_nameko().amqp_uri


def _vhost(amqp_uri: str) -> str:
    path = urllib.parse.urlsplit(amqp_uri).path
    return urllib.parse.unquote(path[1:]) if len(path) > 1 else "/"


def _management(method: str, path: str, body: Any = None) -> None:
    parts = urllib.parse.urlsplit(os.environ.get("BASSIN_RABBIT_MANAGEMENT_URI", DEFAULT_MANAGEMENT_URI))
    base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}"
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"content-type": "application/json"},
    )
    credentials = f"{urllib.parse.unquote(parts.username or '')}:{urllib.parse.unquote(parts.password or '')}"
    request.add_header("Authorization", "Basic " + base64.b64encode(credentials.encode()).decode())
    with urllib.request.urlopen(request, timeout=10):
        pass


def provision(tenant_id: uuid.UUID, brand: str) -> dict[str, str]:
    """The partner's queue, its binding, its user and that user's permissions; returns what
    the partner connects with. Idempotent, except that the password is new each time."""
    named = names(tenant_id, brand)
    amqp_uri = _amqp_uri()
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        EXCHANGE(channel).declare()
        Queue(named["queue"], EXCHANGE, routing_key=named["routing_key"], durable=True)(channel).declare()
    vhost = _vhost(amqp_uri)
    password = secrets.token_urlsafe(24)
    quoted_user, quoted_vhost = urllib.parse.quote(named["user"], safe=""), urllib.parse.quote(vhost, safe="")
    _management("PUT", f"/api/users/{quoted_user}", {"password": password, "tags": ""})
    _management(
        "PUT",
        f"/api/permissions/{quoted_vhost}/{quoted_user}",
        {"configure": "^$", "write": "^$", "read": f"^{re.escape(named['queue'])}$"},
    )
    broker = urllib.parse.urlsplit(amqp_uri)
    host = os.environ.get("BASSIN_PARTNER_AMQP_HOST") or f"{broker.hostname}:{broker.port or 5672}"
    return {
        "amqp_user": named["user"],
        "amqp_password": password,
        "amqp_vhost": vhost,
        "amqp_queue": named["queue"],
        "amqp_uri": f"amqp://{quoted_user}:{urllib.parse.quote(password, safe='')}@{host}/{quoted_vhost}",
    }


def publish(tenant_id: uuid.UUID, brand: str, message_id: str, payload: dict[str, Any]) -> str:
    """Publish one return event to the partner's queue, persistent, confirmed by the broker."""
    named = names(tenant_id, brand)
    with Connection(_amqp_uri(), transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        producer.publish(
            payload,
            exchange=EXCHANGE,
            routing_key=named["routing_key"],
            serializer="json",
            delivery_mode="persistent",
            message_id=message_id,
            mandatory=True,
            declare=[EXCHANGE],
        )
    return f"published to {named['queue']}"


def delete_user(tenant_id: uuid.UUID, brand: str) -> None:
    _management("DELETE", f"/api/users/{urllib.parse.quote(names(tenant_id, brand)['user'], safe='')}")
