"""Placements through DispatchService on a real database, time moved by the kit's clock only:
an arrived batch member placed under the agreement version in force, followed up at 1, 3 and 6
months (due, then overdue after the grace days), and a return that frees the labourer for
matching again; every bad request refused with a clear error and nothing written."""

from datetime import date, timedelta

import pytest
from nameko import config as nameko_config
from sqlalchemy import func, select

from dispatch.adapters.placement_tables import placement_follow_ups, placements
from dispatch_contract.placements import FOLLOW_UP_FIELDS, PLACEMENT_STATE_FIELDS
from dispatch_support import key
from placement_support import START, YEAR, Placements, move_clock_to
from sanbao_common.envelope import parse_envelope
from sanbao_common.errors import DomainError, InvalidInput

COUNTY = "532501"


@pytest.fixture
def scene(dispatch):
    return Placements(dispatch)


def stored(dispatch) -> tuple[int, int, int]:
    """(placements, follow-ups, placement events): what a refusal must leave unchanged."""
    with dispatch.db.reader() as uow:
        rows = [
            uow.connection.execute(select(func.count()).select_from(table)).scalar()
            for table in (placements, placement_follow_ups)
        ]
    return (*rows, len([e for e in dispatch.events() if e["type"].startswith("placement_")]))


def refused(dispatch, call, code: str) -> DomainError:
    before = stored(dispatch)
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code, caught.value
    assert stored(dispatch) == before
    return caught.value


def test_an_arrived_member_is_placed_under_the_agreement_version_in_force(dispatch, scene):
    (li,) = scene.people("李娜", poor=True, agent_id="agent-7")
    batch = scene.arrived_batch(li)

    placed = scene.start(batch, li)

    assert tuple(placed) == PLACEMENT_STATE_FIELDS
    assert placed["status"] == "active" and placed["version"] == 1
    assert (placed["batch_id"], placed["order_id"]) == (batch, scene.order["order_id"])
    assert (placed["agreement_id"], placed["agreement_version"]) == (scene.agreement_id, 1)
    assert placed["hr_company"] == dispatch.hr.org_id
    assert placed["employer_name"] == "东莞市长安电子科技有限公司"
    assert (placed["village_code"], placed["township_code"]) == (li["village_code"], "532501001")
    assert (placed["agent_id"], placed["poor"]) == ("agent-7", True)
    assert (placed["place_scope"], placed["place"]) == ("outside_province", "广东省东莞市长安镇")
    assert (placed["wage_fen"], placed["current_wage_fen"]) == (520000, 520000)
    assert placed["starts_on"] == START.isoformat() and placed["started_by"] == "user:zhou.hr"
    # A start on the 31st falls due at the end of shorter months.
    assert placed["schedule"] == [
        {"month": 1, "due_on": f"{YEAR}-02-28", "recorded": False},
        {"month": 3, "due_on": f"{YEAR}-04-30", "recorded": False},
        {"month": 6, "due_on": f"{YEAR}-07-31", "recorded": False},
    ]
    assert placed["follow_ups"] == []
    # The booking moved from the batch to the placement.
    assert scene.booked_by(li) == placed["placement_id"]
    (event,) = dispatch.events("placement_started")
    envelope = parse_envelope(event, COUNTY)
    assert (envelope.record_id, envelope.version) == (placed["placement_id"], 1)
    assert envelope.payload == placed
    assert scene.hr.get_placement(placed["placement_id"]) == placed
    assert scene.hr.list_placements()["placements"] == [placed]


def test_a_retry_with_the_same_key_places_once(dispatch, scene):
    (li,) = scene.people("李娜")
    batch = scene.arrived_batch(li)
    request = {"batch_id": batch, "person_id": li["person_id"],
               "starts_on": START.isoformat(), "wage": "5200.00"}  # fmt: skip
    command_key = key()
    first = scene.hr.start_placement(request, command_key)
    assert scene.hr.start_placement(request, command_key) == first
    assert stored(dispatch) == (1, 0, 1)


def test_placements_of_people_not_in_the_batch_are_refused(dispatch, scene):
    li, wang, zhao = scene.people("李娜", "王芳", "赵强")
    batch = scene.arrived_batch(li)
    other = scene.arrived_batch(wang)
    refused(dispatch, lambda: scene.start(batch, wang), "NOT_IN_BATCH")  # another batch's
    refused(dispatch, lambda: scene.start(batch, zhao), "NOT_IN_BATCH")  # in no batch
    refused(dispatch, lambda: scene.start("no-such-batch", li), "NOT_IN_BATCH")
    refused(dispatch, lambda: scene.start(other, li), "NOT_IN_BATCH")
    scene.start(batch, li)
    refused(dispatch, lambda: scene.start(batch, li), "ALREADY_PLACED")
    assert scene.booked_by(wang) == other  # nothing moved


