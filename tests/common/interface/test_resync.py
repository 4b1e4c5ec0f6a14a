"""A resync on the real broker and both databases: registry republishes the current state of its
labourers to dispatch, whose pool missed them (events lost, the outbox pruned): the pool is
complete, a second resync changes no state, and the same version fills what a copy lacks.

From the attacker's side: every role but the county's administrator is refused; a consumer,
event type or field a publisher does not know is refused; a resync reaches only the asking
consumer's queue (never another consumer's, nor another of its own); a consumer holding every
resynced event finds no ID number or phone in clear, and fresh event ids."""

import json
import uuid

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import delete, func, select, update

from dispatch.adapters.tables import candidates
from dispatch.service import DispatchService
from messaging_helpers import drain, queue_depth
from registry.adapters.tables import labourers
from registry.events import registry_event
from registry.people.registration import EVENT_BATCH
from registry.resync import RESYNC_SOURCES
from registry.service import RegistryService
from sanbao_common.access import ROLES
from sanbao_common.context import Caller
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.envelope import parse_envelope
from sanbao_common.messaging import resync
from sanbao_common.messaging.admin import connect
from sanbao_common.messaging.tables import OUTBOX
from sanbao_common.messaging.topology import county_topology, replay_routing_key
from testkit import TEST_COUNTY, eventually, rpc_outcome

UPDATED = "dispatch.handle_labourer_updated"


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def registry(container_factory, stack_config):
    container = container_factory(RegistryService)
    container.start()
    return container


@pytest.fixture
def engines(stack_config):
    made = {
        service: create_database_engine(stack_config[service]["DATABASE_URL"], pool_size=1)
        for service in ("registry", "dispatch")
    }
    yield made
    for engine in made.values():
        engine.dispose()


@pytest.fixture
def admin(token_keys):
    return token_keys.mint(["county_admin"])


def client(token):
    return ClusterRpcClient(context_data={"token": token}, timeout=20)


class People:
    """Seven people registered by the county (phones, skills, a registered-poor household of two,
    one record merged into another, one updated twice), as registry keeps them."""

    def __init__(self, token, sample):
        def person(**fields):
            return {"name": sample.name(), "id_number": sample.id_number(),
                    "village_code": "532501001201", "phone": sample.phone()} | fields  # fmt: skip

        self.given = [
            person(household_number="H-1", relation_to_head="户主", poor="是",
                   poverty_file_number="YN0000000001", skills="电焊工"),
            person(household_number="H-1", relation_to_head="配偶", intention_regions="省外"),
            person(skills="电工；砌筑工"),
            person(),
            person(intention_regions="广东省"),
            person(),
            person(),
        ]  # fmt: skip
        with client(token) as rpc:
            reply = rpc.registry.register_labourers(self.given, key())
            self.ids = [p["person_id"] for p in reply["registered"]]
            for change in ({"intention_regions": "浙江省"}, {"employment_status": "失业"}):
                rpc.registry.update_labourer(self.ids[3], change, key())
            rpc.registry.merge_labourers(self.ids[5], self.ids[6], "同一人", key())


def settled(engines) -> None:
    """Everything registry committed is published (the relay is done)."""
    eventually(lambda: outbox_pending(engines["registry"]) == 0)


def outbox_pending(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None))
        ).scalar_one()


def outbox_rows(engine) -> list[str]:
    with engine.connect() as connection:
        return connection.execute(select(OUTBOX.c.event_id)).scalars().all()


def registry_versions(engine) -> dict[str, tuple]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(labourers.c.person_id, labourers.c.version, labourers.c.name, labourers.c.status)
        )
        return {row.person_id: (row.version, row.name, row.status) for row in rows}


def pool(engine) -> dict[str, dict]:
    """The pool's copies, without the bookkeeping (when written, how many events applied)."""
    with engine.connect() as connection:
        rows = connection.execute(select(candidates)).all()
    return {
        row.person_id: {k: v for k, v in row._mapping.items() if k != "updated_at"} for row in rows
    }


