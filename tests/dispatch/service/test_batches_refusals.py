"""Every batch request that must not be done: refused with an error naming the problem, and
nothing written (no batch, member, substitution, booking or event changes). And the attackers:
another HR company's operator, the batch's own former approving it, an agent answering for
someone outside their area, one person on two open batches."""

from datetime import timedelta

import eventlet
import pytest
from sqlalchemy import select

from batch_support import cost, refused
from dispatch.adapters.tables import candidates
from dispatch.batches import domain as batch_domain
from dispatch_support import key, today
from sanbao_common.access import Forbidden
from sanbao_common.errors import DomainError, InvalidInput

OTHER_VILLAGE = "532501009209"


def forming(desk, count=2, **order):
    people = desk.people(count)
    return people, desk.form(desk.order(**order), people)


def approved(desk, count=2, costs=(), **order):
    people = desk.people(count)
    batch = desk.form(desk.order(**order), people, costs)
    desk.answer(batch, people)
    return people, desk.approve(batch)


# -- forming and inviting ------------------------------------------------------------------


def test_a_closed_or_unknown_order_takes_no_batch(dispatch, desk):
    people = desk.people(1)
    order_id = desk.order()
    desk.hr.close_job_order(order_id, "closed", None, key())
    refused(dispatch, lambda: desk.form(order_id, people), "JOB_ORDER_NOT_OPEN")
    refused(dispatch, lambda: desk.form("no-such-order", people), "JOB_ORDER_NOT_FOUND")


def test_no_more_people_than_the_order_still_wants(dispatch, desk):
    people = desk.people(3)
    order_id = desk.order(head_count=2)
    error = refused(dispatch, lambda: desk.form(order_id, people), "BATCH_OVER_HEAD_COUNT")
    assert error.details == {"head_count": 2, "held": 0, "asked": 3}
    desk.form(order_id, people[:1])
    second = desk.form(order_id, [])
    # One place is held by the first batch: the second batch may take one, not two.
    refused(
        dispatch,
        lambda: desk.hr.invite_to_batch(
            second["batch_id"], [p["person_id"] for p in people[1:]], key()
        ),  # fmt: skip
        "BATCH_OVER_HEAD_COUNT",
    )
    assert len(desk.hr.invite_to_batch(second["batch_id"], [people[1]["person_id"]], key())[
        "members"]) == 1  # fmt: skip


def test_people_not_in_the_pool_or_booked_are_refused(dispatch, desk):
    people, batch = forming(desk, 1, head_count=5)
    merged = desk.people(1, status="merged")
    order_id = desk.order(head_count=5)
    refused(dispatch, lambda: desk.form(order_id, ["no-such-person"]), "NOT_IN_POOL")
    refused(dispatch, lambda: desk.form(order_id, merged), "NOT_IN_POOL")
    error = refused(dispatch, lambda: desk.form(order_id, people), "ALREADY_BOOKED")
    assert error.details["person_ids"] == [people[0]["person_id"]]
    refused(
        dispatch,
        lambda: desk.hr.invite_to_batch(batch["batch_id"], [people[0]["person_id"]], key()),
        "ALREADY_IN_BATCH",
    )


@pytest.mark.parametrize(
    "request_, field",
    [
        ({"people": []}, "order_id"),
        ({"order_id": "o", "costs": [{"kind": "beer", "per": "person", "amount": "1.00"}]},
         "costs"),
        ({"order_id": "o", "costs": [{"kind": "meals", "per": "seat", "amount": "1.00"}]},
         "costs"),
        ({"order_id": "o", "costs": [{"kind": "meals", "per": "batch", "amount": "0.00"}]},
         "costs"),
        ({"order_id": "o", "costs": [{"kind": "meals", "per": "batch", "amount": "1.001"}]},
         "costs"),
        ({"order_id": "o", "costs": [cost("meals", "batch", "1.00")] * 2}, "costs"),
        ({"order_id": "o", "people": ["p", "p"]}, "people"),
        ({"order_id": "o", "colour": "red"}, "colour"),
    ],
)  # fmt: skip
def test_malformed_forms_are_refused(dispatch, desk, request_, field):
    error = refused(dispatch, lambda: desk.hr.form_batch(request_, key()), "INVALID_INPUT")
    assert isinstance(error, InvalidInput) and field in error.errors


