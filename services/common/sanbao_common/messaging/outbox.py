"""The transactional outbox and its relay.

A handler writes its events into the `outbox` table inside the same unit of work as the state
change (`write_events`): an event exists if and only if its transaction committed. The relay
publishes committed rows with confirms and marks them published; rows stay for the retention
period (`retention.py`) so a consumer added later can ask for a replay.

Several relays (replicas of the service) may run at once. Each claims a batch of pending rows
(`claims.py`: `FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite) and renews its
claim while it publishes them, so two live relays never publish the same row at the same time,
and the rows of a relay that died are taken over within `OUTBOX_CLAIM_SECONDS` (at once when
its process, on the same host, is gone). Delivery is at least once: a relay that dies after the
broker confirmed but before it marked the rows publishes them again later, and consumers'
inboxes absorb that.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import eventlet
from eventlet.event import Event
from marshmallow import RAISE, Schema, fields
from nameko import config as nameko_config
from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge
from sqlalchemy import func, insert, select

from sanbao_common.db import Database, DatabaseHandle, UnitOfWork
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.claims import (
    DEFAULT_CLAIM_SECONDS,
    Claims,
    claimant_name,
    process_is_gone,
    utcnow,
)
from sanbao_common.messaging.publisher import ConfirmedPublisher, Outgoing, PublishError
from sanbao_common.messaging.subscriptions import SUBSCRIPTIONS, routed_event_types
from sanbao_common.messaging.tables import OUTBOX
from sanbao_common.messaging.topology import events_exchange, replay_routing_key
from sanbao_common.rpc import load

log = logging.getLogger("sanbao.outbox")

DEFAULT_BATCH = 500
UNROUTABLE_RETRY_SECONDS = 30
POLL_SECONDS = 0.5
GAUGE_REFRESH_SECONDS = 1.0

_relay_metrics: dict[str, dict] = {}


def relay_metrics(service: str) -> dict:
    if service not in _relay_metrics:
        p = f"sanbao_{service}_outbox"
        _relay_metrics[service] = {
            "published": Counter(f"{p}_published_total", "Events the broker confirmed"),
            "unroutable": Counter(
                f"{p}_unroutable_total", "Events returned although consumers subscribe to them"
            ),
            "failures": Counter(f"{p}_publish_failures_total", "Publish attempts that failed"),
            "backlog": Gauge(f"{p}_backlog", "Committed events not yet published"),
            "oldest": Gauge(
                f"{p}_oldest_pending_seconds", "Age of the oldest committed, unpublished event"
            ),
        }
    return _relay_metrics[service]


_INSERT = insert(OUTBOX)  # built once: hot path of every command that publishes


def write_events(uow: UnitOfWork, envelopes: list[dict]) -> None:
    """Store events in the outbox inside the caller's transaction."""
    if not envelopes:
        return
    now = utcnow()
    uow.connection.execute(
        _INSERT,
        [
            {
                "event_id": envelope["event_id"],
                "event_type": envelope["type"],
                "record_id": envelope.get("record_id"),
                "body": json.dumps(envelope, ensure_ascii=False, separators=(",", ":")),
                "created_at": now,
            }
            for envelope in envelopes
        ],
    )
    uow.outbox_written = True


