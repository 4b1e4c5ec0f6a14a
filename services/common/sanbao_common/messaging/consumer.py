"""The batch-consuming event entrypoint: `@consume(source, event_type)`.

One AMQP connection per container (`ConsumerHub`) consumes every handler's quorum queue with a
prefetch window, hands messages to workers in batches, and acknowledges only after the worker's
transaction committed. Per batch, in one unit of work: envelopes parsed, events already in the
inbox dropped, the handler applied to the rest, the inbox updated, commit.

When a batch fails, each of its messages is tried again alone, so one bad event cannot hold back
the others. A message that fails alone is sent to a delay queue (1 s, 10 s, 60 s) and comes back;
after its last attempt it is parked in the handler's dead-letter queue with the reason. A message
that cannot be read (not JSON, not an envelope, an unknown schema version, another county) is
parked at once. Nothing is acknowledged before its outcome is safe: a crash at any point means
redelivery, which the inbox makes harmless.

Long because the hub's steps (consume, hand out, settle, retry or park) share one AMQP session's
channels and in-flight deliveries; kept in one class they need no state passed between modules.
"""

from __future__ import annotations

import functools
import json
import logging
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import amqp
import eventlet
from eventlet.queue import LightQueue
from nameko import config as nameko_config
from nameko.extensions import Entrypoint, ProviderCollector, SharedExtension
from prometheus_client import Counter, Gauge

from sanbao_common.envelope import MalformedEvent, parse_envelope
from sanbao_common.messaging import inbox
from sanbao_common.messaging.publisher import open_connection
from sanbao_common.messaging.subscriptions import find
from sanbao_common.messaging.topology import (
    dead_exchange,
    max_attempts,
    retry_exchange,
    retry_queue,
)
from sanbao_common.privacy import mask_text

log = logging.getLogger("sanbao.consumer")

DEFAULT_PREFETCH = 1000
DEFAULT_BATCH = 500
BATCHES_IN_FLIGHT = 2
BUSY_POLL_SECONDS = 0.002
IDLE_POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 30
MAX_BACKOFF_SECONDS = 10
ATTEMPT_HEADER = "x-sanbao-attempt"


class MissingTopology(Exception):
    """A queue the consumer needs does not exist: the county's topology was not applied."""


_consumer_metrics: dict[str, dict] = {}


def consumer_metrics(service: str) -> dict:
    if service not in _consumer_metrics:
        p = f"sanbao_{service}"
        _consumer_metrics[service] = {
            "messages": Counter(
                f"{p}_event_handler_messages_total",
                "Events received, by handler and outcome (applied, duplicate, retried, "
                "dead_lettered)",
                ["handler", "outcome"],
            ),
            "lag": Gauge(
                f"{p}_consumer_lag_seconds",
                "Age of the newest event in the last applied batch (commit to effect)",
                ["handler"],
            ),
        }
    return _consumer_metrics[service]


@dataclass(frozen=True)
class Delivery:
    tag: int
    body: bytes
    headers: dict

    @property
    def attempt(self) -> int:
        return int(self.headers.get(ATTEMPT_HEADER, 1))


@dataclass
class BatchOutcome:
    applied: int = 0
    duplicates: int = 0
    malformed: list[tuple[Delivery, str]] = field(default_factory=list)
    newest_event_at: datetime | None = None


def apply_batch(
    service, handler, name: str, subscription, deliveries: list[Delivery]
) -> BatchOutcome:
    """Parse, drop what the inbox has seen, apply the rest and record them, in one transaction."""
    outcome = BatchOutcome()
    county = nameko_config["COUNTY"]
    events = []
    for delivery in deliveries:
        try:
            event = parse_envelope(json.loads(delivery.body), county)
        except (ValueError, UnicodeDecodeError) as exc:
            outcome.malformed.append((delivery, f"not JSON: {exc}"))
            continue
        except MalformedEvent as exc:
            outcome.malformed.append((delivery, str(exc)))
            continue
        if (event.source, event.type) != (subscription.source, subscription.event_type):
            outcome.malformed.append(
                (delivery, f"unexpected event {event.source}.{event.type} on this queue")
            )
            continue
        events.append(event)
    if not events:
        return outcome
    with service.db.unit_of_work() as uow:
        fresh = inbox.accept(uow, name, events)
        if fresh:
            handler(service, uow, fresh)
        uow.commit()
    outcome.applied = len(fresh)
    outcome.duplicates = len(events) - len(fresh)
    outcome.newest_event_at = max(event.occurred_at for event in events)
    return outcome


