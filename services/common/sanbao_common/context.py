"""Who is acting and on behalf of which request: the correlation id and the actor.

Both travel with every RPC call (nameko context data, which nameko forwards on any call or event
a worker makes) and in every event envelope. A worker reads them when it starts; log lines and
the events it writes pick them up from here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from nameko import config as nameko_config
from nameko.extensions import DependencyProvider

# Kept with the log formatter, which must be importable before nameko is (sanbao_common.logs).
from sanbao_common.logs import actor_var, correlation_id_var

CORRELATION_ID_KEY = "correlation_id"
ACTOR_KEY = "actor"
ON_BEHALF_OF_KEY = "on_behalf_of"
ANONYMOUS_ACTOR = "anonymous"


def current_correlation_id() -> str | None:
    return correlation_id_var.get()


def new_correlation_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Caller:
    """Who asked, for which county, as part of which request: what a handler needs to know."""

    county: str
    actor: str
    correlation_id: str


# The longest actor an envelope carries (`sanbao_common.envelope`) and audit records keep.
MAX_ACTOR_LENGTH = 200


def on_behalf_of(service: str, county: str, actor: str, correlation_id: str) -> Caller:
    """A service acting because of an event: as itself, on behalf of the event's actor. Cut to
    the length every envelope and audit record holds, so that an event whose actor is already
    as long as allowed cannot make the service's own writes fail (and its handler roll back
    what else it applied) for good."""
    return Caller(county, f"system:{service} for {actor}"[:MAX_ACTOR_LENGTH], correlation_id)


class RequestContext(DependencyProvider):
    """Gives each worker its correlation id and actor, and leaves them on the worker's context
    so that nameko forwards them on any RPC call or event the worker makes."""

    def worker_setup(self, worker_ctx):
        data = worker_ctx.data
        correlation_id = data.get(CORRELATION_ID_KEY) or new_correlation_id()
        data[CORRELATION_ID_KEY] = correlation_id
        correlation_id_var.set(correlation_id)
        actor_var.set(data.get(ACTOR_KEY) or ANONYMOUS_ACTOR)

    def worker_teardown(self, worker_ctx):
        correlation_id_var.set(None)
        actor_var.set(None)

    def get_dependency(self, worker_ctx):
        return Context(worker_ctx)


class Context:
    """What an entrypoint knows about the request it serves."""

    def __init__(self, worker_ctx):
        self._worker_ctx = worker_ctx

    @property
    def correlation_id(self) -> str:
        return self._worker_ctx.data[CORRELATION_ID_KEY]

    @property
    def actor(self) -> str:
        return self._worker_ctx.data.get(ACTOR_KEY) or ANONYMOUS_ACTOR

    def caller(self) -> Caller:
        return Caller(nameko_config["COUNTY"], self.actor, self.correlation_id)

    @property
    def on_behalf_of(self) -> str | None:
        return self._worker_ctx.data.get(ON_BEHALF_OF_KEY)

    def adopt(self, event) -> None:
        """Act on an incoming event: as this service's system actor, on behalf of the actor the
        envelope names, within the request (correlation id) the event belongs to."""
        system_actor = f"system:{self._worker_ctx.service_name}"
        data = self._worker_ctx.data
        data[CORRELATION_ID_KEY] = event.correlation_id
        data[ACTOR_KEY] = system_actor
        data[ON_BEHALF_OF_KEY] = event.actor
        correlation_id_var.set(event.correlation_id)
        actor_var.set(f"{system_actor} for {event.actor}")