def resyncer_with(stack_config, engines, sources, amqp_uri=None, page_records=2):
    """registry's resync on its own, outside a container (smaller pages)."""
    return resync.Resyncer(
        DatabaseHandle(engines["registry"], None),
        "registry",
        amqp_uri or stack_config["AMQP_URI"],
        sources,
        page_records=page_records,
    )


def operator() -> Caller:
    return Caller(TEST_COUNTY, "cli:admin", "corr-resync")


def lose_everything(stack_config, engines) -> None:
    """What a pool that fell behind faces: the events dispatch did not apply are gone from its
    queues, and registry's outbox no longer keeps them (a replay finds nothing)."""
    settled(engines)
    for queue in county_topology().queues:
        drain(stack_config["AMQP_URI"], queue.name)
    with engines["registry"].begin() as connection:
        connection.execute(delete(OUTBOX))


def test_a_resync_completes_a_pool_that_missed_everything(
    registry, container_factory, stack_config, engines, admin, sample
):
    people = People(admin, sample)
    lose_everything(stack_config, engines)
    dispatch = container_factory(DispatchService)
    dispatch.start()
    with client(admin) as rpc:
        assert rpc.registry.replay_events({"queue": UPDATED})["replayed"] == 0
        reply = rpc.registry.resync_events({"consumer": "dispatch"})
    queues = {q["queue"]: q for q in reply["queues"]}
    assert reply["source"] == "registry" and reply["consumer"] == "dispatch"
    assert queues[UPDATED] == {
        "queue": UPDATED, "event_type": "labourer_updated", "status": "resynced",
        "records": 7, "events": 1,
    }  # fmt: skip
    for queue in ("dispatch.handle_labourer_registered", "dispatch.handle_labourer_merged",
                  "dispatch.handle_user_tokens_revoked"):  # fmt: skip
        assert queues[queue]["status"] == "no_source" and queues[queue]["events"] == 0
    expected = registry_versions(engines["registry"])
    assert len(expected) == 7

    def complete():
        copies = pool(engines["dispatch"])
        return {p: (c["version"], c["name"], c["status"]) for p, c in copies.items()} == expected

    eventually(complete, within=60)
    copies = pool(engines["dispatch"])
    head, spouse, welder = (copies[i] for i in people.ids[:3])
    assert head["poor"] and spouse["poor"] and not welder["poor"]
    assert head["skills"] == ["电焊工"] and welder["skills"] == ["电工", "砌筑工"]
    assert spouse["willing_to_go"] and copies[people.ids[3]]["version"] == 3
    assert copies[people.ids[6]]["status"] == "merged"
    assert {c["events_applied"] for c in copies.values()} == {1}
    assert outbox_rows(engines["registry"]) == []  # a resync writes nothing to the outbox

    # Twice: the same states; each person's copy counts one more applied event.
    with client(admin) as rpc:
        rpc.registry.resync_events({"consumer": "dispatch"})
    eventually(
        lambda: {c["events_applied"] for c in pool(engines["dispatch"]).values()} == {2},
        within=60,
    )
    again = pool(engines["dispatch"])
    assert {p: dict(c, events_applied=1) for p, c in again.items()} == copies