class ConsumerHub(ProviderCollector, SharedExtension):
    """The container's one consuming connection, shared by all its `@consume` entrypoints."""

    def setup(self):
        self.amqp_uri = nameko_config["AMQP_URI"]
        self.prefetch = int(nameko_config.get("CONSUMER_PREFETCH", DEFAULT_PREFETCH))
        self.metrics = consumer_metrics(self.container.service_name)
        self._results: LightQueue = LightQueue()
        self._stopping = False
        self._session = 0
        self._consuming = False
        self._thread = None

    def start(self):
        if self._thread is None:
            self._check_queues()
            self._thread = self.container.spawn_managed_thread(
                self._run, identifier="event-consumer"
            )

    def _check_queues(self):
        """Refuse to start without the queues (a passive declare needs no permission); a broker
        that is not up yet is the loop's business, which keeps trying."""
        try:
            connection = open_connection(self.amqp_uri)
        except (OSError, amqp.exceptions.AMQPError) as exc:
            log.warning("broker not reachable at start; consuming when it is: %s", exc)
            return
        try:
            for provider in list(self._providers):
                try:
                    connection.channel().queue_declare(provider.queue, passive=True)
                except amqp.exceptions.NotFound:
                    raise MissingTopology(self._missing(provider.queue)) from None
        finally:
            connection.close()

    def _missing(self, queue: str) -> str:
        return (
            f"queue {queue} does not exist: declare the county's topology (sanbao topology "
            f"apply, or make run) before starting {self.container.service_name}"
        )

    def stop(self):
        super().stop()  # waits until every entrypoint has unregistered
        self._stopping = True
        if self._thread is not None:
            self._thread.wait()

    def kill(self):
        self._stopping = True

    # -- the loop ----------------------------------------------------------------------------

    def _run(self):
        backoff = 0.5
        while not self._stopping:
            self._consuming = False
            try:
                self._consume_session()
            except MissingTopology:
                raise  # stops the container: it cannot do its work until an operator acts
            except (OSError, amqp.exceptions.AMQPError) as exc:
                if self._stopping:
                    break
                # A session that was consuming lost its connection: try again at once; a broker
                # that keeps refusing gets more and more time.
                backoff = 0.5 if self._consuming else min(backoff * 2, MAX_BACKOFF_SECONDS)
                log.warning("consumer connection lost, reconnecting in %.1f s: %s", backoff, exc)
                eventlet.sleep(backoff)

    def _consume_session(self):
        self._session += 1
        session = self._session
        self._unsettled: set[int] = set()  # delivered on this channel, outcome not yet safe
        self._settled: set[int] = set()  # safe, waiting for a lower tag to be safe too
        for provider in self._providers:
            provider.buffer.clear()
            provider.in_flight = 0
        connection = open_connection(self.amqp_uri, heartbeat=HEARTBEAT_SECONDS)
        try:
            channel = connection.channel()
            channel.basic_qos(0, self.prefetch, False)
            publish_channel = connection.channel()
            publish_channel.confirm_select()
            publish_channel.events["basic_return"].add(self._on_unroutable)
            for provider in list(self._providers):
                try:
                    channel.basic_consume(
                        provider.queue, callback=partial(self._on_message, provider)
                    )
                except amqp.exceptions.NotFound:
                    raise MissingTopology(self._missing(provider.queue)) from None
            self._consuming = True
            consuming = list(self._providers)
            while not (self._stopping and not any(p.in_flight for p in list(self._providers))):
                self._pump(connection)
                self._settle_results(channel, publish_channel, session)
                self._give_back_unclaimed(channel, consuming)
                if not self._stopping:
                    self._dispatch(session)
                self._housekeeping(connection)
            self._settle_results(channel, publish_channel, session)
        finally:
            try:
                connection.close()
            except Exception:  # the connection may already be broken
                pass

    def _on_unroutable(self, exc, exchange, routing_key, message):
        raise MissingTopology(
            f"nothing is bound for {routing_key} on {exchange}: declare the county's topology "
            "(sanbao topology apply)"
        )

    def _pump(self, connection):
        providers = list(self._providers)
        busy = any(p.in_flight or p.buffer for p in providers) or not self._results.empty()
        try:
            connection.drain_events(timeout=BUSY_POLL_SECONDS if busy else IDLE_POLL_SECONDS)
            # Keep reading while messages arrive back to back, up to a batch for each handler.
            while all(len(p.buffer) < p.batch_size for p in providers):
                connection.drain_events(timeout=BUSY_POLL_SECONDS)
        except TimeoutError:
            pass

    def _on_message(self, provider, message):
        self._unsettled.add(message.delivery_tag)
        provider.buffer.append(
            Delivery(
                tag=message.delivery_tag,
                body=message.body if isinstance(message.body, bytes) else message.body.encode(),
                headers=dict(message.properties.get("application_headers") or {}),
            )
        )

    def _dispatch(self, session):
        for provider in list(self._providers):
            while provider.buffer and provider.in_flight < BATCHES_IN_FLIGHT:
                size = 1 if provider.singles else provider.batch_size
                batch, provider.buffer[:] = provider.buffer[:size], provider.buffer[size:]
                provider.singles = max(0, provider.singles - len(batch))
                provider.in_flight += 1
                provider.spawn(batch, partial(self._on_done, session))

    def _on_done(self, session, provider, deliveries, outcome, exc_info):
        # Runs in the worker's greenthread: hand over to the loop, which owns the channel.
        self._results.put((session, provider, deliveries, outcome, exc_info))

    def _settle_results(self, channel, publish_channel, session):
        while not self._results.empty():
            done_session, provider, deliveries, outcome, exc_info = self._results.get_nowait()
            if done_session != session:
                continue  # their delivery tags died with the old channel; they come back
            provider.in_flight -= 1
            if exc_info is None:
                self._settle_success(channel, publish_channel, provider, deliveries, outcome)
            elif len(deliveries) > 1:
                # Try each alone: the failing one is found, the others are applied.
                provider.buffer[:0] = deliveries
                provider.singles += len(deliveries)
            else:
                self._retry_or_park(publish_channel, provider, deliveries[0], exc_info)
                self._acknowledge(channel, [deliveries[0].tag])

    def _settle_success(self, channel, publish_channel, provider, deliveries, outcome):
        for delivery, reason in outcome.malformed:
            self._park(publish_channel, provider, delivery, f"malformed: {reason}")
            self.metrics["messages"].labels(provider.method_name, "malformed").inc()
        self._acknowledge(channel, [delivery.tag for delivery in deliveries])
        messages = self.metrics["messages"]
        if outcome.applied:
            messages.labels(provider.method_name, "applied").inc(outcome.applied)
        if outcome.duplicates:
            messages.labels(provider.method_name, "duplicate").inc(outcome.duplicates)
        if outcome.newest_event_at is not None:
            lag = (datetime.now(UTC) - outcome.newest_event_at).total_seconds()
            self.metrics["lag"].labels(provider.method_name).set(max(0.0, lag))

    def _give_back_unclaimed(self, channel, consuming) -> None:
        """Messages buffered for an entrypoint that has stopped go back to the queue now: they
        must never fall under a `multiple` ack without having been applied."""
        for provider in consuming:
            if provider.buffer and provider not in self._providers:
                for delivery in provider.buffer:
                    channel.basic_reject(delivery.tag, requeue=True)
                    self._unsettled.discard(delivery.tag)
                provider.buffer.clear()

    def _acknowledge(self, channel, tags: list[int]) -> None:
        """One `multiple` ack for every tag up to the lowest one still in flight, instead of an
        ack frame per message."""
        self._settled.update(tags)
        self._unsettled.difference_update(tags)
        lowest_open = min(self._unsettled, default=None)
        ready = [t for t in self._settled if lowest_open is None or t < lowest_open]
        if ready:
            channel.basic_ack(max(ready), multiple=True)
            self._settled.difference_update(ready)

    def _retry_or_park(self, publish_channel, provider, delivery, exc_info):
        error = mask_text(
            "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        )
        if isinstance(exc_info[1], MalformedEvent):
            # The event itself is wrong: trying again cannot help.
            self._park(publish_channel, provider, delivery, f"malformed: {error}")
            self.metrics["messages"].labels(provider.method_name, "malformed").inc()
            return
        if delivery.attempt >= max_attempts():
            self._park(
                publish_channel, provider, delivery, f"failed {delivery.attempt} times: {error}"
            )
            self.metrics["messages"].labels(provider.method_name, "dead_lettered").inc()
            return
        log.warning(
            "event handler failed, retrying later",
            extra={"handler": provider.method_name, "attempt": delivery.attempt, "error": error},
        )
        headers = dict(delivery.headers, **{ATTEMPT_HEADER: delivery.attempt + 1})
        headers["x-sanbao-last-error"] = error[:500]
        self._publish(
            publish_channel,
            delivery,
            retry_exchange(self.container.service_name),
            retry_queue(provider.queue, delivery.attempt),
            headers,
        )
        self.metrics["messages"].labels(provider.method_name, "retried").inc()

    def _park(self, publish_channel, provider, delivery, reason):
        log.error(
            "event parked in the dead-letter queue",
            extra={"handler": provider.method_name, "reason": mask_text(reason)[:500]},
        )
        headers = dict(delivery.headers)
        headers.update(
            {
                "x-sanbao-reason": mask_text(reason)[:1000],
                "x-sanbao-parked-at": datetime.now(UTC).isoformat(),
                "x-sanbao-queue": provider.queue,
            }
        )
        self._publish(
            publish_channel, delivery, dead_exchange(self.container.service_name), provider.queue,
            headers,
        )  # fmt: skip

    def _publish(self, publish_channel, delivery, exchange, routing_key, headers):
        """Publish and wait for the confirm; only then may the original be acknowledged."""
        publish_channel.basic_publish_confirm(
            amqp.Message(
                delivery.body,
                delivery_mode=2,
                content_type="application/json",
                application_headers=headers,
            ),
            exchange=exchange,
            routing_key=routing_key,
            mandatory=True,
            confirm_timeout=30,
        )

    def _housekeeping(self, connection):
        connection.heartbeat_tick()


class EventConsumer(Entrypoint):
    hub = ConsumerHub()

    def __init__(self, source: str, event_type: str, batch_size: int = DEFAULT_BATCH, **kwargs):
        self.source = source
        self.event_type = event_type
        self.batch_size = batch_size
        super().__init__(**kwargs)

    def setup(self):
        service = self.container.service_name
        subscription = find(service, self.method_name)
        if subscription is None or (subscription.source, subscription.event_type) != (
            self.source,
            self.event_type,
        ):
            raise MissingTopology(
                f"{service}.{self.method_name} consumes {self.source}.{self.event_type} but the "
                "county's subscriptions (sanbao_common/messaging/subscriptions.py) do not say so"
            )
        self.subscription = subscription
        self.queue = subscription.queue
        self.buffer: list[Delivery] = []
        self.in_flight = 0
        self.singles = 0
        self.hub.register_provider(self)

    def stop(self):
        self.hub.unregister_provider(self)
        super().stop()

    def spawn(self, deliveries: list[Delivery], on_done) -> None:
        self.container.spawn_worker(
            self,
            (deliveries,),
            {},
            handle_result=partial(self._handle_result, deliveries, on_done),
        )

    def _handle_result(self, deliveries, on_done, worker_ctx, result, exc_info):
        on_done(self, deliveries, result, exc_info)
        return result, exc_info


def consume(source: str, event_type: str, *, batch_size: int = DEFAULT_BATCH):
    """Make `handler(self, uow, events)` the consumer of `<source>.<event_type>`.

    The handler gets only events its inbox has not seen, inside an open unit of work; it must
    not commit (the batch commits once, together with the inbox)."""

    def decorator(handler):
        @functools.wraps(handler)
        def entry(self, deliveries: list[Delivery]) -> BatchOutcome:
            subscription = find(self.name, handler.__name__)
            return apply_batch(self, handler, handler.__name__, subscription, deliveries)

        return EventConsumer.decorator(source, event_type, batch_size=batch_size)(entry)

    return decorator
