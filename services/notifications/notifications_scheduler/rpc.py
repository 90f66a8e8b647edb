"""Calling a nameko service's RPC from outside nameko, with kombu alone.

nameko's wire protocol: the request goes to the ``nameko-rpc`` topic exchange with the
routing key ``<service>.<method>``, a body ``{"args": [...], "kwargs": {...}}``, the caller's
context as ``nameko.<key>`` headers, a ``correlation_id`` and a ``reply_to`` routing key;
the answer ``{"result": ..., "error": {exc_type, value...} | null}`` comes back through the
same exchange to a queue bound with that key. The request expires with the call's timeout
(the service does not run a call nobody waits for: the ``deadline`` in the context).
A company's call carries its context signed (``bassin_common.signing``), as every caller's.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kombu import Connection, Exchange, Producer, Queue

if TYPE_CHECKING:
    from bassin_common.signing import ContextSigner

RPC_EXCHANGE = Exchange("nameko-rpc", type="topic", durable=True)


class RpcTimeout(Exception):
    """No answer within the timeout (the service down, busy, or unknown)."""


class RemoteError(Exception):
    """The service answered with an error."""

    def __init__(self, exc_type: str, value: str) -> None:
        super().__init__(f"{exc_type}: {value}")
        self.exc_type, self.value = exc_type, value


class UnknownService(RemoteError):
    """No queue is bound for this service: it is not running (or does not exist)."""


class RpcClient:
    def __init__(self, amqp_uri: str, timeout: float = 60.0, signer: ContextSigner | None = None) -> None:
        self.amqp_uri, self.timeout = amqp_uri, timeout
        if signer is None:  # imported here: the Celery app itself stays free of the platform
            from bassin_common.config import load_settings
            from bassin_common.signing import ContextSigner

            signer = ContextSigner.from_settings(load_settings())
        self.signer = signer

    def call(
        self, service: str, method: str, *args: Any, context: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        reply_key = str(uuid.uuid4())
        correlation_id = str(uuid.uuid4())
        deadline = time.time() + self.timeout
        data = {**(context or {}), "deadline": deadline}
        if data.get("tenant_id"):  # a company's call (the ledger's calls have no tenant)
            from bassin_common.tenancy import RequestContext

            data = self.signer.signed_context_data(RequestContext.from_context_data(data))
        headers = {f"nameko.{k}": v for k, v in data.items() if v is not None}
        answer: dict[str, Any] = {}
        returned: list[Any] = []
        with Connection(self.amqp_uri, connect_timeout=10) as connection:
            channel = connection.channel()
            queue = Queue(
                f"rpc.reply-scheduler-{reply_key}",
                exchange=RPC_EXCHANGE,
                routing_key=reply_key,
                exclusive=True,
                auto_delete=True,
                channel=channel,
            )
            queue.declare()

            def on_reply(body: Any, message: Any) -> None:
                if message.properties.get("correlation_id") == correlation_id:
                    answer.update(body)
                message.ack()

            def on_return(exception: Any, exchange: Any, routing_key: str, message: Any) -> None:
                returned.append(routing_key)

            producer = Producer(channel, exchange=RPC_EXCHANGE, on_return=on_return)
            with connection.Consumer(queue, callbacks=[on_reply], accept=["json"]):
                producer.publish(
                    {"args": list(args), "kwargs": kwargs},
                    routing_key=f"{service}.{method}",
                    serializer="json",
                    reply_to=reply_key,
                    correlation_id=correlation_id,
                    headers=headers,
                    mandatory=True,
                    expiration=self.timeout,
                    delivery_mode="persistent",
                )
                while not answer:
                    if returned:
                        raise UnknownService("UnknownService", f"no service {service} is listening")
                    left = deadline - time.time()
                    if left <= 0:
                        raise RpcTimeout(f"{service}.{method}: no answer within {self.timeout}s")
                    try:
                        connection.drain_events(timeout=min(left, 1.0))
                    except TimeoutError:
                        continue
        if answer.get("error"):
            error = answer["error"]
            raise RemoteError(error.get("exc_type", "Error"), str(error.get("value", "")))
        return answer.get("result")