def test_the_same_version_fills_what_a_copy_lacks(
    registry, container_factory, stack_config, engines, admin, sample
):
    """A pool that holds everyone at their current version, but without what its copies did
    not keep before (an upgraded county: intentions, skill codes), gets them from a resync."""
    people = People(admin, sample)
    container_factory(DispatchService).start()
    settled(engines)
    merged = people.ids[6]
    # Every event applied, the merge too (it comes on a queue of its own, maybe last).
    eventually(
        lambda: (
            (copies := pool(engines["dispatch"]))
            and len(copies) == 7
            and copies[merged]["status"] == "merged"
        ),
        within=60,
    )
    before = pool(engines["dispatch"])
    with engines["dispatch"].begin() as connection:
        connection.execute(
            update(candidates).values(  # a pool from before issue 15 kept none of these
                skills=[], intention_regions=[], intention_scope=None, skill_codes=[],
                industry_codes=[], training_intention=[],
            )
        )  # fmt: skip
    with client(admin) as rpc:
        rpc.registry.resync_events({"consumer": "dispatch", "event_types": ["labourer_updated"]})

    def filled():  # every copy resynced, not only the first one seen
        copies = pool(engines["dispatch"])
        resynced = all(copies[p]["events_applied"] > before[p]["events_applied"] for p in copies)
        return resynced and copies

    copies = eventually(filled, within=60)
    assert copies[people.ids[0]]["skills"] == ["电焊工"]
    # the pool's tombstone becomes registry's own record of it
    assert copies[merged]["status"] == "merged"
    assert copies[merged]["version"] == before[merged]["version"]
    assert {p: dict(c, events_applied=0) for p, c in copies.items() if p != merged} == {
        p: dict(c, events_applied=0) for p, c in before.items() if p != merged
    }
    assert {copies[p]["events_applied"] - before[p]["events_applied"] for p in copies} == {1}


def test_a_resync_reaches_only_the_asking_consumers_queue(
    registry, stack_config, engines, admin, sample
):
    """Nobody consumes (no dispatch running): every queue of the county is looked at after."""
    people = People(admin, sample)
    lose_everything(stack_config, engines)
    with client(admin) as rpc:
        rpc.registry.resync_events({"consumer": "dispatch", "event_types": ["labourer_updated"]})
    uri = stack_config["AMQP_URI"]
    delivered = drain(uri, UPDATED)
    assert len(delivered) == 1
    others = {q.name: queue_depth(uri, q.name) for q in county_topology().queues}
    assert {name: depth for name, depth in others.items() if depth} == {}

    # A consumer holding every resynced event: ordinary envelopes, fresh ids, nothing in clear.
    (body,) = [m.body for m in delivered]
    envelope = parse_envelope(json.loads(body), TEST_COUNTY)
    assert envelope.type == "labourer_updated" and envelope.actor == "user:tester"
    assert str(envelope.event_id) not in outbox_rows(engines["registry"])
    states = envelope.payload["people"]
    assert sorted(s["person_id"] for s in states) == sorted(people.ids)
    assert {s["changed"] == [] for s in states} == {True}
    text = body if isinstance(body, str) else body.decode()
    for given in people.given:
        assert given["id_number"] not in text and given["phone"] not in text
        assert given["id_number"][6:14] not in text  # nor the birth date


def test_people_go_500_to_an_event_page_by_page(registry, stack_config, engines, admin, sample):
    """Registration's batches (500 people an event); the kit pages at the same size. With a page
    of 3, seven people are three pages and three events, each at most a page."""
    assert resync.PAGE_RECORDS == EVENT_BATCH == 500
    People(admin, sample)
    lose_everything(stack_config, engines)
    resyncer = resyncer_with(stack_config, engines, RESYNC_SOURCES, page_records=3)
    reply = resyncer.to_consumer(
        {"consumer": "dispatch", "event_types": ["labourer_updated"]}, operator()
    )
    assert reply["queues"][0]["records"] == 7 and reply["queues"][0]["events"] == 3
    bodies = [json.loads(m.body) for m in drain(stack_config["AMQP_URI"], UPDATED)]
    sizes = [len(b["payload"]["people"]) for b in bodies]
    ids = [p["person_id"] for b in bodies for p in b["payload"]["people"]]
    assert sizes == [3, 3, 1] and ids == sorted(ids) and len(set(ids)) == 7
    assert {b["correlation_id"] for b in bodies} == {"corr-resync"}


