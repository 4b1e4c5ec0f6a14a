"""Parked messages: list them with their reasons, and send chosen ones back to their consumer.

Operator actions with the county's admin credentials. Listing does not consume: the messages
are read without acknowledgement and go back, in order, when the channel closes. A replayed
message starts its attempts afresh and goes through the consumer's requeue exchange to its queue
only; the consumer's inbox makes a replay of an already applied event harmless.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import amqp

from sanbao_common.messaging.admin import connect
from sanbao_common.messaging.consumer import ATTEMPT_HEADER
from sanbao_common.messaging.subscriptions import SUBSCRIPTIONS, Subscription
from sanbao_common.messaging.topology import dead_queue, requeue_exchange

_OUR_HEADERS = (ATTEMPT_HEADER, "x-sanbao-last-error", "x-sanbao-reason", "x-sanbao-parked-at",
                "x-sanbao-queue", "x-death", "x-first-death-exchange", "x-first-death-queue",
                "x-first-death-reason", "x-delivery-count")  # fmt: skip


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    event_id: str
    event_type: str
    reason: str
    attempts: int
    parked_at: str


def _subscriptions(queue: str | None) -> list[Subscription]:
    chosen = [s for s in SUBSCRIPTIONS if queue in (None, s.queue)]
    if not chosen:
        raise ValueError(f"no consumer queue named {queue!r}")
    return chosen


def _describe(subscription: Subscription, message: amqp.Message) -> DeadLetter:
    headers = message.properties.get("application_headers") or {}
    try:
        body = json.loads(message.body)
        event_id, event_type = str(body.get("event_id", "-")), str(body.get("type", "-"))
    except (ValueError, AttributeError):
        event_id, event_type = "-", "(not JSON)"
    reason = headers.get("x-sanbao-reason")
    if reason is None:  # parked by the broker itself: delivered too often without an answer
        reason = f"broker: {headers.get('x-first-death-reason', 'unknown')}"
    return DeadLetter(
        queue=subscription.queue,
        event_id=event_id,
        event_type=event_type,
        reason=str(reason),
        attempts=int(headers.get(ATTEMPT_HEADER, 1)),
        parked_at=str(headers.get("x-sanbao-parked-at", "-")),
    )


def list_dead_letters(
    admin_uri: str, queue: str | None = None, limit: int = 100
) -> list[DeadLetter]:
    connection = connect(admin_uri)
    try:
        channel = connection.channel()
        found: list[DeadLetter] = []
        for subscription in _subscriptions(queue):
            while len(found) < limit:
                message = channel.basic_get(dead_queue(subscription.queue), no_ack=False)
                if message is None:
                    break
                found.append(_describe(subscription, message))
        channel.close()  # unacknowledged: every message goes back where it was
        return found
    finally:
        connection.close()


def count_dead_letters(admin_uri: str) -> dict[str, int]:
    connection = connect(admin_uri)
    try:
        channel = connection.channel()
        return {
            s.queue: channel.queue_declare(dead_queue(s.queue), passive=True).message_count
            for s in SUBSCRIPTIONS
        }
    finally:
        connection.close()


def replay_dead_letters(
    admin_uri: str,
    queue: str | None = None,
    event_ids: set[str] | None = None,
    progress: Callable[[DeadLetter], None] | None = None,
) -> int:
    """Send parked messages back to their queue (all, or those with the given event ids)."""
    connection = connect(admin_uri)
    replayed = 0
    try:
        channel = connection.channel()
        publisher = connection.channel()
        publisher.confirm_select()
        for subscription in _subscriptions(queue):
            while True:
                message = channel.basic_get(dead_queue(subscription.queue), no_ack=False)
                if message is None:
                    break
                letter = _describe(subscription, message)
                if event_ids is not None and letter.event_id not in event_ids:
                    continue  # left unacknowledged: back in the dead-letter queue at the end
                headers = {
                    k: v
                    for k, v in (message.properties.get("application_headers") or {}).items()
                    if k not in _OUR_HEADERS
                }
                publisher.basic_publish_confirm(
                    amqp.Message(
                        message.body,
                        delivery_mode=2,
                        content_type="application/json",
                        application_headers=headers,
                    ),
                    exchange=requeue_exchange(subscription.consumer),
                    routing_key=subscription.queue,
                    mandatory=True,
                    confirm_timeout=30,
                )
                channel.basic_ack(message.delivery_tag)
                replayed += 1
                if progress:
                    progress(letter)
        channel.close()
        return replayed
    finally:
        connection.close()
