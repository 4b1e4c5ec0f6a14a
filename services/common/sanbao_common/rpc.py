"""RPC entrypoints and the schema boundary every entrypoint goes through.

Every request is measured before anything reads it. nameko's RPC consumer lets kombu decode each
delivery (JSON into Python objects) before nameko looks at it, and the token is checked later
still, in the worker; so anyone who may publish on the county's broker could make a service spend
seconds of CPU and hundreds of MiB on one large body, ten at a time (the prefetch). Here the
consumer takes each delivery undecoded, compares the size of its body in bytes with its method's
limit (`DEFAULT_MAX_REQUEST_BYTES`, or what `@rpc(max_request_bytes=...)` declares), and answers a
larger one with `RequestTooLarge` and acknowledges it without reading a byte of it: refused once,
never redelivered. A request over the default that its method's larger limit lets in has its
token checked first (it travels in the headers), so that only a caller the method admits can make
the service decode that much. Only then is the body decoded and the call handed to nameko.
docs/decisions/0013-request-size-limits.md says why both this and the broker's own
`max_message_size` (deploy/rabbitmq/rabbitmq.conf) are needed.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from types import SimpleNamespace

import kombu
from amqp.exceptions import ConnectionError as AMQPConnectionError
from amqp.exceptions import PreconditionFailed
from kombu.exceptions import OperationalError
from kombu.serialization import prepare_accept_content
from kombu.serialization import registry as serializers
from marshmallow import Schema, ValidationError
from nameko import serialization
from nameko.amqp.consume import Consumer
from nameko.messaging import decode_from_headers
from nameko.rpc import Rpc, RpcConsumer

from sanbao_common.access import PERMISSIONS, Authorization
from sanbao_common.errors import DomainError, InvalidInput, RequestTooLarge

log = logging.getLogger("sanbao.rpc")

MIB = 1024 * 1024
# What any method accepts unless it declares more. The largest ordinary requests measured, as
# nameko sends them (JSON with every Chinese character escaped to six bytes): 1,000 labourers
# (registry.register_labourers at its bound) 1.0 MiB with every roster column filled, 2.0 MiB with
# every text at its longest; a 500-line outflow proposal with every text at its longest 2.1 MiB;
# 5,000 inflows 1.3 MiB. 4 MiB leaves about twice the worst of them.
DEFAULT_MAX_REQUEST_BYTES = 4 * MIB
# The broker's max_message_size (deploy/rabbitmq/rabbitmq.conf): no method may declare more,
# since the broker would refuse the message before any consumer saw it.
BROKER_MAX_MESSAGE_BYTES = 16 * MIB
# Where a delivery's `compression` header is set aside (see _UndecodedConsumer).
COMPRESSION_SET_ASIDE = "x-sanbao-compression"


def size_of(body) -> int:
    """A body's size in bytes, as it came off the wire."""
    if body is None:
        return 0
    if isinstance(body, str):  # a transport that decoded it already
        return len(body.encode("utf-8", "surrogatepass"))
    return len(body)


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


class _UndecodedConsumer(kombu.Consumer):
    """kombu's consumer, made to pass each delivery on undecoded and uncompressed. kombu turns a
    delivery into a Message by first decompressing its body whenever the sender's `compression`
    header asks for it, before any callback could measure it: a 16 MiB zlib body would become
    16 GiB. The header is set aside under another name, so the body stays as sent and the RPC
    consumer refuses it (no client of ours compresses a request)."""

    def _receive_callback(self, message):
        properties = getattr(message, "properties", None)
        headers = properties.get("application_headers") if isinstance(properties, dict) else None
        if isinstance(headers, dict) and "compression" in headers:
            headers = dict(headers)
            headers[COMPRESSION_SET_ASIDE] = str(headers.pop("compression"))
            properties["application_headers"] = headers
        return super()._receive_callback(message)


class _ScreeningConsumer(Consumer):
    """nameko's consumer, but every delivery goes to `screen` undecoded (`screen` is set by the
    RPC consumer that owns it)."""

    screen = None

    def get_consumers(self, consumer_cls, channel):
        # py-amqp would decode each body to text before kombu sees it: keep the bytes, so that
        # the size is measured in bytes and nothing is converted before the check.
        channel.auto_decode = False
        consumer = _UndecodedConsumer(
            channel,
            queues=self.queues,
            on_message=self.on_raw_message,
            on_decode_error=self.on_unreadable,
            accept=self.accept,
            **self.consumer_options,
        )
        consumer.qos(prefetch_count=self.prefetch_count)
        return [consumer]

    def on_raw_message(self, message):
        if self.should_stop:
            self.requeue_message(message)
            return
        self.screen(message)

    def on_unreadable(self, message, exc):
        """kombu could not even make a Message of the delivery: screened like any other if it
        got that far, else dropped (acknowledged) so that it cannot come back."""
        if isinstance(message, kombu.Message):
            self.on_raw_message(message)
            return
        log.error("dropped an RPC delivery kombu could not read: %s", exc)
        message.channel.basic_ack(message.delivery_tag)


