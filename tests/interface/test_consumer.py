"""dispatch's consumer on the real broker: each event applied once, whatever is redelivered;
unreadable events parked at once with their reason; a failing event retried with backoff, then
parked, then replayed by an operator; one bad event never holds back the others."""

import pytest
from nameko.testing.services import entrypoint_waiter
from prometheus_client import REGISTRY
from sqlalchemy import select, text

from dispatch.adapters.tables import candidates
from dispatch.service import DispatchService
from messaging_helpers import drain, labourer_event, publish, queue_depth
from sanbao_common.db import create_database_engine
from sanbao_common.messaging import topology as topology_module
from sanbao_common.messaging.consumer import MissingTopology
from sanbao_common.messaging.deadletters import list_dead_letters, replay_dead_letters
from sanbao_common.messaging.subscriptions import find
from testkit import eventually

QUEUE = find("dispatch", "handle_labourer_registered").queue
DEAD = topology_module.dead_queue(QUEUE)


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    """Backoff of 0.2/0.4/0.6 s instead of 1/10/60 s, declared before the topology is."""
    monkeypatch.setattr(topology_module, "RETRY_DELAYS_SECONDS", (0.2, 0.4, 0.6))


@pytest.fixture
def dispatch(container_factory, stack_config):
    container = container_factory(DispatchService)
    container.start()
    return container


@pytest.fixture
def pool(stack_config):
    engine = create_database_engine(stack_config["dispatch"]["DATABASE_URL"])
    yield engine
    engine.dispose()


def applied(pool) -> dict[str, int]:
    with pool.connect() as connection:
        rows = connection.execute(select(candidates.c.person_id, candidates.c.events_applied))
        return dict(rows.all())


def messages(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "sanbao_dispatch_event_handler_messages_total",
            {"handler": "handle_labourer_registered", "outcome": outcome},
        )
        or 0.0
    )


def test_a_redelivered_event_is_applied_once(dispatch, pool, stack_config, sample):
    event = labourer_event(sample)
    duplicates_before = messages("duplicate")
    with entrypoint_waiter(dispatch, "handle_labourer_registered"):
        publish(stack_config["AMQP_URI"], "registry.events", "labourer_registered", [event])
    with entrypoint_waiter(dispatch, "handle_labourer_registered"):
        publish(stack_config["AMQP_URI"], "registry.events", "labourer_registered", [event])
    # The counter a duplicate would raise stays at one.
    assert applied(pool) == {event["record_id"]: 1}
    eventually(lambda: messages("duplicate") == duplicates_before + 1)


def test_a_batch_with_the_same_event_twice_applies_it_once(dispatch, pool, stack_config, sample):
    event = labourer_event(sample)
    others = [labourer_event(sample) for _ in range(20)]
    publish(stack_config["AMQP_URI"], "registry.events", "labourer_registered",
            [event, *others, event])  # fmt: skip
    eventually(lambda: len(applied(pool)) == 21)
    assert set(applied(pool).values()) == {1}


def test_a_late_older_version_does_not_roll_the_record_back(dispatch, pool, stack_config, sample):
    person_id = "11111111-2222-3333-4444-555555555555"
    newer = labourer_event(sample, person_id=person_id, version=2)
    older = labourer_event(sample, person_id=person_id, version=1)
    publish(stack_config["AMQP_URI"], "registry.events", "labourer_registered", [newer])
    eventually(lambda: applied(pool).get(person_id) == 1)
    publish(stack_config["AMQP_URI"], "registry.events", "labourer_registered", [older])
    eventually(lambda: applied(pool).get(person_id) == 2)
    with pool.connect() as connection:
        version, name = connection.execute(
            select(candidates.c.version, candidates.c.name).where(
                candidates.c.person_id == person_id
            )
        ).one()
    assert (version, name) == (2, newer["payload"]["people"][0]["name"])


def test_an_event_written_before_birth_dates_left_is_kept_as_a_birth_year(
    dispatch, pool, stack_config, sample
):
    """Events registry published before the upgrade (birth date, old masked form) may still sit
    in dispatch's queue: the pool keeps only what it keeps today."""
    event = labourer_event(sample)
    (person,) = event["payload"]["people"]
    masked_today = person["id_number_masked"]
    person.pop("birth_year")
    person["birth_date"] = "1990-03-15"
    person["id_number_masked"] = masked_today[:6] + "********0013"
    publish(stack_config["AMQP_URI"], "registry.events", "labourer_registered", [event])
    eventually(lambda: event["record_id"] in applied(pool))
    with pool.connect() as connection:
        row = connection.execute(
            select(candidates).where(candidates.c.person_id == event["record_id"])
        ).one()
    assert (row.birth_year, row.id_number_masked) == (1990, masked_today[:6] + "*" * 11 + "3")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        ({"hello": "world"}, "does not fit the envelope"),
        ("schema_version", "unknown schema version 9"),
        ("county", "belongs to county 532528"),
        ("payload", "payload does not fit"),
    ],
)
def test_an_unreadable_event_is_parked_at_once_with_its_reason(
    dispatch, pool, stack_config, sample, body, reason
):
    if body == "schema_version":
        body = labourer_event(sample, schema_version=9)
    elif body == "county":
        body = labourer_event(sample, county="532528")
    elif body == "payload":
        body = labourer_event(sample, payload={"person_id": "x"})
    good = labourer_event(sample)
    publish(stack_config["AMQP_URI"], "registry.events", "labourer_registered", [body, good])
    eventually(lambda: queue_depth(stack_config["AMQP_URI"], DEAD) == 1)
    (letter,) = list_dead_letters(stack_config["AMQP_URI"])
    assert reason in letter.reason and letter.attempts == 1
    # the good one was not held back behind the bad one (it may land just after the parking)
    eventually(lambda: applied(pool) == {good["record_id"]: 1})


