"""Claims on outbox rows, on the real broker and both databases, with the relays' clock in the
test's hands: a relay that dies loses its rows within OUTBOX_CLAIM_SECONDS (not the minute it
used to be), at once when its process on this host is gone; a live relay keeps them however
long the broker takes; and every event still reaches its consumers' queue exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from sqlalchemy import select, update

from messaging_helpers import drain, labourer_event
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.messaging.claims import DEFAULT_CLAIM_SECONDS, NODE, claimant_name
from sanbao_common.messaging.outbox import Relay, write_events
from sanbao_common.messaging.subscriptions import find
from sanbao_common.messaging.tables import OUTBOX
from testkit import ROOT, eventually

QUEUE = find("dispatch", "handle_labourer_registered").queue
OLD_LEASE = timedelta(seconds=60)  # what a dead relay's rows used to wait


class Clock:
    """Every relay of a test reads the time here; only the test moves it."""

    def __init__(self):
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


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


def commit_events(engine, sample, count: int) -> list[str]:
    envelopes = [labourer_event(sample) for _ in range(count)]
    with handle(engine).unit_of_work() as uow:
        write_events(uow, envelopes)
        uow.commit()
    return [e["event_id"] for e in envelopes]


def claims(engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(
            select(OUTBOX.c.claimed_by, OUTBOX.c.claimed_until, OUTBOX.c.published_at)
        ).all()


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def delivered(amqp_uri) -> Counter:
    return Counter(json.loads(m.body)["event_id"] for m in drain(amqp_uri, QUEUE))


def test_a_relay_that_claims_and_stops_renewing_loses_its_rows_within_the_claim_time(
    engine, amqp_uri, sample
):
    events = commit_events(engine, sample, 3)
    clock = Clock()
    crashed = Relay(handle(engine), "registry", amqp_uri, clock=clock)
    assert len(crashed.claims.claim(500)) == 3  # and then it dies: no publish, no renewal
    claimed_at = clock()
    other = Relay(handle(engine), "registry", amqp_uri, clock=clock)

    clock.advance(DEFAULT_CLAIM_SECONDS - 1)
    assert other.run_once() == 0  # still claimed: its owner may yet publish them
    clock.advance(1.001)
    assert other.run_once() == 3
    assert clock() - claimed_at < OLD_LEASE / 10
    assert delivered(amqp_uri) == Counter(events)  # each once
    assert all(row.published_at is not None and row.claimed_by is None for row in claims(engine))


def test_a_live_relay_keeps_its_claim_however_long_the_broker_takes(engine, amqp_uri, sample):
    events = commit_events(engine, sample, 5)
    clock = Clock()
    # A claim of 0.3 s, renewed every 0.1 s (wall time), on the test's clock.
    slow = Relay(handle(engine), "registry", amqp_uri, claim_seconds=0.3, clock=clock)
    broker_answers = eventlet.event.Event()
    publish = slow._publisher.publish

    def publish_when_the_broker_answers(messages):
        broker_answers.wait()
        return publish(messages)

    slow._publisher.publish = publish_when_the_broker_answers
    publishing = eventlet.spawn(slow.run_once)
    eventually(lambda: all(row.claimed_by == slow.name for row in claims(engine)))

    clock.advance(60)  # far past any claim that was not renewed
    eventually(lambda: all(aware(row.claimed_until) > clock() for row in claims(engine)))
    other = Relay(handle(engine), "registry", amqp_uri, claim_seconds=0.3, clock=clock)
    assert other.run_once() == 0

    broker_answers.send(True)
    assert publishing.wait() == 5
    assert other.run_once() == 0
    assert delivered(amqp_uri) == Counter(events)  # a second relay publishing would show here


CLAIM_AND_HANG = """
import sys, threading, time
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.messaging.outbox import Relay
engine = create_database_engine(sys.argv[1])
relay = Relay(DatabaseHandle(engine, threading.Lock()), "registry", sys.argv[2])
print(len(relay.claims.claim(500)), flush=True)
time.sleep(120)
"""


def test_rows_of_a_relay_whose_process_died_on_this_host_are_taken_over_at_once(
    engine, databases, amqp_uri, sample
):
    events = commit_events(engine, sample, 4)
    relay_process = subprocess.Popen(
        [sys.executable, "-c", CLAIM_AND_HANG, databases["registry"], amqp_uri],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert relay_process.stdout.readline().strip() == "4"
    finally:
        relay_process.kill()
        relay_process.wait()
        relay_process.stdout.close()
    (claimant,) = {row.claimed_by for row in claims(engine)}
    assert claimant.startswith(f"{NODE}:{relay_process.pid}:")

    # The moment it claimed them: its claim has not lapsed, but its process is gone.
    clock = Clock()
    clock.now = aware(claims(engine)[0].claimed_until) - timedelta(seconds=DEFAULT_CLAIM_SECONDS)
    assert Relay(handle(engine), "registry", amqp_uri, clock=clock).run_once() == 4
    assert delivered(amqp_uri) == Counter(events)


def test_a_claim_from_another_host_or_a_live_local_process_waits_for_its_time(
    engine, amqp_uri, sample
):
    commit_events(engine, sample, 2)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    clock = Clock()
    try:
        # On this host, a live process; on another, a process id that is gone on this one (it
        # says nothing about a process over there).
        holders = [claimant_name(pid=alive.pid), f"db-2~0badc0de:{dead.pid}:0123abcd"]
        with engine.begin() as connection:
            positions = connection.execute(select(OUTBOX.c.position)).scalars().all()
            for position, holder in zip(positions, holders, strict=True):
                connection.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.position == position)
                    .values(claimed_by=holder, claimed_until=clock() + timedelta(seconds=5))
                )
        relay = Relay(handle(engine), "registry", amqp_uri, clock=clock)
        assert relay.run_once() == 0
        clock.advance(4.999)
        assert relay.run_once() == 0
    finally:
        alive.kill()
        alive.wait()
    clock.advance(0.002)
    assert relay.run_once() == 2