class ReplyTooLarge(DomainError):
    code = "REPLY_TOO_LARGE"
    message_en = "the answer is larger than the broker carries: ask for less at a time"
    message_zh = "应答内容超过消息代理允许的大小：请缩小查询范围"


class ResilientRpcConsumer(RpcConsumer):
    """The service's one RPC consumer: measures every request before it is decoded (module
    docstring), and survives what would otherwise kill the container.

    nameko replies, then acknowledges the request on the connection it came in on. If the
    broker went away in between, the socket error would escape from the worker and kill the whole
    container; but the broker has already put the unacknowledged request back in the queue, so
    there is nothing to do except let the reconnected consumer take it again. (Commands carry an
    idempotency key, so running one again returns its first outcome.) A reply the broker refuses
    as too large (over max_message_size) would kill it too, and the request, redelivered, would
    kill the next one: the caller is told `REPLY_TOO_LARGE` instead and the request acknowledged."""

    consumer_cls = _ScreeningConsumer

    def setup(self):
        super().setup()
        self.consumer.screen = self.screen

    def request_limit(self, routing_key: str) -> int:
        """The most bytes a request to `routing_key` may have (the default for a method the
        service does not have: nameko answers MethodNotFound after the check)."""
        for provider in self._providers:
            if f"{self.container.service_name}.{provider.method_name}" == routing_key:
                return getattr(provider, "max_request_bytes", DEFAULT_MAX_REQUEST_BYTES)
        return DEFAULT_MAX_REQUEST_BYTES

    def screen(self, message) -> None:
        """Every delivery, before anything has read it: refused whole if it is over its
        method's limit, compressed, or not JSON; else decoded and handed to nameko."""
        try:
            body = self._read(message)
        except DomainError as error:
            self._refuse(message, error)
            return
        except Exception as exc:  # a bug here must not kill the consumer, nor loop on redelivery
            log.exception("could not screen an RPC request; refusing it")
            self._refuse(message, exc)
            return
        self.handle_message(body, message)

    def _read(self, message):
        method = (message.delivery_info or {}).get("routing_key") or ""
        limit, size = self.request_limit(method), size_of(message.body)
        if size > limit:
            raise RequestTooLarge(
                message_en=f"the request is {_mib(size)}; {method} accepts at most {_mib(limit)}",
                message_zh=f"请求内容为 {_mib(size)}，{method} 最多接受 {_mib(limit)}",
                limit_bytes=limit,
                size_bytes=size,
            )
        if COMPRESSION_SET_ASIDE in (message.headers or {}):
            raise InvalidInput({"request": ["compressed requests are not accepted"]})
        if message.content_type not in self._accepted_types() or message.errors:
            raise InvalidInput({"request": [f"not {' or '.join(self._accepted_types())}"]})
        if size > DEFAULT_MAX_REQUEST_BYTES:
            self._check_caller_first(message, method)
        try:
            body = message.decode()
        except Exception as exc:  # whatever the decoder raises on a malformed body
            raise InvalidInput({"request": [f"cannot be read: {type(exc).__name__}"]}) from None
        if not (
            isinstance(body, dict)
            and isinstance(body.get("args"), list)
            and isinstance(body.get("kwargs"), dict)
        ):
            raise InvalidInput({"request": ["an object with args (a list) and kwargs (an object)"]})
        return body

    def _check_caller_first(self, message, routing_key: str) -> None:
        """A request over the default limit passed only thanks to its method's larger one (a
        roster import): its token is checked before the body is decoded, so that only a caller
        allowed to use that method can make the service decode that much. (The worker checks
        it again, as for any call; a token travels in the headers, apart from the body.)"""
        method = getattr(self.container.service_cls, routing_key.rpartition(".")[2], None)
        permission = getattr(method, "sanbao_permission", "public")
        authorization = next(
            (d for d in self.container.dependencies if isinstance(d, Authorization)), None
        )
        if permission == "public" or authorization is None:
            return
        caller = SimpleNamespace(data=decode_from_headers(message.headers or {}))
        access = authorization.get_dependency(caller)
        try:
            # In a context of its own: the consumer must not take on this caller as its actor.
            contextvars.copy_context().run(access.authenticate, permission)
        except DomainError:
            raise
        except Exception:  # e.g. the revocation list's database: the worker checks again
            log.exception("could not check the caller before decoding; the worker will")

    def _accepted_types(self) -> set[str]:
        return prepare_accept_content(self.consumer.accept)

    def _refuse(self, message, error: Exception) -> None:
        """Answer `error` and acknowledge: the request is never decoded, nor delivered again."""
        routing_key = (message.delivery_info or {}).get("routing_key")
        log.warning("RPC request to %s refused unread: %s", routing_key, error)
        if message.properties.get("content_type") not in self._accepted_types():
            # Answer in our own serialization whatever the request claimed to be.
            own = serialization.setup().serializer
            message.properties["content_type"] = serializers.name_to_type[own]
        if not message.properties.get("reply_to"):
            self.consumer.ack_message(message)  # nowhere to answer
            return
        try:
            self.handle_result(message, None, (type(error), error, None))
        except Exception:  # the refusal must never take the consumer down with it
            log.exception("could not answer a refused RPC request; acknowledging it")
            self.consumer.ack_message(message)

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except (OSError, OperationalError, AMQPConnectionError) as exc:
            log.warning("could not reply to or acknowledge an RPC request: %s", exc)
            return result, exc_info
        except PreconditionFailed as exc:
            if "max size" not in str(exc):
                raise
            return self._reply_too_large(message, exc)

    def _reply_too_large(self, message, refusal: PreconditionFailed):
        error = ReplyTooLarge(broker=str(refusal.reply_text or refusal))
        log.warning("RPC reply refused by the broker: %s", refusal)
        exc_info = (type(error), error, None)
        try:
            super().handle_result(message, None, exc_info)
        except Exception:  # no answer can be sent: at least do not take the request again
            log.exception("could not send REPLY_TOO_LARGE; acknowledging the request")
            self.consumer.ack_message(message)
        return None, exc_info