def test_a_member_who_has_not_arrived_is_not_placed(dispatch, scene):
    from sqlalchemy import update

    from dispatch.adapters.batch_tables import batch_members

    (li,) = scene.people("李娜")
    batch = scene.arrived_batch(li)
    with dispatch.db.unit_of_work() as uow:
        uow.connection.execute(update(batch_members).values(status="no_show"))
        uow.commit()
    refused(dispatch, lambda: scene.start(batch, li), "NOT_IN_BATCH")


def test_bad_starts_and_wages_are_refused(dispatch, scene):
    (li,) = scene.people("李娜")
    batch = scene.arrived_batch(li, arrived_on=START)
    day_before = (START - timedelta(days=1)).isoformat()
    refused(dispatch, lambda: scene.start(batch, li, starts_on=day_before), "PLACEMENT_REJECTED")
    far = (START + timedelta(days=32)).isoformat()
    refused(dispatch, lambda: scene.start(batch, li, starts_on=far), "PLACEMENT_REJECTED")
    refused(dispatch, lambda: scene.start(batch, li, wage="0"), "PLACEMENT_REJECTED")
    refused(dispatch, lambda: scene.start(batch, li, wage="四千"), "INVALID_INPUT")
    refused(dispatch, lambda: scene.start(batch, li, starts_on="31/01"), "INVALID_INPUT")
    with pytest.raises(InvalidInput):
        scene.hr.start_placement({"batch_id": batch, "person_id": li["person_id"]}, key())


def test_no_placement_starts_when_no_agreement_version_is_in_force(dispatch):
    scene = Placements(dispatch, term_end=START.isoformat())  # the term ends on the start day
    (li,) = scene.people("李娜")
    batch = scene.arrived_batch(li, arrived_on=START)
    after = (START + timedelta(days=1)).isoformat()
    refused(dispatch, lambda: scene.start(batch, li, starts_on=after), "AGREEMENT_NOT_IN_FORCE")
    assert scene.booked_by(li) == batch


# -- follow-ups ----------------------------------------------------------------------------


def follow_up(scene, placement, month=1, on=None, outcome="employed", wage="5600.00", **more):
    request = {"month": month, "contacted_on": (on or START).isoformat(), "outcome": outcome,
               "wage": wage, **more}  # fmt: skip
    return scene.hr.record_follow_up(placement["placement_id"], request, key())


def test_follow_ups_fall_due_then_overdue_and_are_recorded_once(dispatch, scene):
    (li,) = scene.people("李娜")
    placed = scene.start(scene.arrived_batch(li), li)
    due_1 = date(YEAR, 2, 28)

    refused(dispatch, lambda: follow_up(scene, placed), "FOLLOW_UP_NOT_DUE")
    assert scene.hr.list_follow_ups()["follow_ups"] == []

    move_clock_to(due_1)
    (item,) = scene.hr.list_follow_ups()["follow_ups"]
    assert (item["placement_id"], item["month"], item["due_on"], item["state"]) == (
        placed["placement_id"], 1, due_1.isoformat(), "due",
    )  # fmt: skip
    assert scene.hr.list_follow_ups("overdue")["follow_ups"] == []
    move_clock_to(due_1 + timedelta(days=7))
    assert [i["state"] for i in scene.hr.list_follow_ups()["follow_ups"]] == ["due"]
    move_clock_to(due_1 + timedelta(days=8))
    assert [i["month"] for i in scene.hr.list_follow_ups("overdue")["follow_ups"]] == [1]
    assert scene.hr.list_follow_ups("due")["follow_ups"] == []
    refused(dispatch, lambda: follow_up(scene, placed, month=3), "FOLLOW_UP_NOT_DUE")

    recorded = follow_up(scene, placed, on=due_1, note="电话回访，在岗")
    assert recorded["version"] == 2 and recorded["current_wage_fen"] == 560000
    assert recorded["wage_fen"] == 520000  # the start's wage stays
    (record,) = recorded["follow_ups"]
    assert tuple(record) == FOLLOW_UP_FIELDS
    assert (record["month"], record["due_on"], record["outcome"]) == (1, due_1.isoformat(),
                                                                      "employed")  # fmt: skip
    assert recorded["schedule"][0]["recorded"] is True
    (event,) = dispatch.events("placement_followed_up")
    assert parse_envelope(event, COUNTY).payload == recorded
    assert scene.hr.list_follow_ups()["follow_ups"] == []
    refused(dispatch, lambda: follow_up(scene, placed), "FOLLOW_UP_RECORDED")

    move_clock_to(date(YEAR, 5, 1))  # the 3-month one is due; nobody was reached
    after = follow_up(scene, placed, month=3, on=date(YEAR, 4, 30), outcome="not_reached",
                      wage=None)  # fmt: skip
    assert after["version"] == 3 and after["current_wage_fen"] == 560000


