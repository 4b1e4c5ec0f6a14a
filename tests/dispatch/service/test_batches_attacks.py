"""Attacks on batches (issue 17): news of the advance that arrives late, a batch
cancelled while its advance waits for signatures, a substitute's answer dated before the batch
existed, and one person held twice through a merge of two registry records."""

import logging
from datetime import UTC, datetime, timedelta

import eventlet
from sqlalchemy import select

from batch_support import cost, merge_records, refused
from dispatch.adapters.repository import CandidateRepository
from dispatch.adapters.tables import candidates
from dispatch_support import key, today
from sanbao_common.errors import DomainError

TRANSPORT = (cost("transport", "person", "300.00"),)


def approved(desk, count=2, costs=TRANSPORT, **order):
    order.setdefault("head_count", count)
    people = desk.people(count)
    batch = desk.form(desk.order(**order), people, costs)
    desk.answer(batch, people)
    return people, desk.approve(batch)


def past() -> str:
    return (datetime.now(UTC) - timedelta(hours=1)).isoformat()


def future() -> str:
    return (datetime.now(UTC) + timedelta(days=3)).isoformat()


# -- the advance -----------------------------------------------------------------------------


def test_a_payment_heard_after_the_advance_was_asked_again_still_counts(dispatch, desk):
    """The proposal was signed and paid just before it expired, but dispatch heard of the payment
    only after the approver, seeing it expired, asked again: the money left the joint account
    for this batch (the fund makes nothing new while a paid proposal stands), so the batch may
    depart. Before the fix the payment was dropped as "the replaced proposal's news" and the
    batch could never depart."""
    people, batch = approved(desk)
    desk.fund_event("outflow_proposed", batch, "p-1", expires_at=past())
    asked = desk.coop.request_batch_advance(batch["batch_id"], key())
    assert asked["advance"]["status"] == "requested"
    desk.fund_event("outflow_paid", batch, "p-1", status="paid", expires_at=past())
    state = desk.hr.get_batch(batch["batch_id"])
    assert state["advance"]["status"] == "paid" and state["advance"]["proposal_id"] == "p-1"
    assert desk.depart(batch)["status"] == "departed"


def test_a_rejection_of_the_replaced_proposal_changes_nothing(dispatch, desk):
    people, batch = approved(desk)
    desk.fund_event("outflow_proposed", batch, "p-1", expires_at=past())
    desk.coop.request_batch_advance(batch["batch_id"], key())
    desk.fund_event("outflow_rejected", batch, "p-1", status="rejected")
    assert desk.hr.get_batch(batch["batch_id"])["advance"]["status"] == "requested"


def test_a_batch_whose_advance_awaits_signatures_is_not_cancelled(dispatch, desk):
    """Cancelled while the proposal waits for its signatures, the batch would let its people go
    while the signatories (who see the proposal, not the batch) may still pay its advance to the
    HR company: money out for a batch that never leaves, and no no-show claims for it."""
    people, batch = approved(desk)
    batch_id = batch["batch_id"]
    cancel = lambda: desk.hr.cancel_batch(batch_id, "不去了", key())  # noqa: E731
    refused(dispatch, cancel, "ADVANCE_PENDING")  # requested, no news from the fund yet
    desk.fund_event("outflow_proposed", batch, "p-1", expires_at=future())
    refused(dispatch, cancel, "ADVANCE_PENDING")
    # Once the proposal has expired unsigned nobody can pay it: the batch may be cancelled.
    desk.fund_event("outflow_rejected", batch, "p-1", status="rejected")
    assert cancel()["status"] == "cancelled"


def test_an_expired_unsigned_advance_does_not_block_cancelling(dispatch, desk):
    people, batch = approved(desk)
    desk.fund_event("outflow_proposed", batch, "p-1", expires_at=past())
    assert desk.hr.cancel_batch(batch["batch_id"], "不去了", key())["status"] == "cancelled"


def test_a_refused_advance_does_not_block_cancelling(dispatch, desk):
    people, batch = approved(desk)
    desk.fund_event(
        "fund_request_refused", batch, "p-x", source="dispatch",
        request_key=f"batch:{batch['batch_id']}", reason={"code": "INSUFFICIENT_FUNDS"},
    )  # fmt: skip
    assert desk.hr.get_batch(batch["batch_id"])["advance"]["status"] == "refused"
    assert desk.hr.cancel_batch(batch["batch_id"], "不去了", key())["status"] == "cancelled"


# -- substitutions ---------------------------------------------------------------------------