class ServiceRpc(Rpc):
    """nameko's RPC entrypoint on the resilient, measuring consumer; `max_request_bytes` is this
    method's size limit (`DEFAULT_MAX_REQUEST_BYTES` unless given)."""

    rpc_consumer = ResilientRpcConsumer()

    def __init__(self, max_request_bytes: int | None = None, **kwargs):
        self.max_request_bytes = check_request_limit(max_request_bytes)
        super().__init__(**kwargs)


def check_request_limit(max_request_bytes: int | None) -> int:
    if max_request_bytes is None:
        return DEFAULT_MAX_REQUEST_BYTES
    if (
        not isinstance(max_request_bytes, int)
        or isinstance(max_request_bytes, bool)
        or not 0 < max_request_bytes <= BROKER_MAX_MESSAGE_BYTES
    ):
        raise ValueError(
            f"max_request_bytes: 1 to {BROKER_MAX_MESSAGE_BYTES} (the broker's max_message_size)"
        )
    return max_request_bytes


def rpc(
    fn=None,
    *,
    permission: str | None = None,
    public: bool = False,
    max_request_bytes: int | None = None,
):
    """An RPC method: its caller's token is checked for `permission` before it runs (only sign-in
    itself is `public`), and its domain errors reach the caller as expected, never as bugs. Its
    request may be at most `max_request_bytes` (default `DEFAULT_MAX_REQUEST_BYTES`), checked
    before the request is decoded and so before the token: declare more only for a method that
    carries a file, e.g. `@rpc(permission=..., max_request_bytes=14 * 1024 * 1024)`."""
    limit = check_request_limit(max_request_bytes)
    if fn is None:
        return functools.partial(
            rpc, permission=permission, public=public, max_request_bytes=max_request_bytes
        )
    if not public and permission not in PERMISSIONS:
        raise ValueError(f"{fn.__qualname__}: name a permission from sanbao_common.access")

    @functools.wraps(fn)
    def checked(self, *args, **kwargs):
        if not public:
            self.access.authenticate(permission)
        check_no_nul([args, kwargs])
        return fn(self, *args, **kwargs)

    checked.sanbao_permission = "public" if public else permission
    checked.sanbao_max_request_bytes = limit
    return ServiceRpc.decorator(expected_exceptions=DomainError, max_request_bytes=limit)(checked)


def check_no_nul(value) -> None:
    """No text in a request holds a NUL character: PostgreSQL cannot store one (the query would
    fail as a bug, not as the caller's mistake), and no name, code or reference has one."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise InvalidInput({"request": ["text may not contain a NUL character (\\x00)"]})
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)


class UpstreamTimeout(DomainError):
    code = "UPSTREAM_TIMEOUT"
    message_en = "another service of the county did not answer in time"
    message_zh = "本县的另一项服务未及时响应"


def call_service(proxy, method: str, *args, **kwargs):
    """Call another service through a nameko `ServiceRpc`, giving up after RPC_TIMEOUT_SECONDS
    (every RPC call has a timeout; nameko's own have none)."""
    import eventlet
    from nameko import config as nameko_config

    timeout = nameko_config.get("RPC_TIMEOUT_SECONDS", 10)
    with eventlet.Timeout(timeout, UpstreamTimeout(method=method)):
        return getattr(proxy, method)(*args, **kwargs)


def load(schema: Schema, data) -> dict:
    """Validate RPC arguments; the caller gets every field's problem at once."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput({"_schema": ["expected an object"]})
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise InvalidInput(exc.messages) from None


def text_argument(value, field: str, most: int = 100, allowed=None) -> str:
    """A plain RPC argument that is text: 1 to `most` characters (one of `allowed` when given)."""
    if not isinstance(value, str) or not 1 <= len(value) <= most:
        raise InvalidInput({field: [f"a text of 1 to {most} characters"]})
    if allowed is not None and value not in allowed:
        raise InvalidInput({field: [f"one of {', '.join(allowed)}"]})
    return value


def optional_argument(value, field: str, allowed=None, most: int = 36) -> str | None:
    """A filter: None, or `text_argument`."""
    return None if value is None else text_argument(value, field, most, allowed)