def test_a_failing_event_is_retried_with_backoff_then_applied(dispatch, pool, stack_config, sample):
    retried_before = messages("retried")
    with pool.begin() as connection:
        connection.execute(text("ALTER TABLE candidates RENAME TO candidates_away"))
    event = labourer_event(sample)
    publish(stack_config["AMQP_URI"], "registry.events", "labourer_registered", [event])
    eventually(lambda: messages("retried") >= retried_before + 1)
    with pool.begin() as connection:
        connection.execute(text("ALTER TABLE candidates_away RENAME TO candidates"))
    eventually(lambda: applied(pool) == {event["record_id"]: 1})
    assert queue_depth(stack_config["AMQP_URI"], DEAD) == 0


def test_after_its_last_attempt_an_event_is_parked_and_an_operator_replays_it(
    dispatch, pool, stack_config, sample
):
    with pool.begin() as connection:
        connection.execute(text("ALTER TABLE candidates RENAME TO candidates_away"))
    event = labourer_event(sample)
    publish(stack_config["AMQP_URI"], "registry.events", "labourer_registered", [event])
    eventually(lambda: queue_depth(stack_config["AMQP_URI"], DEAD) == 1, within=20)
    (letter,) = list_dead_letters(stack_config["AMQP_URI"])
    assert letter.event_id == event["event_id"]
    assert letter.attempts == topology_module.max_attempts()
    assert "failed 4 times" in letter.reason and "candidates" in letter.reason
    assert queue_depth(stack_config["AMQP_URI"], DEAD) == 1  # listing did not consume it

    with pool.begin() as connection:
        connection.execute(text("ALTER TABLE candidates_away RENAME TO candidates"))
    assert replay_dead_letters(stack_config["AMQP_URI"], QUEUE, {event["event_id"]}) == 1
    eventually(lambda: applied(pool) == {event["record_id"]: 1})
    assert queue_depth(stack_config["AMQP_URI"], DEAD) == 0


def test_replaying_only_chosen_dead_letters_leaves_the_others(dispatch, stack_config, sample):
    bodies = [labourer_event(sample, payload={"person_id": str(n)}) for n in range(3)]
    publish(stack_config["AMQP_URI"], "registry.events", "labourer_registered", bodies)
    eventually(lambda: queue_depth(stack_config["AMQP_URI"], DEAD) == 3)
    # Parked in the order their lone retries finished, which need not be the order published.
    parked = [letter.event_id for letter in list_dead_letters(stack_config["AMQP_URI"])]
    assert sorted(parked) == sorted(body["event_id"] for body in bodies)
    chosen = parked[1]
    assert replay_dead_letters(stack_config["AMQP_URI"], None, {chosen}) == 1
    # Replayed, still malformed, parked again: the point is the other two never moved.
    eventually(lambda: queue_depth(stack_config["AMQP_URI"], DEAD) == 3)
    ids = [letter.event_id for letter in list_dead_letters(stack_config["AMQP_URI"])]
    assert ids == [parked[0], parked[2], chosen]


def test_a_consumer_refuses_to_start_without_its_queue(
    container_factory, rabbit_config, databases, token_keys
):
    from conftest import make_stack_config
    from nameko import config as nameko_config

    config = make_stack_config(
        nameko_config["AMQP_URI"], databases, token_keys, services=("dispatch",)
    )
    with nameko_config.patch(config):
        container = container_factory(DispatchService)
        with pytest.raises(MissingTopology, match="sanbao topology apply"):
            container.start()


def test_nothing_is_left_unacknowledged(dispatch, stack_config, sample):
    publish(stack_config["AMQP_URI"], "registry.events", "labourer_registered",
            [labourer_event(sample) for _ in range(50)])  # fmt: skip
    eventually(lambda: queue_depth(stack_config["AMQP_URI"], QUEUE) == 0)
    assert drain(stack_config["AMQP_URI"], DEAD) == []
