"""RPC entrypoints and the schema boundary every entrypoint goes through."""

from __future__ import annotations

import functools
import logging

from amqp.exceptions import ConnectionError as AMQPConnectionError
from kombu.exceptions import OperationalError
from marshmallow import Schema, ValidationError
from nameko.rpc import Rpc, RpcConsumer

from sanbao_common.access import PERMISSIONS
from sanbao_common.errors import DomainError, InvalidInput

log = logging.getLogger("sanbao.rpc")


class ResilientRpcConsumer(RpcConsumer):
    """nameko replies, then acknowledges the request on the connection it came in on. If the
    broker went away in between, the socket error would escape from the worker and kill the whole
    container; but the broker has already put the unacknowledged request back in the queue, so
    there is nothing to do except let the reconnected consumer take it again. (Commands carry an
    idempotency key, so running one again returns its first outcome.)"""

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except (OSError, OperationalError, AMQPConnectionError) as exc:
            log.warning("could not reply to or acknowledge an RPC request: %s", exc)
            return result, exc_info


class ServiceRpc(Rpc):
    rpc_consumer = ResilientRpcConsumer()


def rpc(fn=None, *, permission: str | None = None, public: bool = False):
    """An RPC method: its caller's token is checked for `permission` before it runs (only sign-in
    itself is `public`), and its domain errors reach the caller as expected, never as bugs."""
    if fn is None:
        return functools.partial(rpc, permission=permission, public=public)
    if not public and permission not in PERMISSIONS:
        raise ValueError(f"{fn.__qualname__}: name a permission from sanbao_common.access")

    @functools.wraps(fn)
    def checked(self, *args, **kwargs):
        if not public:
            self.access.authenticate(permission)
        return fn(self, *args, **kwargs)

    checked.sanbao_permission = "public" if public else permission
    return ServiceRpc.decorator(expected_exceptions=DomainError)(checked)


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