class Relay:
    """Publishes one service's outbox. Usable inside a nameko container (`OutboxRelay`) or on
    its own (benchmarks, tools)."""

    def __init__(
        self,
        db: DatabaseHandle,
        source: str,
        amqp_uri: str,
        *,
        batch_size: int = DEFAULT_BATCH,
        claim_seconds: float = DEFAULT_CLAIM_SECONDS,
        clock: Callable[[], datetime] = utcnow,
        is_gone: Callable[[int], bool] = process_is_gone,
    ):
        self.db = db
        self.outbox = OUTBOX
        self.source = source
        self.amqp_uri = amqp_uri
        self.batch_size = batch_size
        self.name = claimant_name()
        self.claims = Claims(db, self.name, seconds=claim_seconds, clock=clock, is_gone=is_gone)
        self.metrics = relay_metrics(source)
        self._publisher = ConfirmedPublisher(amqp_uri)
        self._wake = Event()
        self._stopping = False
        self._gauges_at = 0.0

    # -- loop --------------------------------------------------------------------------------

    def wake(self) -> None:
        if not self._wake.ready():
            self._wake.send(True)

    def stop(self) -> None:
        self._stopping = True
        self.wake()

    def run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                published = self.run_once()
                failures = 0
            except PublishError as exc:
                failures += 1
                self.metrics["failures"].inc()
                delay = min(10.0, 0.25 * 2**failures)
                log.warning("relay cannot publish, retrying in %.1f s: %s", delay, exc)
                self._sleep(delay)
                continue
            except Exception:
                failures += 1
                log.exception("relay iteration failed")
                self._sleep(min(30.0, 0.5 * 2**failures))
                continue
            self._housekeeping()
            if published < self.batch_size:
                self._sleep(POLL_SECONDS)
        self._publisher.close()

    def _sleep(self, seconds: float) -> None:
        with eventlet.Timeout(seconds, False):
            self._wake.wait()
        if self._wake.ready():
            self._wake.reset()

    def run_once(self) -> int:
        """Claim a batch, publish it, record the outcome; the number of rows published."""
        rows = self.claims.claim(self.batch_size)
        if not rows:
            return 0
        positions = [row.position for row in rows]
        done = Event()
        heartbeat = eventlet.spawn(self._keep_claimed, positions, done)
        try:
            return self._publish(rows)
        finally:
            done.send(True)
            heartbeat.wait()

    def _keep_claimed(self, positions: list, done: Event) -> None:
        """Renew the claim on a batch in flight until `done`, however long the broker takes."""
        while True:
            with eventlet.Timeout(self.claims.renew_every, False):
                done.wait()
            if done.ready():
                return
            try:
                self.claims.renew(positions)
            except Exception:  # the next beat tries again; the claim lapses only if all fail
                log.exception("could not renew the claim on outbox rows")

    def _publish(self, rows) -> int:
        by_position = {row.position: row for row in rows}
        messages = [
            Outgoing(
                key=row.position,
                exchange=events_exchange(self.source),
                routing_key=row.event_type,
                body=row.body.encode("utf-8"),
                message_id=row.event_id,
            )
            for row in rows
        ]
        try:
            outcome = self._publisher.publish(messages)
        except PublishError:
            self._release([row.position for row in rows], retry_in=0)
            raise
        routed = routed_event_types(self.source)
        done = list(outcome.confirmed)
        stranded = []
        for position in outcome.returned:
            if by_position[position].event_type in routed:
                stranded.append(position)
            else:
                done.append(position)  # no consumer subscribes; kept in the outbox for replays
        marked = self.claims.mark_published(done)
        if marked < len(done):
            log.warning(
                "outbox rows were taken over by another relay while this one published them (a "
                "stall longer than OUTBOX_CLAIM_SECONDS?): both published them, and consumers "
                "drop the duplicates",
                extra={"count": len(done) - marked},
            )
        if stranded:
            self.metrics["unroutable"].inc(len(stranded))
            log.error(
                "events returned unroutable although consumers subscribe to them; is the "
                "topology declared? (sanbao topology apply)",
                extra={"count": len(stranded)},
            )
            self._release(stranded, retry_in=UNROUTABLE_RETRY_SECONDS)
        if outcome.nacked:
            self._release(outcome.nacked, retry_in=0)
        self.metrics["published"].inc(len(done))
        return len(done)

    # -- storage -----------------------------------------------------------------------------

    def _release(self, positions: list, retry_in: float) -> None:
        try:
            self.claims.release(positions, retry_in)
        except Exception:  # the claim lapses anyway; never hide the error that brought us here
            log.exception("could not release claimed outbox rows")

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._gauges_at >= GAUGE_REFRESH_SECONDS:
            self._gauges_at = now
            self.refresh_gauges()

    def pending(self) -> tuple[int, datetime | None]:
        t = self.outbox.c
        with self.db.reader() as uow:
            count, oldest = uow.connection.execute(
                select(func.count(), func.min(t.created_at)).where(t.published_at.is_(None))
            ).one()
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return count, oldest

    def refresh_gauges(self) -> None:
        count, oldest = self.pending()
        self.metrics["backlog"].set(count)
        self.metrics["oldest"].set((utcnow() - oldest).total_seconds() if oldest else 0)

    # -- replay ------------------------------------------------------------------------------

    def replay(
        self, queue: str, *, since: datetime | None = None, event_types: list[str] | None = None
    ) -> int:
        """Publish again, to one consumer queue only, the events still in the outbox."""
        t = self.outbox.c
        query = select(t.position, t.event_id, t.event_type, t.body).order_by(t.position)
        if since is not None:
            query = query.where(t.created_at >= since)
        if event_types:
            query = query.where(t.event_type.in_(event_types))
        publisher = ConfirmedPublisher(self.amqp_uri)
        replayed, last = 0, 0
        try:
            while True:
                with self.db.reader() as uow:
                    rows = uow.connection.execute(
                        query.where(t.position > last).limit(self.batch_size)
                    ).all()
                if not rows:
                    return replayed
                outcome = publisher.publish(
                    [
                        Outgoing(
                            key=row.position,
                            exchange=events_exchange(self.source),
                            routing_key=replay_routing_key(queue),
                            body=row.body.encode("utf-8"),
                            message_id=row.event_id,
                        )
                        for row in rows
                    ]
                )
                if outcome.returned or outcome.nacked:
                    raise PublishError(f"queue {queue} is not bound for replays from {self.source}")
                replayed += len(rows)
                last = rows[-1].position
        finally:
            publisher.close()


class ReplayRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    queue = fields.String(required=True)
    since = fields.AwareDateTime(load_default=None, allow_none=True)


def replay_to_queue(relay: Relay, request: dict) -> dict:
    """An operator's request to replay this service's events to one consumer queue."""
    data = load(ReplayRequestSchema(), request)
    subscription = next(
        (s for s in SUBSCRIPTIONS if s.queue == data["queue"] and s.source == relay.source), None
    )
    if subscription is None:
        raise InvalidInput({"queue": [f"not a queue that consumes {relay.source}'s events"]})
    replayed = relay.replay(
        subscription.queue, since=data["since"], event_types=[subscription.event_type]
    )
    log.info("events replayed", extra={"queue": subscription.queue, "count": replayed})
    return {
        "queue": subscription.queue,
        "event_type": subscription.event_type,
        "replayed": replayed,
    }


class OutboxRelay(DependencyProvider):
    """Runs the service's relay for as long as its container runs; wakes it on every commit that
    wrote events, and polls in between for rows other replicas or a crash left behind."""

    def setup(self):
        self._database = next(d for d in self.container.dependencies if isinstance(d, Database))
        self.relay: Relay | None = None

    def start(self):
        self.relay = Relay(
            self._database.handle(),
            self.container.service_name,
            nameko_config["AMQP_URI"],
            claim_seconds=nameko_config.get("OUTBOX_CLAIM_SECONDS", DEFAULT_CLAIM_SECONDS),
        )
        self._database.outbox_listeners.append(self.relay.wake)
        self._thread = self.container.spawn_managed_thread(
            self.relay.run, identifier="outbox-relay"
        )

    def stop(self):
        if self.relay is not None:
            self.relay.stop()
            self._thread.wait()

    def kill(self):
        if self.relay is not None:
            self.relay.stop()

    def get_dependency(self, worker_ctx) -> Relay:
        return self.relay
