"""The gateway's RPC client: many requests at once, one reply queue per process.

nameko's ``ClusterRpcClient`` is single-threaded and fixes its context data when it
is built; a web gateway needs concurrent calls, each with its own caller's context,
without setting up a reply queue per request (a broker round trip each time). This
client keeps one reply queue and one listener green thread for the whole process;
each call publishes with its own context headers and waits on its own event.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

import eventlet
from eventlet.event import Event as GreenEvent
from kombu import Connection, Consumer, Queue
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.exceptions import RpcTimeout, UnknownService, deserialize
from nameko.messaging import encode_to_headers
from nameko.rpc import get_rpc_exchange

from bassin_common import wire  # noqa: F401  (the services' domain errors arrive as themselves)
from bassin_common.tenancy import RequestContext

log = logging.getLogger(__name__)

REPLY_QUEUE_EXPIRY_MS = 300_000


class RpcReply:
    def __init__(self, client: RpcClient, correlation_id: str, timeout: float) -> None:
        self._client = client
        self._correlation_id = correlation_id
        self._timeout = timeout
        self._event = GreenEvent()

    def _deliver(self, body: dict[str, Any]) -> None:
        if not self._event.ready():
            self._event.send(body)

    def result(self) -> Any:
        try:
            with eventlet.Timeout(self._timeout, RpcTimeout(f"no reply within {self._timeout}s")):
                body = self._event.wait()
        finally:
            self._client._pending.pop(self._correlation_id, None)
        if body.get("error"):
            raise deserialize(body["error"])
        return body.get("result")


class RpcClient:
    def __init__(self, amqp_uri: str, timeout: float = 10.0, name: str = "gateway") -> None:
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self._routing_key = f"{name}-{uuid.uuid4()}"
        self._queue = Queue(
            f"rpc.reply-{self._routing_key}",
            exchange=get_rpc_exchange(),
            routing_key=self._routing_key,
            queue_arguments={"x-expires": REPLY_QUEUE_EXPIRY_MS},
        )
        self._publisher = Publisher(amqp_uri, exchange=get_rpc_exchange(), serializer="json")
        self._pending: dict[str, RpcReply] = {}
        self._listener: Any = None
        self._ready = GreenEvent()
        self._stopping = False

    def start(self) -> RpcClient:
        self._listener = eventlet.spawn(self._listen)
        with eventlet.Timeout(30, RuntimeError(f"cannot reach RabbitMQ at {self.amqp_uri}")):
            self._ready.wait()
        return self

    def stop(self) -> None:
        self._stopping = True
        if self._listener is not None:
            self._listener.wait()

    def call_async(self, context: RequestContext, service: str, method: str, *args: Any, **kwargs: Any) -> RpcReply:
        correlation_id = str(uuid.uuid4())
        reply = RpcReply(self, correlation_id, self.timeout)
        self._pending[correlation_id] = reply
        try:
            self._publisher.publish(
                {"args": args, "kwargs": kwargs},
                routing_key=f"{service}.{method}",
                mandatory=True,  # with confirms: a service with no queue fails now, not by timeout
                reply_to=self._routing_key,
                correlation_id=correlation_id,
                extra_headers=encode_to_headers(context.to_context_data()),
            )
        except UndeliverableMessage:
            self._pending.pop(correlation_id, None)
            raise UnknownService(service) from None
        return reply

    def call(self, context: RequestContext, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.call_async(context, service, method, *args, **kwargs).result()

    @staticmethod
    def gather(replies: Iterable[RpcReply]) -> list[Any]:
        """Results of calls already in flight (started with ``call_async``).

        Every reply is awaited, even after one failed, so none is left pending; then the
        first error is raised.
        """
        results: list[Any] = []
        first_error: Exception | None = None
        for reply in replies:
            try:
                results.append(reply.result())
            except Exception as error:
                results.append(None)
                first_error = first_error or error
        if first_error is not None:
            raise first_error
        return results

    def _on_reply(self, body: dict[str, Any], message: Any) -> None:
        message.ack()
        reply = self._pending.pop(message.properties.get("correlation_id"), None)
        if reply is not None:
            reply._deliver(body)

    def _listen(self) -> None:
        while not self._stopping:
            try:
                with Connection(self.amqp_uri) as connection:
                    channel = connection.channel()
                    with Consumer(channel, [self._queue], callbacks=[self._on_reply], accept=["json"]):
                        if not self._ready.ready():
                            self._ready.send()
                        while not self._stopping:
                            try:
                                connection.drain_events(timeout=1)
                            except TimeoutError:
                                connection.heartbeat_check()
            except Exception:
                if self._stopping:
                    break
                log.exception("RPC reply listener lost its connection; reconnecting")
                eventlet.sleep(1)