def test_only_the_county_administrator_may_resync(registry, stack_config, token_keys):
    request = {"consumer": "dispatch"}
    outcomes = {
        role: rpc_outcome(token_keys.mint([role]), "registry", "resync_events", request)
        for role in ROLES
        if role != "county_admin"
    }
    assert set(outcomes.values()) == {"FORBIDDEN"}, outcomes
    assert rpc_outcome(None, "registry", "resync_events", request) == "UNAUTHENTICATED"
    assert queue_depth(stack_config["AMQP_URI"], UPDATED) == 0


CRAFTED = [
    ({"consumer": "nobody"}, "no consumer named 'nobody'"),
    ({"consumer": UPDATED}, "no consumer named"),
    ({"consumer": ""}, "consumer"),
    ({}, "consumer"),
    ({"consumer": "dispatch", "queue": "fund.handle_seal_confirmed"}, "queue"),
    ({"consumer": "fund", "event_types": ["labourer_updated"]}, "fund consumes no"),
    ({"consumer": "dispatch", "event_types": ["seal_submitted"]}, "consumes no"),
    ({"consumer": "dispatch", "event_types": []}, "event_types"),
    ({"consumer": "dispatch", "event_types": "labourer_updated"}, "event_types"),
    ({"consumer": ["dispatch"]}, "consumer"),
]


def test_a_crafted_request_is_refused_and_publishes_nothing(registry, stack_config, admin):
    with client(admin) as rpc:
        for request, named in CRAFTED:
            with pytest.raises(RemoteError) as refused:
                rpc.registry.resync_events(request)
            text = refused.value.value
            assert text.startswith("[INVALID_INPUT]") and named in text, (request, text)
    assert queue_depth(stack_config["AMQP_URI"], UPDATED) == 0


def test_a_consumer_of_nothing_of_this_publisher_is_refused(container_factory, stack_config, admin):
    container_factory(DispatchService).start()
    with client(admin) as rpc, pytest.raises(RemoteError) as refused:
        rpc.dispatch.resync_events({"consumer": "notify"})
    assert "notify consumes none of dispatch's events" in refused.value.value


# -- the kit's own guards ----------------------------------------------------------------------


def test_a_queue_not_bound_for_resyncs_stops_it_with_a_code(stack_config, engines):
    uri = stack_config["AMQP_URI"]
    connection = connect(uri)
    connection.channel().queue_unbind(UPDATED, "registry.events", replay_routing_key(UPDATED))
    connection.close()
    request = {"consumer": "dispatch", "event_types": ["labourer_updated"]}
    with pytest.raises(resync.ResyncFailed, match="not bound for replays") as failed:
        resyncer_with(stack_config, engines, {"labourer_updated": one_labourer}).to_consumer(
            request, operator()
        )
    assert failed.value.details == {"queue": UPDATED, "sent": 0}
    nowhere = uri.replace(":5672/", ":1/")
    with pytest.raises(resync.ResyncFailed) as failed:
        resyncer_with(
            stack_config, engines, {"labourer_updated": one_labourer}, nowhere
        ).to_consumer(request, operator())
    assert failed.value.code == "RESYNC_FAILED" and "publishing" in failed.value.details["why"]


def one_labourer(uow, caller, after, limit):
    state = {"person_id": str(uuid.uuid4()), "version": 1}
    return resync.ResyncPage(
        [registry_event("labourer_updated", caller, {"people": [state]})], 1, None
    )


def test_a_source_that_errs_is_stopped_before_it_publishes(stack_config, engines):
    def wrong_type(uow, caller, after, limit):
        return resync.ResyncPage([registry_event("seal_revoked", caller, {})], 1, None)

    def stuck(uow, caller, after, limit):
        return resync.ResyncPage([], 0, "same-place")

    request = {"consumer": "dispatch", "event_types": ["labourer_updated"]}
    for source, says in ((wrong_type, "made a seal_revoked event"), (stuck, "does not move on")):
        resyncer = resyncer_with(stack_config, engines, {"labourer_updated": source})
        with pytest.raises(RuntimeError, match=says):
            resyncer.to_consumer(request, operator())
    assert queue_depth(stack_config["AMQP_URI"], UPDATED) == 0