def test_a_substitute_s_answer_is_not_dated_before_the_batch_was_formed(dispatch, desk):
    people, batch = approved(desk, 2, head_count=3)
    newcomer = desk.people(1)[0]
    refused(
        dispatch,
        lambda: desk.hr.substitute_in_batch(
            batch["batch_id"],
            people[0]["person_id"],
            newcomer["person_id"],
            "生病",
            (today() - timedelta(days=400)).isoformat(),
            key(),
        ),  # fmt: skip
        "BATCH_DATE_REFUSED",
    )


# -- merges ----------------------------------------------------------------------------------


def test_a_person_held_under_a_merged_record_is_not_invited_again(dispatch, desk):
    """Registry finds that two records are one person: the one on a batch is merged into the
    other. The person must stay held: not invited to a second open batch under the kept id."""
    held, free = desk.people(2)
    desk.form(desk.order(head_count=3), [held])
    merge_records(dispatch, free, held)
    order = desk.order(head_count=3)
    error = refused(dispatch, lambda: desk.form(order, [free]), "ALREADY_BOOKED")
    assert error.details == {"person_ids": [free["person_id"]], "held_as": [held["person_id"]]}
    assert "merged" in error.message_en


def test_nor_substituted_into_a_seat_under_the_kept_record(dispatch, desk):
    people, batch = approved(desk, 2, head_count=3)
    held, free = desk.people(2)
    desk.form(desk.order(head_count=3), [held])
    merge_records(dispatch, free, held)
    substitute = lambda: desk.hr.substitute_in_batch(  # noqa: E731
        batch["batch_id"], people[0]["person_id"], free["person_id"], "生病",
        today().isoformat(), key(),
    )  # fmt: skip
    refused(dispatch, substitute, "ALREADY_BOOKED")


def test_a_chain_of_merges_keeps_the_person_held(dispatch, desk):
    """A (on a batch) merged into B, then B into C: C is the person, held under A."""
    a, b, c = desk.people(3)
    desk.form(desk.order(head_count=3), [a])
    merge_records(dispatch, b, a)
    merge_records(dispatch, c, dict(b, version=b["version"] + 1))
    order = desk.order(head_count=3)
    error = refused(dispatch, lambda: desk.form(order, [c]), "ALREADY_BOOKED")
    assert error.details["held_as"] == [a["person_id"]]


def test_the_kept_record_is_free_again_once_the_batch_lets_the_merged_one_go(dispatch, desk):
    held, free = desk.people(2)
    first = desk.form(desk.order(head_count=3), [held])
    merge_records(dispatch, free, held)
    desk.hr.cancel_batch(first["batch_id"], "不去了", key())
    again = desk.form(desk.order(head_count=3), [free])
    assert [m["person_id"] for m in again["members"]] == [free["person_id"]]


def test_a_merge_of_two_held_records_is_logged_for_an_operator(dispatch, desk, caplog):
    """Both records already on batches when registry merges them: one person held twice.
    dispatch undoes nothing itself; it says so, naming the records and what holds them."""
    one, other = desk.people(2)
    first = desk.form(desk.order(head_count=3), [one])
    second = desk.form(desk.order(head_count=3), [other])
    with caplog.at_level(logging.WARNING, logger="dispatch.handlers"):
        merge_records(dispatch, other, one)
    (record,) = [r for r in caplog.records if r.name == "dispatch.handlers"]
    assert record.levelno == logging.WARNING
    text = record.getMessage()
    assert f"{one['person_id']} -> {first['batch_id']}" in text
    assert f"{other['person_id']} -> {second['batch_id']}" in text
    assert one["name"] not in text  # ids only


def test_a_booking_racing_a_merge_of_a_held_record_is_refused(dispatch, desk, monkeypatch):
    """The merge has written the kept record and not yet committed when an invitation of the
    kept record reads it free: the booking waits for the merge, then finds the person held
    under the merged record, and is refused with nothing written."""
    held, free = desk.people(2)
    desk.form(desk.order(head_count=3), [held])
    second = desk.form(desk.order(head_count=3), [])
    linking = CandidateRepository.link_merged

    def slow_link(self, merged_id, kept_id):
        eventlet.sleep(0.3)  # the kept row written (and locked), the link not yet
        return linking(self, merged_id, kept_id)

    monkeypatch.setattr(CandidateRepository, "link_merged", slow_link)

    def invite():
        eventlet.sleep(0.1)
        try:
            return desk.hr.invite_to_batch(second["batch_id"], [free["person_id"]], key())
        except DomainError as exc:
            return exc.code

    merging = eventlet.spawn(merge_records, dispatch, free, held)
    inviting = eventlet.spawn(invite)
    merging.wait()
    assert inviting.wait() == "ALREADY_BOOKED"
    assert desk.hr.get_batch(second["batch_id"])["members"] == []
    with dispatch.db.reader() as uow:
        booked = uow.connection.execute(
            select(candidates.c.booked_by).where(candidates.c.person_id == free["person_id"])
        ).scalar()
    assert booked is None