# -- answers -------------------------------------------------------------------------------


def test_answers_only_for_the_invited_by_someone_of_their_area(dispatch, desk):
    people, batch = forming(desk, 1, head_count=3)
    stranger = desk.people(1)[0]
    refused(dispatch, lambda: desk.answer(batch, [stranger]), "NOT_INVITED")
    refused(dispatch, lambda: desk.answer(batch, people, "maybe"), "INVALID_INPUT")
    refused(dispatch, lambda: desk.answer(batch, people, on=today() + timedelta(days=1)),
            "BATCH_DATE_REFUSED")  # fmt: skip
    refused(dispatch, lambda: desk.answer(batch, people, on=today() - timedelta(days=1)),
            "BATCH_DATE_REFUSED")  # before the invitation  # fmt: skip
    elsewhere = desk.worker(["agent"], "village_coop", OTHER_VILLAGE, "agent-9", "org-v9")
    refused(
        dispatch,
        lambda: elsewhere.record_response(
            batch["batch_id"], people[0]["person_id"], "confirmed", today().isoformat(), key()
        ),
        "OUT_OF_SCOPE",
    )
    hr_of_other = desk.worker(["agent"], "hr_company", "org-hr-2", "agent-x", "org-hr-2")
    refused(
        dispatch,
        lambda: hr_of_other.record_response(
            batch["batch_id"], people[0]["person_id"], "confirmed", today().isoformat(), key()
        ),
        "OUT_OF_SCOPE",
    )
    desk.answer(batch, people)
    refused(dispatch, lambda: desk.answer(batch, people), "NOT_INVITED")  # answered already


# -- approval ------------------------------------------------------------------------------


def test_approval_needs_a_confirmed_member_and_the_county_cooperative(dispatch, desk):
    people, batch = forming(desk, 1)
    refused(dispatch, lambda: desk.approve(batch), "BATCH_NONE_CONFIRMED")
    desk.answer(batch, people)
    township = desk.worker(["coop_operator"], "township_coop", "532501001", "t.coop", "org-t")
    refused(dispatch, lambda: township.approve_batch(batch["batch_id"], key()), "FORBIDDEN")
    with pytest.raises(Forbidden):
        desk.hr.approve_batch(batch["batch_id"], key())  # no batches.approve at all


def test_nobody_approves_a_batch_they_formed(dispatch, desk):
    people = desk.people(1)
    admin = desk.worker(["county_admin"], "county_coop", "532501", "admin", "org-county-coop")
    batch = admin.form_batch({"order_id": desk.order(), "people": [people[0]["person_id"]]},
                             key())  # fmt: skip
    desk.answer(batch, people)
    refused(dispatch, lambda: admin.approve_batch(batch["batch_id"], key()),
            "BATCH_SELF_APPROVAL")  # fmt: skip


