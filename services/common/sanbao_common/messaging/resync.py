"""Resync: a publisher republishes the current state of its records to one consumer.

A replay (`outbox.replay_to_queue`) reaches back only as far as the outbox keeps events
(`OUTBOX_RETENTION_DAYS`). A consumer added later, or one whose copies lack fields added since,
asks each publisher for the *current* state of the records it follows instead: `sanbao events
resync <consumer>` calls `<publisher>.resync_events({"consumer": ...})` on every service whose
events that consumer subscribes to (`SUBSCRIPTIONS`). For each of those subscriptions that has a
resync source, the publisher pages through its records and publishes fresh envelopes (a new
`event_id`, the record's current `version`, its whole state in the payload the ordinary event
carries) to that consumer's queue only: routing key `replay.<queue>` on `<publisher>.events`, the
binding replays use, with publisher confirms. Nothing is written to the outbox: a resync is a
copy of state, not news, and no other consumer receives it.

A consumer needs nothing new: the events are the ordinary ones, their new ids pass its inbox,
and it keeps the highest version of each record, so what it already holds is not rolled back.
(dispatch's pool takes a state of the same version again, to fill fields added since.)

A service offers it with a provider, one RPC and a table of sources (event type -> source):

    resync = Resync(RESYNC_SOURCES)

    @rpc(permission="events.replay")
    def resync_events(self, request: dict) -> dict:
        return self.resync.to_consumer(request, self.context.caller())

The table's order is the order a resync publishes in (each queue is consumed on its own, but
what others are checked against, such as seals, had better go first). A source is
`source(uow, caller, after, limit) -> ResyncPage`: up to about `limit` records after the cursor
`after` (None: from the start), read in `uow` (read-only, one per page), as the envelopes the
service's own event helper builds for `caller` (the operator who asked: the events' actor and
correlation id), with the cursor of the next page or None after the last. A source whose records
must arrive in one order, and are few (seals), may return them in one page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import eventlet
from marshmallow import RAISE, Schema, fields, validate
from nameko import config as nameko_config
from nameko.extensions import DependencyProvider

from sanbao_common.context import Caller
from sanbao_common.db import Database, DatabaseHandle, UnitOfWork
from sanbao_common.envelope import EVENT_TYPE_PATTERN
from sanbao_common.errors import DomainError, InvalidInput
from sanbao_common.messaging.publisher import ConfirmedPublisher, Outgoing, PublishError
from sanbao_common.messaging.subscriptions import SUBSCRIPTIONS, Subscription
from sanbao_common.messaging.topology import events_exchange, replay_routing_key
from sanbao_common.rpc import load

log = logging.getLogger("sanbao.resync")

# Records per page: as many as registry puts in one labourer event (registration's EVENT_BATCH).
PAGE_RECORDS = 500
RESYNCED, NO_SOURCE = "resynced", "no_source"


@dataclass(frozen=True)
class ResyncPage:
    events: list[dict]  # JSON-ready envelopes, in the order they are to arrive
    records: int  # how many records they carry (a labourer event carries up to 500 people)
    after: str | None = None  # where the next page starts; None: this was the last one


Source = Callable[[UnitOfWork, Caller, str | None, int], ResyncPage]
Sources = Mapping[str, Source]


class ResyncFailed(DomainError):
    """The broker did not take every event: what was sent is harmless to send again."""

    code = "RESYNC_FAILED"
    message_en = "the resync stopped part way; what was sent is harmless to send again: run it"
    message_zh = "重新同步中途停止；已发送的事件重复发送无害，请再次运行"


class ResyncRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    consumer = fields.String(required=True, validate=validate.Length(min=1, max=32))
    event_types = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=50),
    )


def consumers() -> list[str]:
    return sorted({s.consumer for s in SUBSCRIPTIONS})


def subscriptions_for(consumer: str, source: str, event_types: list[str] | None = None):
    """The consumer's subscriptions to `source`'s events (only `event_types`, when given);
    InvalidInput naming what is wrong for a consumer or an event type that has none."""
    if consumer not in consumers():
        raise InvalidInput(
            {"consumer": [f"no consumer named {consumer!r}: one of {', '.join(consumers())}"]}
        )
    found = [s for s in SUBSCRIPTIONS if s.consumer == consumer and s.source == source]
    if not found:
        raise InvalidInput({"consumer": [f"{consumer} consumes none of {source}'s events"]})
    if event_types:
        unknown = sorted(set(event_types) - {s.event_type for s in found})
        if unknown:
            raise InvalidInput(
                {"event_types": [f"{consumer} consumes no {', '.join(unknown)} from {source}"]}
            )
        found = [s for s in found if s.event_type in event_types]
    return found


class Resyncer:
    """One service's resync: its database, its sources, its events exchange. Usable inside a
    nameko container (`Resync`) or on its own (tests, tools)."""

    def __init__(
        self,
        db: DatabaseHandle,
        source: str,
        amqp_uri: str,
        sources: Sources,
        *,
        page_records: int = PAGE_RECORDS,
    ):
        self.db = db
        self.source = source
        self.amqp_uri = amqp_uri
        self.sources = sources
        self.page_records = page_records

    def to_consumer(self, request: dict, caller: Caller) -> dict:
        """An operator's request: every subscription of the consumer to this service's events
        (or those of `event_types`) resynced in turn, in the order of the service's sources
        (what others are checked against first), then those without a source."""
        data = load(ResyncRequestSchema(), request)
        order = {event_type: position for position, event_type in enumerate(self.sources)}
        subscriptions = sorted(
            subscriptions_for(data["consumer"], self.source, data["event_types"]),
            key=lambda s: order.get(s.event_type, len(order)),
        )
        publisher = ConfirmedPublisher(self.amqp_uri)
        try:
            queues = [self._resync(publisher, s, caller) for s in subscriptions]
        finally:
            publisher.close()
        return {"consumer": data["consumer"], "source": self.source, "queues": queues}

    def _resync(self, publisher: ConfirmedPublisher, subscription: Subscription, caller) -> dict:
        reply = {"queue": subscription.queue, "event_type": subscription.event_type}
        produce = self.sources.get(subscription.event_type)
        if produce is None:
            return dict(reply, status=NO_SOURCE, records=0, events=0)
        records = events = 0
        after = None
        while True:
            with self.db.reader() as uow:
                page = produce(uow, caller, after, self.page_records)
            self._check(page, subscription, after)
            self._publish(publisher, subscription, page.events, sent=events)
            records, events = records + page.records, events + len(page.events)
            if page.after is None:
                break
            after = page.after
            eventlet.sleep(0)  # let the service answer other calls between pages
        log.info(
            "records resynced",
            extra={"queue": subscription.queue, "records": records, "events": events},
        )
        return dict(reply, status=RESYNCED, records=records, events=events)

    def _check(self, page: ResyncPage, subscription: Subscription, after: str | None) -> None:
        """A source's mistakes are bugs, stopped before anything of them is published."""
        for envelope in page.events:
            if envelope.get("type") != subscription.event_type or (
                envelope.get("source") != self.source
            ):
                raise RuntimeError(
                    f"the {subscription.event_type} resync source made a {envelope.get('type')} "
                    f"event of {envelope.get('source')}"
                )
        if page.after is not None and page.after == after:
            raise RuntimeError(f"the {subscription.event_type} resync source does not move on")

    def _publish(self, publisher, subscription: Subscription, envelopes: list, sent: int) -> None:
        if not envelopes:
            return
        messages = [
            Outgoing(
                key=index,
                exchange=events_exchange(self.source),
                routing_key=replay_routing_key(subscription.queue),
                body=json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode(),
                message_id=envelope["event_id"],
            )
            for index, envelope in enumerate(envelopes)
        ]
        try:
            outcome = publisher.publish(messages)
        except PublishError as exc:
            raise ResyncFailed(queue=subscription.queue, sent=sent, why=str(exc)) from None
        if outcome.returned:
            raise ResyncFailed(
                message_en=f"the queue {subscription.queue} is not bound for replays from "
                f"{self.source} (sanbao topology apply); run the resync again after",
                message_zh=f"队列 {subscription.queue} 未绑定 {self.source} 的重放路由"
                "（sanbao topology apply），之后请再次运行",
                queue=subscription.queue,
                sent=sent,
            )
        if outcome.nacked:
            raise ResyncFailed(queue=subscription.queue, sent=sent, why="the broker refused events")


class Resync(DependencyProvider):
    """Gives each worker the service's `Resyncer`, over its database, with `sources`."""

    def __init__(self, sources: Sources):
        for event_type in sources:
            if not EVENT_TYPE_PATTERN.match(event_type):
                raise ValueError(f"{event_type!r} is not an event type")
        self.sources = dict(sources)

    def setup(self):
        self._database = next(d for d in self.container.dependencies if isinstance(d, Database))

    def get_dependency(self, worker_ctx) -> Resyncer:
        return Resyncer(
            self._database.handle(),
            self.container.service_name,
            nameko_config["AMQP_URI"],
            self.sources,
        )
