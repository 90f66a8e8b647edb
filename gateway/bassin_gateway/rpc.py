"""The gateway's RPC client: many requests at once, one reply queue per process.

nameko's ``ClusterRpcClient`` is single-threaded and fixes its context data when it
is built; a web gateway needs concurrent calls, each with its own caller's context,
without setting up a reply queue per request (a broker round trip each time). This
client keeps one reply queue and one listener green thread for the whole process;
each call publishes with its own context headers and waits on its own event.

Every call has a deadline (``RequestContext.deadline``, UNIX time; the gateway gives all
the calls of one HTTP request the same one, else it is now + ``timeout``):

- the request is published with an AMQP expiry of the time left, so a request still
  queued when its caller has given up (its service down, say) is dropped by the broker,
  never run later;
- its reply is awaited until that deadline, not for a timeout of its own: ``gather``
  waits until the shared deadline in total, however many replies it collects.

Every request carries its context signed (``bassin_common.signing``): services refuse a
context that is not.

Requests are published on a few connections of the client's own, with publisher confirms
and ``publish_timeout`` for the whole of it (connect, send, confirm): a broker that is
unreachable, refuses the message or stops confirming (a memory or disk alarm) fails the
call with ``BrokerUnavailable`` (503) within that time instead of hanging. A connection
on which anything failed is dropped, never reused half-way through a confirm.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any

import amqp.exceptions
import eventlet
import kombu.exceptions
from eventlet.event import Event as GreenEvent
from eventlet.semaphore import Semaphore
from kombu import Connection, Consumer, Producer, Queue
from nameko.constants import NON_PERSISTENT as TRANSIENT
from nameko.exceptions import RpcTimeout, UnknownService, deserialize
from nameko.messaging import encode_to_headers
from nameko.rpc import get_rpc_exchange

from bassin_common import wire  # noqa: F401  (the services' domain errors arrive as themselves)
from bassin_common.config import load_settings
from bassin_common.logs import mask_secrets
from bassin_common.signing import ContextSigner
from bassin_common.tenancy import RequestContext

log = logging.getLogger(__name__)

REPLY_QUEUE_EXPIRY_MS = 300_000
PUBLISH_CONNECTIONS = 10  # requests published at once by one process
# How long the reply listener waits for a reply before it checks the heartbeat and whether
# it is stopping: ``stop`` waits up to that (1 s made every test's gateway teardown wait).
LISTEN_SECONDS = 0.2
# What a broker that is away, restarting, refusing or blocked raises while we publish.
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable; socket.timeout: no confirm in time
    amqp.exceptions.AMQPError,
    amqp.exceptions.MessageNacked,
    kombu.exceptions.OperationalError,
)


class BrokerUnavailable(Exception):
    """RabbitMQ did not take an RPC request in time: unreachable, refusing it, or not
    confirming it (an alarm). Nothing was run; the request may be tried again."""


class RpcReply:
    def __init__(self, client: RpcClient, correlation_id: str, deadline: float) -> None:
        self._client = client
        self._correlation_id = correlation_id
        self.deadline = deadline
        self._event = GreenEvent()

    def _deliver(self, body: dict[str, Any]) -> None:
        if not self._event.ready():
            self._event.send(body)

    def result(self) -> Any:
        """The reply, awaited until the call's deadline at most."""
        left = max(self.deadline - time.time(), 0.0)
        try:
            with eventlet.Timeout(left, RpcTimeout("no reply before the request's deadline")):
                body = self._event.wait()
        finally:
            self._client._pending.pop(self._correlation_id, None)
        if body.get("error"):
            raise deserialize(body["error"])
        return body.get("result")