def test_bad_follow_ups_are_refused(dispatch, scene):
    (li,) = scene.people("李娜")
    placed = scene.start(scene.arrived_batch(li), li)
    move_clock_to(date(YEAR, 3, 1))
    refused(dispatch, lambda: scene.hr.record_follow_up(
        "no-such-placement", {"month": 1, "contacted_on": "2027-02-28", "outcome": "not_reached"},
        key()), "PLACEMENT_NOT_FOUND")  # fmt: skip
    refused(dispatch, lambda: follow_up(scene, placed, month=2), "INVALID_INPUT")
    refused(dispatch, lambda: follow_up(scene, placed, wage=None), "FOLLOW_UP_REJECTED")
    refused(dispatch, lambda: follow_up(scene, placed, outcome="not_reached"),
            "FOLLOW_UP_REJECTED")  # fmt: skip
    refused(dispatch, lambda: follow_up(scene, placed, on=date(YEAR, 3, 2)), "FOLLOW_UP_REJECTED")
    refused(dispatch, lambda: follow_up(scene, placed, on=START - timedelta(days=1)),
            "FOLLOW_UP_REJECTED")  # fmt: skip
    refused(dispatch, lambda: follow_up(scene, placed, outcome="returned"), "INVALID_INPUT")


def test_the_grace_days_are_configured(dispatch, scene):
    (li,) = scene.people("李娜")
    scene.start(scene.arrived_batch(li), li)
    move_clock_to(date(YEAR, 3, 2))
    assert [i["state"] for i in scene.hr.list_follow_ups()["follow_ups"]] == ["due"]
    with nameko_config.patch({"dispatch": {"FOLLOW_UP_GRACE_DAYS": 1}}):
        reply = scene.hr.list_follow_ups()
    assert reply["grace_days"] == 1
    assert [i["state"] for i in reply["follow_ups"]] == ["overdue"]


# -- the end -------------------------------------------------------------------------------


def test_a_return_ends_the_placement_and_the_labourer_is_matched_again(dispatch, scene):
    li, wang = scene.people("李娜", "王芳")
    placed = scene.start(scene.arrived_batch(li, wang), li)
    order_id = scene.order["order_id"]
    listed = {c["person_id"] for c in scene.hr.match_order(order_id, False)["candidates"]}
    assert li["person_id"] not in listed

    move_clock_to(date(YEAR, 3, 10))
    ended = scene.hr.end_placement(placed["placement_id"], f"{YEAR}-03-09", "returned", key())
    assert (ended["status"], ended["ended_on"], ended["end_reason"]) == (
        "ended", f"{YEAR}-03-09", "returned",
    )  # fmt: skip
    assert ended["version"] == 2 and ended["ended_by"] == "user:zhou.hr"
    (event,) = dispatch.events("placement_ended")
    assert parse_envelope(event, COUNTY).payload == ended
    assert scene.booked_by(li) is None
    listed = {c["person_id"] for c in scene.hr.match_order(order_id, False)["candidates"]}
    assert li["person_id"] in listed and wang["person_id"] not in listed  # wang: still booked
    # Nothing is due of an ended placement; nothing more is recorded of it.
    assert scene.hr.list_follow_ups()["follow_ups"] == []
    refused(dispatch, lambda: follow_up(scene, placed, on=date(YEAR, 3, 1)), "PLACEMENT_ENDED")
    refused(dispatch, lambda: scene.hr.end_placement(
        placed["placement_id"], f"{YEAR}-03-09", "returned", key()), "PLACEMENT_ENDED")  # fmt: skip


def test_bad_ends_are_refused(dispatch, scene):
    (li,) = scene.people("李娜")
    placed = scene.start(scene.arrived_batch(li), li)
    pid = placed["placement_id"]
    end = scene.hr.end_placement
    refused(dispatch, lambda: end("no-such", START.isoformat(), "returned", key()),
            "PLACEMENT_NOT_FOUND")  # fmt: skip
    refused(
        dispatch,
        lambda: end(pid, (START + timedelta(days=1)).isoformat(), "returned", key()),
        "PLACEMENT_REJECTED",
    )  # fmt: skip  (tomorrow)
    refused(
        dispatch,
        lambda: end(pid, (START - timedelta(days=1)).isoformat(), "returned", key()),
        "PLACEMENT_REJECTED",
    )  # fmt: skip  (before the start)
    refused(dispatch, lambda: end(pid, START.isoformat(), "fled", key()), "INVALID_INPUT")
    assert scene.booked_by(li) == pid
