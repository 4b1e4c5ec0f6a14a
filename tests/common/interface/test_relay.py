"""The outbox relay on the real broker and both databases: committed events are published and
rolled-back ones never; racing relays publish each event once; nothing is marked published that
the broker did not confirm. A dead relay's rows: test_outbox_claims.py."""

import json
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from sqlalchemy import select, update

from messaging_helpers import drain, labourer_event
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.messaging.admin import connect
from sanbao_common.messaging.outbox import Relay, replay_to_queue, write_events
from sanbao_common.messaging.publisher import PublishError
from sanbao_common.messaging.subscriptions import find
from sanbao_common.messaging.tables import OUTBOX
from testkit import eventually

QUEUE = find("dispatch", "handle_labourer_registered").queue


@pytest.fixture
def amqp_uri(stack_config):
    return stack_config["AMQP_URI"]


@pytest.fixture
def engine(databases):
    engine = create_database_engine(databases["registry"])
    yield engine
    engine.dispose()


def handle(engine) -> DatabaseHandle:
    """A handle with its own write lock, as another process (a replica) would have."""
    return DatabaseHandle(engine, threading.Lock())


def commit_events(engine, envelopes) -> None:
    with handle(engine).unit_of_work() as uow:
        write_events(uow, envelopes)
        uow.commit()


def pending(engine) -> list:
    with engine.connect() as connection:
        return (
            connection.execute(select(OUTBOX.c.event_id).where(OUTBOX.c.published_at.is_(None)))
            .scalars()
            .all()
        )


def delivered_ids(amqp_uri) -> list[str]:
    return [json.loads(m.body)["event_id"] for m in drain(amqp_uri, QUEUE)]


def test_committed_events_are_published_and_rolled_back_ones_never(engine, amqp_uri, sample):
    committed = [labourer_event(sample) for _ in range(3)]
    commit_events(engine, committed)
    with handle(engine).unit_of_work() as uow:
        write_events(uow, [labourer_event(sample) for _ in range(2)])  # no commit: rolled back
    assert Relay(handle(engine), "registry", amqp_uri).run_once() == 3
    assert sorted(delivered_ids(amqp_uri)) == sorted(e["event_id"] for e in committed)
    assert pending(engine) == []


def test_racing_relays_publish_each_event_once(engine, amqp_uri, sample):
    events = [labourer_event(sample) for _ in range(1200)]
    commit_events(engine, events)
    relays = [Relay(handle(engine), "registry", amqp_uri, batch_size=100) for _ in range(3)]

    def drain_outbox(relay):
        while relay.run_once():
            eventlet.sleep(0)

    pool = eventlet.GreenPool()
    for relay in relays:
        pool.spawn(drain_outbox, relay)
    pool.waitall()
    counts = Counter(delivered_ids(amqp_uri))
    assert sum(counts.values()) == 1200  # a duplicate would push this above the number of events
    assert set(counts) == {e["event_id"] for e in events}
    assert pending(engine) == []


def test_an_unreachable_broker_leaves_the_rows_pending_and_unclaimed(engine, amqp_uri, sample):
    commit_events(engine, [labourer_event(sample)])
    nowhere = amqp_uri.replace(":5672/", ":1/")
    with pytest.raises(PublishError):
        Relay(handle(engine), "registry", nowhere).run_once()
    assert len(pending(engine)) == 1
    assert Relay(handle(engine), "registry", amqp_uri).run_once() == 1


def test_an_event_its_consumers_have_no_queue_for_stays_pending(engine, amqp_uri, sample):
    connection = connect(amqp_uri)
    connection.channel().queue_unbind(QUEUE, "registry.events", "labourer_registered")
    connection.close()
    event = labourer_event(sample)
    commit_events(engine, [event])
    relay = Relay(handle(engine), "registry", amqp_uri)
    unroutable_before = relay.metrics["unroutable"]._value.get()
    assert relay.run_once() == 0
    assert pending(engine) == [event["event_id"]]
    assert relay.metrics["unroutable"]._value.get() == unroutable_before + 1


def test_an_event_nobody_subscribes_to_is_kept_for_replay_and_marked_published(
    engine, amqp_uri, sample
):
    event = labourer_event(sample, type="labourer_updated")
    commit_events(engine, [event])
    assert Relay(handle(engine), "registry", amqp_uri).run_once() == 1
    assert pending(engine) == []
    with engine.connect() as connection:
        assert connection.execute(select(OUTBOX.c.event_id)).scalars().all() == [event["event_id"]]


def test_a_replay_reaches_only_the_queue_asking_for_it(engine, amqp_uri, sample):
    events = [labourer_event(sample) for _ in range(5)]
    commit_events(engine, events)
    relay = Relay(handle(engine), "registry", amqp_uri)
    relay.run_once()
    assert len(delivered_ids(amqp_uri)) == 5
    reply = replay_to_queue(relay, {"queue": QUEUE})
    assert reply == {"queue": QUEUE, "event_type": "labourer_registered", "replayed": 5}
    assert sorted(delivered_ids(amqp_uri)) == sorted(e["event_id"] for e in events)


def test_a_replay_can_start_from_a_moment(engine, amqp_uri, sample):
    old, new = labourer_event(sample), labourer_event(sample)
    commit_events(engine, [old])
    with engine.begin() as connection:
        connection.execute(update(OUTBOX).values(created_at=datetime.now(UTC) - timedelta(days=3)))
    commit_events(engine, [new])
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    relay = Relay(handle(engine), "registry", amqp_uri)
    assert replay_to_queue(relay, {"queue": QUEUE, "since": since})["replayed"] == 1
    assert delivered_ids(amqp_uri) == [new["event_id"]]


def test_a_replay_to_a_queue_that_does_not_consume_these_events_is_refused(engine, amqp_uri):
    from sanbao_common.errors import InvalidInput

    with pytest.raises(InvalidInput, match="not a queue that consumes"):
        replay_to_queue(Relay(handle(engine), "registry", amqp_uri), {"queue": "fund.anything"})


def test_the_relay_wakes_on_commit(engine, amqp_uri, sample, monkeypatch):
    from sanbao_common.messaging import outbox

    monkeypatch.setattr(outbox, "POLL_SECONDS", 60)  # only the wake-up can publish in time
    relay = Relay(handle(engine), "registry", amqp_uri)
    waking = handle(engine)
    waking._outbox_listeners = [relay.wake]
    runner = eventlet.spawn(relay.run)
    try:
        with waking.unit_of_work() as uow:
            write_events(uow, [labourer_event(sample, event_id=str(uuid.uuid4()))])
            uow.commit()
        eventually(lambda: pending(engine) == [], within=5)
    finally:
        relay.stop()
        runner.wait()