class RpcClient:
    def __init__(
        self,
        amqp_uri: str,
        timeout: float = 10.0,
        name: str = "gateway",
        publish_timeout: float = 2.0,
        signer: ContextSigner | None = None,
    ) -> None:
        self.amqp_uri = amqp_uri
        self.signer = signer or ContextSigner.from_settings(load_settings())
        self.timeout = timeout
        self._routing_key = f"{name}-{uuid.uuid4()}"
        self._queue = Queue(
            f"rpc.reply-{self._routing_key}",
            exchange=get_rpc_exchange(),
            routing_key=self._routing_key,
            queue_arguments={"x-expires": REPLY_QUEUE_EXPIRY_MS},
        )
        self._publisher = _Publisher(amqp_uri, publish_timeout)
        self._pending: dict[str, RpcReply] = {}
        self._listener: Any = None
        self._ready = GreenEvent()
        self._stopping = False

    def start(self, timeout: float = 30) -> RpcClient:
        self._listener = eventlet.spawn(self._listen)
        try:
            with eventlet.Timeout(timeout, RuntimeError(f"cannot reach RabbitMQ at {mask_secrets(self.amqp_uri)}")):
                self._ready.wait()
        except RuntimeError:
            self._stopping = True
            self._listener.kill()
            raise
        return self

    def stop(self) -> None:
        self._stopping = True
        if self._listener is not None:
            self._listener.wait()
        self._publisher.close()

    def call_async(self, context: RequestContext, service: str, method: str, *args: Any, **kwargs: Any) -> RpcReply:
        """Publish a call; its reply is awaited with ``result()`` (or ``gather``).

        Raises ``UnknownService`` when no service consumes ``service``'s requests,
        ``BrokerUnavailable`` when RabbitMQ does not take the request, and ``RpcTimeout``
        when the deadline passes first; in every case nothing stays pending.
        """
        if context.deadline is None:
            context = dataclasses.replace(context, deadline=time.time() + self.timeout)
        correlation_id = str(uuid.uuid4())
        reply = RpcReply(self, correlation_id, context.deadline)
        self._pending[correlation_id] = reply  # before publishing: the reply may come first
        try:
            routed = self._publisher.publish(
                {"args": args, "kwargs": kwargs},
                deadline=context.deadline,
                routing_key=f"{service}.{method}",
                reply_to=self._routing_key,
                correlation_id=correlation_id,
                headers=encode_to_headers(self.signer.signed_context_data(context)),
            )
        except BaseException:
            self._pending.pop(correlation_id, None)
            raise
        if not routed:
            self._pending.pop(correlation_id, None)
            raise UnknownService(service)
        return reply

    def call(self, context: RequestContext, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.call_async(context, service, method, *args, **kwargs).result()

    @staticmethod
    def gather(replies: Iterable[RpcReply]) -> list[Any]:
        """Results of calls already in flight (started with ``call_async``).

        Every reply is awaited, even after one failed, so none is left pending; then the
        first error is raised. The calls of one request share its deadline, so the whole
        wait ends by then, however many replies there are.
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
                                connection.drain_events(timeout=LISTEN_SECONDS)
                            except TimeoutError:
                                connection.heartbeat_check()
            except Exception:
                if self._stopping:
                    break
                log.exception("RPC reply listener lost its connection; reconnecting")
                eventlet.sleep(1)


class _Link:
    """One connection that publishes RPC requests, confirmed by the broker."""

    def __init__(self, amqp_uri: str, timeout: float) -> None:
        self.connection = Connection(amqp_uri, connect_timeout=timeout, transport_options={"confirm_publish": True})
        self._returned: set[str] = set()
        try:
            self.connection.ensure_connection(max_retries=0)
            # mandatory=True: a request no queue takes comes back (before its confirm).
            self.producer = Producer(self.connection.channel(), get_rpc_exchange(), on_return=self._on_return)
        except BaseException:
            self.close()
            raise

    def _on_return(self, _exception: Any, _exchange: str, _routing_key: str, message: Any) -> None:
        self._returned.add(message.properties.get("correlation_id"))

    def publish(self, body: Any, *, deadline: float, timeout: float, correlation_id: str, **properties: Any) -> bool:
        """Publish and wait for the confirm; False if no queue took the message."""
        self.producer.publish(
            body,
            serializer="json",
            # Transient: a request lives at most until its deadline, so it needs no disk;
            # one lost with the broker is a timeout, retried with the same request id.
            delivery_mode=TRANSIENT,
            mandatory=True,
            # Dropped by the broker, unconsumed, once its caller no longer waits.
            expiration=max(deadline - time.time(), 0.001),
            correlation_id=correlation_id,
            timeout=timeout,
            confirm_timeout=timeout,
            **properties,
        )
        if correlation_id in self._returned:
            self._returned.discard(correlation_id)
            return False
        return True

    def close(self) -> None:
        # Without the closing handshake: the broker may be the one not answering.
        with contextlib.suppress(Exception):
            self.connection.collect()


class _Publisher:
    """At most ``size`` links publishing at once; an idle one is reused, a failed one dropped."""

    def __init__(self, amqp_uri: str, timeout: float, size: int = PUBLISH_CONNECTIONS) -> None:
        self._amqp_uri = amqp_uri
        self._timeout = timeout
        self._slots = Semaphore(size)
        self._idle: list[_Link] = []

    def publish(self, body: Any, *, deadline: float, **properties: Any) -> bool:
        budget = min(self._timeout, deadline - time.time())
        if budget <= 0:
            raise RpcTimeout("the request's deadline passed before the call")
        guard = eventlet.Timeout(budget)
        try:
            with self._slots:
                return self._publish(body, deadline=deadline, timeout=budget, **properties)
        except eventlet.Timeout as error:
            if error is not guard:
                raise
            failure: BaseException = error
        except BROKER_ERRORS as error:
            failure = error
        finally:
            guard.cancel()
        if time.time() >= deadline:
            raise RpcTimeout("the request's deadline passed while publishing") from failure
        log.warning("RabbitMQ did not take an RPC request: %r", failure)
        raise BrokerUnavailable(f"RabbitMQ did not take the request ({type(failure).__name__})") from failure

    def _publish(self, body: Any, **options: Any) -> bool:
        while True:
            reused = bool(self._idle)
            link = self._idle.pop() if reused else _Link(self._amqp_uri, options["timeout"])
            try:
                routed = link.publish(body, **options)
            except BaseException as error:
                link.close()
                if reused and _connection_lost(error):
                    continue  # it died while idle (a broker restart): try the next, or a new one
                raise
            self._idle.append(link)
            return routed

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


def _connection_lost(error: BaseException) -> bool:
    """A connection that was already dead: reset, closed by the broker — not a timeout."""
    if isinstance(error, TimeoutError):
        return False
    return isinstance(error, (OSError, amqp.exceptions.RecoverableConnectionError))
