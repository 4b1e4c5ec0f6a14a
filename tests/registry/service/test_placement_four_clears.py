"""A placement shows in the person's four clears (employment status = its place scope, place,
the placement as source) and a return sets them back, each change history and a new version
published as labourer_updated; dispatch's pool takes those states and keeps its booking."""

import json
import threading
import uuid

import pytest
from sqlalchemy import select, update

from dispatch import handlers as dispatch_handlers
from dispatch.adapters.tables import candidates
from registry_hiring_support import deliver, key, new_id, placement_event
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.envelope import MalformedEvent, parse_envelope
from sanbao_common.messaging.tables import OUTBOX
from testkit import TEST_COUNTY

VILLAGE = "532501001201"


def labourer_events(db) -> list[dict]:
    with db.reader() as uow:
        bodies = uow.connection.execute(select(OUTBOX.c.body).order_by(OUTBOX.c.position))
        return [
            body
            for body in map(json.loads, bodies.scalars())
            if body["type"] in ("labourer_registered", "labourer_updated")
        ]


def unemployed(coop, sample) -> str:
    return coop.register_labourer(
        {"name": sample.name(), "id_number": sample.id_number("532501"), "village_code": VILLAGE,
         "employment_status": "失业", "intention_regions": ["昆明市"]},
        key(),
    )["person_id"]  # fmt: skip


def employment(coop, person_id) -> tuple:
    reply = coop.get_labourer(person_id)
    return (
        reply["employment_status"],
        reply["employment_place"],
        reply["employment_source"],
        reply["version"],
    )


def test_a_placement_shows_in_the_four_clears_and_a_return_sets_them_back(coop, hr_a, db, sample):
    anna = unemployed(coop, sample)
    placement = new_id()
    deliver(hr_a, placement_event("placement_started", placement, 1, anna))
    assert employment(coop, anna) == ("in_province", "昆明市呈贡区", placement, 2)
    reply = coop.get_labourer(anna)
    assert reply["willing_to_go"] is False
    assert reply["four_clears"]["employment"]["by"] == "system:registry for user:hr-a"
    updated = labourer_events(db)[-1]
    assert updated["type"] == "labourer_updated" and updated["actor"].startswith("system:registry")
    (state,) = updated["payload"]["people"]
    assert (state["person_id"], state["version"], state["employment_status"]) == (
        anna, 2, "in_province",
    )  # fmt: skip
    assert state["employment_source"] == placement
    assert state["changed"] == ["employment_place", "employment_source", "employment_status"]
    # A follow-up changes nothing of the four clears: no new version, no event.
    deliver(hr_a, placement_event("placement_followed_up", placement, 2, anna))
    assert employment(coop, anna)[3] == 2 and len(labourer_events(db)) == 2
    deliver(hr_a, placement_event("placement_ended", placement, 3, anna, status="ended"))
    assert employment(coop, anna) == ("unemployed", None, None, 3)
    assert labourer_events(db)[-1]["payload"]["people"][0]["employment_status"] == "unemployed"
    history = [(h["field"], h["before"], h["after"]) for h in coop.labourer_history(anna)]
    assert ("employment_status", "unemployed", "in_province") in history
    assert ("employment_status", "in_province", "unemployed") in history
    # Replayed (new event ids), the start and the follow-up change nothing any more.
    deliver(hr_a, dict(placement_event("placement_started", placement, 1, anna)))
    deliver(hr_a, dict(placement_event("placement_followed_up", placement, 2, anna)))
    assert employment(coop, anna) == ("unemployed", None, None, 3)
    assert len(labourer_events(db)) == 3


def test_an_end_that_arrives_before_the_start_leaves_the_four_clears_alone(coop, hr_a, db, sample):
    anna = unemployed(coop, sample)
    placement = new_id()
    deliver(hr_a, placement_event("placement_ended", placement, 3, anna, status="ended"))
    deliver(hr_a, placement_event("placement_started", placement, 1, anna))
    assert employment(coop, anna) == ("unemployed", None, None, 1)
    assert len(labourer_events(db)) == 1


def test_what_the_township_records_during_a_placement_stands_when_it_ends(coop, hr_a, sample):
    anna = unemployed(coop, sample)
    placement = new_id()
    deliver(hr_a, placement_event("placement_started", placement, 1, anna))
    coop.update_labourer(
        anna, {"employment_status": "省外务工", "employment_place": "广东省"}, key()
    )
    assert employment(coop, anna)[:3] == ("outside_province", "广东省", None)
    deliver(hr_a, placement_event("placement_ended", placement, 2, anna, status="ended"))
    assert employment(coop, anna)[:3] == ("outside_province", "广东省", None)


def test_a_placement_of_someone_registry_does_not_know_changes_no_one(coop, hr_a, db, sample):
    unemployed(coop, sample)
    deliver(hr_a, placement_event("placement_started", new_id(), 1, str(uuid.uuid4())))
    assert len(labourer_events(db)) == 1


@pytest.mark.parametrize(
    "payload",
    [
        {"place_scope": "on_the_moon"},
        {"place_scope": None},
        {"place": 42},
        {"person_id": None},
        {"hr_company": ""},
        {"placement_id": "x" * 40},
    ],
)
def test_a_malformed_placement_event_changes_nothing(coop, hr_a, sample, payload):
    anna = unemployed(coop, sample)
    placement = new_id()
    body = placement_event("placement_started", placement, 1, anna, overrides=payload)
    with pytest.raises(MalformedEvent):
        deliver(hr_a, body)
    assert employment(coop, anna) == ("unemployed", None, None, 1)


@pytest.fixture
def pool(databases):
    engine = create_database_engine(databases["dispatch"])
    yield DatabaseHandle(engine, threading.Lock())
    engine.dispose()


def test_dispatch_keeps_its_booking_when_the_placement_reaches_the_four_clears(
    coop, hr_a, db, pool, sample
):
    anna = unemployed(coop, sample)
    placement = new_id()

    def to_pool(body):
        with pool.unit_of_work() as uow:
            dispatch_handlers.apply_labourer_states(uow, [parse_envelope(body, TEST_COUNTY)])
            uow.commit()

    to_pool(labourer_events(db)[0])
    with pool.unit_of_work() as uow:
        uow.connection.execute(
            update(candidates).where(candidates.c.person_id == anna).values(booked_by=placement)
        )
        uow.commit()
    deliver(hr_a, placement_event("placement_started", placement, 1, anna))
    to_pool(labourer_events(db)[-1])
    with pool.reader() as uow:
        row = uow.connection.execute(select(candidates).where(candidates.c.person_id == anna)).one()
    assert (row.booked_by, row.version, row.employment_status) == (placement, 2, "in_province")
    assert row.willing_to_go is False
