"""An arrived member the employer turned away on arrival: let go from the
batch without a placement (`release_from_batch`), with the reason, and free for another batch;
refused, with nothing written, for anyone else, for a placed member, and for another company."""

from sqlalchemy import select

from batch_support import everything, refused
from dispatch.adapters.tables import candidates
from dispatch_support import key, today


def booked_by(dispatch, person_id: str) -> str | None:
    with dispatch.db.reader() as uow:
        return uow.connection.execute(
            select(candidates.c.booked_by).where(candidates.c.person_id == person_id)
        ).scalar()


def arrived(batch) -> list[str]:
    return [m["person_id"] for m in batch["members"] if m["status"] == "arrived"]


def test_a_member_turned_away_on_arrival_is_let_go_with_the_reason(dispatch, desk):
    batch = desk.arrived_batch(2)
    kept, turned_away = arrived(batch)
    request_key = key()
    state = desk.hr.release_from_batch(batch["batch_id"], turned_away, "体检不合格", request_key)
    assert state["version"] == batch["version"] + 1 and state["status"] == "arrived"
    members = {m["person_id"]: m for m in state["members"]}
    assert members[turned_away]["status"] == "released"
    assert members[turned_away]["released_reason"] == "体检不合格"
    assert members[kept]["status"] == "arrived" and members[kept]["released_reason"] is None
    assert booked_by(dispatch, turned_away) is None
    assert booked_by(dispatch, kept) == batch["batch_id"]
    (event,) = [e for e in dispatch.events("batch_updated") if e["version"] == state["version"]]
    assert event["record_id"] == batch["batch_id"] and event["payload"] == state
    # The same request again: the same answer, nothing more written.
    before = everything(dispatch)
    again = desk.hr.release_from_batch(batch["batch_id"], turned_away, "体检不合格", request_key)
    assert again == state and everything(dispatch) == before
    # Free: another batch may invite them; the batch's own member is not placed from it.
    other = desk.form(desk.order(head_count=1), [turned_away])
    assert booked_by(dispatch, turned_away) == other["batch_id"]
    start = {"batch_id": batch["batch_id"], "person_id": turned_away,
             "starts_on": today().isoformat(), "wage": "5000.00"}  # fmt: skip
    refused(dispatch, lambda: desk.hr.start_placement(start, key()), "NOT_IN_BATCH")


def test_only_an_arrived_member_not_placed_is_let_go(dispatch, desk):
    batch = desk.arrived_batch(3, no_shows=1)
    batch_id = batch["batch_id"]
    placed, other = arrived(batch)
    (no_show,) = [m["person_id"] for m in batch["members"] if m["status"] == "no_show"]
    start = {"batch_id": batch_id, "person_id": placed, "starts_on": today().isoformat(),
             "wage": "5000.00"}  # fmt: skip
    placement = desk.hr.start_placement(start, key())

    def release(person_id, batch_id=batch_id, reason="不要了"):
        return lambda: desk.hr.release_from_batch(batch_id, person_id, reason, key())

    refused(dispatch, release(placed), "ALREADY_PLACED")
    refused(dispatch, release(no_show), "NOT_IN_BATCH")
    refused(dispatch, release(desk.people(1)[0]["person_id"]), "NOT_IN_BATCH")
    refused(dispatch, release(other, batch_id="no-such-batch"), "BATCH_NOT_FOUND")
    refused(dispatch, release(other, reason=""), "INVALID_INPUT")
    # A placement that ended leaves the person free, and still placed from this batch.
    desk.hr.end_placement(placement["placement_id"], today().isoformat(), "returned", key())
    refused(dispatch, release(placed), "ALREADY_PLACED")
    # Released once: not again.
    desk.hr.release_from_batch(batch_id, other, "不要了", key())
    refused(dispatch, release(other), "NOT_IN_BATCH")


def test_not_before_arrival_nor_by_another_company(dispatch, desk):
    people = desk.people(1)
    batch = desk.form(desk.order(head_count=1), people)
    person_id = people[0]["person_id"]
    refused(
        dispatch,
        lambda: desk.hr.release_from_batch(batch["batch_id"], person_id, "不要了", key()),
        "BATCH_STATUS_REFUSED",
    )
    arrived_batch = desk.arrived_batch(1)
    intruder = dispatch.as_(["hr_operator"], dispatch.hr_company("org-hr-2"), user="wu.hr")
    (member,) = arrived(arrived_batch)
    refused(
        dispatch,
        lambda: intruder.release_from_batch(arrived_batch["batch_id"], member, "捣乱", key()),
        "OUT_OF_SCOPE",
    )
    admin = dispatch.admin()
    state = admin.release_from_batch(arrived_batch["batch_id"], member, "用工单位拒收", key())
    assert [m["status"] for m in state["members"]] == ["released"]
