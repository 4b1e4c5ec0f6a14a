"""Batches' rules without I/O: shares by the largest remainder (they add up exactly, differ by at
most a fen, the leftover to the lowest seats), the steps a batch may take from each status, and
what the fund's news does to the advance whatever order it arrives in."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatch.batches import domain as d
from dispatch.batches.errors import (
    AdvanceNotPaid,
    AdvanceNotRepeatable,
    AdvancePaid,
    BatchStatusRefused,
    DateRefused,
    NoneConfirmed,
    NotInBatch,
    NotInvited,
)

TODAY = date(2026, 5, 20)
NOW = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)


def batch(**changes) -> d.Batch:
    fields = dict(
        batch_id="b", order_id="o", agreement_id="a", hr_company="hr", status="forming",
        costs=(), advance=None, formed_at=NOW, formed_by="user:hr", approved_at=None,
        approved_by=None, departed_on=None, arrived_on=None, cancelled_reason=None, version=1,
    )  # fmt: skip
    fields.update(changes)
    return d.Batch(**fields)


def member(seq: int, status: str = "invited", **changes) -> d.Member:
    fields = dict(
        batch_id="b", person_id=f"p{seq}", invited_seq=seq, name=f"人{seq}",
        id_number_masked="5325**", village_code="532501001201", agent_id="agent-1",
        status=status, seat=None, share_fen=None, invited_on=TODAY - timedelta(days=3),
        responded_on=None, responded_by=None,
    )  # fmt: skip
    fields.update(changes)
    return d.Member(**fields)


costs = st.lists(
    st.builds(
        d.Cost,
        kind=st.sampled_from(["transport", "medical_exam", "training", "meals"]),
        per=st.sampled_from(["person", "batch"]),
        amount_fen=st.integers(1, 10**9),
    ),
    max_size=8,
)


@given(st.integers(0, 10**12), st.integers(1, 500))
def test_an_even_split_adds_up_and_the_lowest_seats_take_the_leftover(amount, seats):
    parts = d.split_evenly(amount, seats)
    assert sum(parts) == amount and len(parts) == seats
    assert max(parts) - min(parts) <= 1
    assert parts == sorted(parts, reverse=True)


@given(costs, st.integers(1, 200))
def test_shares_add_up_to_the_estimate(items, seats):
    shares = d.seat_shares(items, seats)
    per_person = sum(c.amount_fen for c in items if c.per == "person")
    per_batch = sum(c.amount_fen for c in items if c.per == "batch")
    assert sum(shares) == per_person * seats + per_batch
    assert all(share >= per_person for share in shares)


def test_shares_of_a_small_example():
    items = (d.Cost("transport", "person", 30000), d.Cost("meals", "batch", 10001))
    assert d.seat_shares(items, 3) == [30000 + 3334, 30000 + 3334, 30000 + 3333]


def test_approval_seats_the_confirmed_in_invitation_order_and_releases_the_invited():
    members = [member(3, "confirmed"), member(1, "invited"), member(2, "confirmed"),
               member(4, "declined")]  # fmt: skip
    approved, changed = d.approve(batch(costs=(d.Cost("meals", "batch", 101),)), members, NOW,
                                  "user:coop")  # fmt: skip
    assert approved.status == "approved" and approved.version == 2
    seats = {m.person_id: (m.status, m.seat, m.share_fen) for m in changed}
    assert seats == {
        "p2": ("confirmed", 1, 51),
        "p3": ("confirmed", 2, 50),
        "p1": ("released", None, None),
    }
    with pytest.raises(NoneConfirmed):
        d.approve(batch(), [member(1)], NOW, "user:coop")


@pytest.mark.parametrize(
    "status, step",
    [
        ("approved", lambda b: d.approve(b, [member(1, "confirmed")], NOW, "u")),
        ("forming", lambda b: d.depart(b, [], TODAY, [], TODAY)),
        ("approved", lambda b: d.arrive(b, [], TODAY, TODAY)),
        ("departed", lambda b: d.cancel(b, [], "r", NOW)),
        ("cancelled", lambda b: d.respond(b, [member(1)], "p1", "confirmed", TODAY, "u", TODAY)),
        ("forming", lambda b: d.replaces_for_repeat(b, NOW)),
    ],
)
def test_steps_out_of_order_are_refused(status, step):
    with pytest.raises(BatchStatusRefused):
        step(batch(status=status))


def test_answers():
    members = [member(1), member(2, "confirmed"), member(3, "declined")]
    assert d.respond(batch(), members, "p1", "confirmed", TODAY, "u", TODAY).status == "confirmed"
    assert d.respond(batch(), members, "p2", "declined", TODAY, "u", TODAY).status == "declined"
    for person, answer in (("p2", "confirmed"), ("p3", "confirmed"), ("p9", "declined")):
        with pytest.raises(NotInvited):
            d.respond(batch(), members, person, answer, TODAY, "u", TODAY)
    with pytest.raises(DateRefused):
        d.respond(batch(), members, "p1", "confirmed", TODAY + timedelta(days=1), "u", TODAY)


def test_departure_needs_the_paid_advance_and_names_only_seats():
    seats = [member(1, "confirmed", seat=1, share_fen=100), member(2, "confirmed", seat=2,
             share_fen=100)]  # fmt: skip
    approved = batch(status="approved", approved_at=NOW)
    with pytest.raises(AdvanceNotPaid):
        d.depart(approved, seats, TODAY, [], TODAY)
    paid = replace(approved, advance={"status": "paid"})
    with pytest.raises(NotInBatch):
        d.depart(paid, seats, TODAY, ["p9"], TODAY)
    with pytest.raises(DateRefused):
        d.depart(paid, seats, TODAY - timedelta(days=1), [], TODAY)  # before approval
    departed, changed = d.depart(paid, seats, TODAY, ["p2"], TODAY)
    assert [m.status for m in changed] == ["departed", "no_show"]
    assert departed.status == "departed" and departed.departed_on == TODAY
    with pytest.raises(AdvancePaid):
        d.cancel(paid, seats, "r", NOW)
    free = [replace(m, share_fen=0) for m in seats]
    assert d.depart(approved, free, TODAY, [], TODAY)[0].status == "departed"


def test_a_substitute_takes_over_the_seat_and_its_share():
    seats = [member(1, "confirmed", seat=1, share_fen=70)]
    gone, came = d.substitute(batch(status="approved"), seats, "p1", member(5), TODAY, TODAY)
    assert (gone.status, gone.seat) == ("substituted", None)
    assert (came.status, came.seat, came.share_fen, came.responded_on) == (
        "confirmed", 1, 70, TODAY,
    )  # fmt: skip


def _advance(status, proposal_id=None):
    return {"status": status, "request_key": "batch:b", "proposal_id": proposal_id,
            "reason": None, "expires_at": (NOW + timedelta(days=14)).isoformat()}  # fmt: skip


def test_the_fund_s_news_in_any_order():
    after = d.advance_after
    asked = _advance("requested")
    proposed = after(asked, "outflow_proposed", {"proposal_id": "p1"})
    assert (proposed["status"], proposed["proposal_id"]) == ("proposed", "p1")
    assert after(proposed, "outflow_proposed", {"proposal_id": "p1"}) is None
    paid = after(proposed, "outflow_paid", {"proposal_id": "p1"})
    assert paid["status"] == "paid"
    assert after(paid, "outflow_proposed", {"proposal_id": "p1"}) is None  # late news
    assert after(asked, "outflow_paid", {"proposal_id": "p1"})["status"] == "paid"
    refused = after(asked, "fund_request_refused", {"reason": {"code": "NOT_ENOUGH_CASH"}})
    assert (refused["status"], refused["reason"]) == ("refused", "NOT_ENOUGH_CASH")
    assert after(proposed, "fund_request_refused", {"reason": {}}) is None
    rejected = after(proposed, "outflow_rejected", {"proposal_id": "p1", "reason": "不对"})
    assert (rejected["status"], rejected["reason"]) == ("rejected", "不对")
    again = _advance("requested", "p1")  # asked again, replacing p1
    assert after(again, "outflow_rejected", {"proposal_id": "p1"}) is None
    # p1 paid before it expired, heard after it was asked again: the money went out
    assert after(again, "outflow_paid", {"proposal_id": "p1"})["status"] == "paid"
    assert after(again, "outflow_proposed", {"proposal_id": "p2"})["proposal_id"] == "p2"
    assert after(None, "outflow_paid", {"proposal_id": "p1"}) is None


def test_what_a_repeated_request_replaces():
    approved = batch(status="approved")
    for advance, replaces in (
        (_advance("refused"), None),
        (_advance("refused", "p1"), "p1"),
        (_advance("rejected", "p1"), "p1"),
        (dict(_advance("proposed", "p1"), expires_at=NOW.isoformat()), "p1"),
    ):
        assert d.replaces_for_repeat(replace(approved, advance=advance), NOW) == replaces
    for advance in (_advance("requested"), _advance("proposed", "p1"), _advance("paid", "p1"),
                    None):  # fmt: skip
        with pytest.raises(AdvanceNotRepeatable):
            d.replaces_for_repeat(replace(approved, advance=advance), NOW)