def test_steps_out_of_order_are_refused(dispatch, desk):
    people, batch = approved(desk, 2, [cost("transport", "person", "100.00")])
    batch_id = batch["batch_id"]
    refused(dispatch, lambda: desk.approve(batch), "BATCH_STATUS_REFUSED")
    refused(dispatch, lambda: desk.hr.invite_to_batch(batch_id, ["x"], key()),
            "BATCH_STATUS_REFUSED")  # fmt: skip
    refused(dispatch, lambda: desk.hr.set_batch_costs(batch_id, [], key()), "BATCH_STATUS_REFUSED")
    refused(dispatch, lambda: desk.arrive(batch), "BATCH_STATUS_REFUSED")
    refused(dispatch, lambda: desk.depart(batch), "ADVANCE_NOT_PAID")
    refused(dispatch, lambda: desk.coop.request_batch_advance(batch_id, key()),
            "ADVANCE_NOT_REPEATABLE")  # fmt: skip
    desk.pay_advance(batch)
    refused(dispatch, lambda: desk.hr.cancel_batch(batch_id, "不去了", key()), "ADVANCE_PAID")
    refused(dispatch, lambda: desk.depart(batch, no_shows=["stranger"]), "NOT_IN_BATCH")
    refused(dispatch, lambda: desk.depart(batch, on=today() + timedelta(days=1)),
            "BATCH_DATE_REFUSED")  # fmt: skip
    desk.depart(batch)
    refused(dispatch, lambda: desk.arrive(batch, on=today() - timedelta(days=1)),
            "BATCH_DATE_REFUSED")  # fmt: skip
    refused(dispatch, lambda: desk.hr.get_batch("no-such-batch"), "BATCH_NOT_FOUND")


def test_substitutions_are_checked_as_invitations_are(dispatch, desk):
    people, batch = approved(desk, 2, head_count=3)
    others = desk.people(2)
    desk.form(desk.order(), others[1:])  # held by another batch

    def swap(out, into, on=None):
        on = on or today()
        return lambda: desk.hr.substitute_in_batch(
            batch["batch_id"], out, into, "家中有事", on.isoformat(), key()
        )

    p0, p1 = people[0]["person_id"], people[1]["person_id"]
    refused(dispatch, swap(p0, others[1]["person_id"]), "ALREADY_BOOKED")
    refused(dispatch, swap(p0, p1), "ALREADY_IN_BATCH")
    refused(dispatch, swap("stranger", others[0]["person_id"]), "NOT_IN_BATCH")
    refused(dispatch, swap(p0, "no-such-person"), "NOT_IN_POOL")
    refused(dispatch, swap(p0, others[0]["person_id"], today() + timedelta(days=1)),
            "BATCH_DATE_REFUSED")  # fmt: skip
    desk.registry.ages[others[0]["person_id"]] = 60
    refused(dispatch, swap(p0, others[0]["person_id"]), "AGE_OUTSIDE_LIMITS")


# -- other companies -----------------------------------------------------------------------


def test_another_hr_company_cannot_form_touch_or_read(dispatch, desk):
    people, batch = forming(desk, 1)
    other = dispatch.hr_company("org-hr-2")
    intruder = dispatch.as_(["hr_operator"], other, user="wu.hr", registry=desk.registry)
    batch_id = batch["batch_id"]
    more = desk.people(1)
    refused(dispatch, lambda: intruder.form_batch({"order_id": batch["order_id"]}, key()),
            "OUT_OF_SCOPE")  # fmt: skip
    refused(dispatch, lambda: intruder.invite_to_batch(batch_id, [more[0]["person_id"]], key()),
            "OUT_OF_SCOPE")  # fmt: skip
    refused(dispatch, lambda: intruder.set_batch_costs(batch_id, [], key()), "OUT_OF_SCOPE")
    refused(dispatch, lambda: intruder.cancel_batch(batch_id, "捣乱", key()), "OUT_OF_SCOPE")
    refused(dispatch, lambda: intruder.get_batch(batch_id), "OUT_OF_SCOPE")
    assert intruder.list_batches()["batches"] == []
    assert [b["batch_id"] for b in desk.hr.list_batches()["batches"]] == [batch_id]
    with pytest.raises(Forbidden):
        intruder.approve_batch(batch_id, key())


# -- one open batch per person, whatever the timing -----------------------------------------


def test_of_two_racing_invitations_of_one_person_one_counts(
    dispatch, desk, monkeypatch, db_backend
):
    """Both callers read the person as free (the read is slowed so that they do), then both
    try to hold them: storage lets one, and the other is refused with nothing written. (On
    SQLite writers take turns, so the second finds the person held when it reads.)"""
    from dispatch.batches.repository import BatchRepository

    person = desk.people(1)[0]
    batches_ = [desk.form(desk.order(), []), desk.form(desk.order(), [])]
    other_hr = dispatch.as_(["hr_operator"], dispatch.hr, user="qian.hr")
    reading = BatchRepository.candidates

    def slow_read(self, person_ids):
        found = reading(self, person_ids)
        eventlet.sleep(0.2)
        return found

    booking, booked = BatchRepository.book, []

    def book(self, person_id, batch_id):
        booked.append(booking(self, person_id, batch_id))
        return booked[-1]

    monkeypatch.setattr(BatchRepository, "candidates", slow_read)
    monkeypatch.setattr(BatchRepository, "book", book)

    def invite(worker, batch):
        try:
            worker.invite_to_batch(batch["batch_id"], [person["person_id"]], key())
            return batch["batch_id"]
        except DomainError as exc:
            return exc.code

    racing = [
        eventlet.spawn(invite, w, b) for w, b in zip((desk.hr, other_hr), batches_, strict=True)
    ]
    outcomes = [thread.wait() for thread in racing]
    assert outcomes.count("ALREADY_BOOKED") == 1, outcomes
    (winner,) = [o for o in outcomes if o != "ALREADY_BOOKED"]
    states = {b["batch_id"]: desk.hr.get_batch(b["batch_id"]) for b in batches_}
    assert [len(s["members"]) for s in states.values()].count(1) == 1
    assert [m["person_id"] for m in states[winner]["members"]] == [person["person_id"]]
    assert all(s["version"] == (2 if s["batch_id"] == winner else 1) for s in states.values())
    with dispatch.db.reader() as uow:
        held = uow.connection.execute(
            select(candidates.c.booked_by).where(candidates.c.person_id == person["person_id"])
        ).scalar_one()
    assert held == winner
    if db_backend == "postgresql":  # both got past the read: the conditional update decided
        assert sorted(booked) == [False, True]


def test_a_batch_holds_at_most_so_many_live_members_and_member_rows(dispatch, desk, monkeypatch):
    """Bounded by what the fund (1,000 members read, 500 lines a proposal) takes: here at 3
    live members and 4 rows in all, so as to reach them."""
    monkeypatch.setattr(batch_domain, "MAX_LIVE_MEMBERS", 3)
    monkeypatch.setattr(batch_domain, "MAX_MEMBER_ROWS", 4)
    people = desk.people(6)
    order_id = desk.order(head_count=6)
    error = refused(dispatch, lambda: desk.form(order_id, people[:4]), "BATCH_TOO_LARGE")
    assert error.details["live_members"] == 4 and error.details["most"] == 3
    batch = desk.form(order_id, people[:3])
    desk.answer(batch, people[:2], "declined")
    invite = desk.hr.invite_to_batch
    ids = [p["person_id"] for p in people]
    error = refused(dispatch, lambda: invite(batch["batch_id"], ids[3:5], key()), "BATCH_TOO_LARGE")
    assert error.details["member_rows"] == 5 and error.details["most"] == 4
    # Inviting a declined member again adds no row.
    again = invite(batch["batch_id"], [ids[0], ids[3]], key())
    assert [m["status"] for m in again["members"]] == ["invited", "declined", "invited", "invited"]


def test_a_batch_without_costs_has_no_advance_to_ask_again(dispatch, desk):
    _, batch = approved(desk)
    assert batch["advance"] is None
    error = refused(
        dispatch, lambda: desk.coop.request_batch_advance(batch["batch_id"], key()),
        "ADVANCE_NOT_REPEATABLE",
    )  # fmt: skip
    assert "no costs" in error.message_en and error.details["advance_fen"] == 0
