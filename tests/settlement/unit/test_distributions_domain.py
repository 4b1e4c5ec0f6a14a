"""Distributions, pure: whatever the payments (in any order, any of them heard twice), what is
asked for each payee never goes down, never exceeds its share of what was paid, and once the
receivable is paid in full adds up to each payee's total exactly; the fund's news of a request
moves its status as dispatch's advances move."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.distributions import domain as d
from settlement.distributions.errors import DistributionNotRepeatable

NOW = datetime(2026, 4, 2, 10, tzinfo=UTC)


def ask(paid: int, totals: dict, asked: dict) -> dict:
    for line in d.lines_to_ask(paid, totals, asked, "劳务收益分配 2026-03", "2026-03/s"):
        assert line.amount_fen > 0
        asked[line.payee_id] = asked.get(line.payee_id, 0) + line.amount_fen
    return asked


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 10**9), min_size=1),
    st.lists(st.floats(0, 1), max_size=8),
)
def test_payments_in_any_order_distribute_exactly_the_totals(totals, fractions):
    whole = sum(totals.values())
    payments = [int(whole * f) for f in fractions] + [whole]
    asked: dict[str, int] = {}
    highest = 0
    for paid in payments + payments[:2]:  # some heard again, late
        if paid <= highest:
            continue  # as distribute(): only a payment beyond the highest asks
        highest = paid
        before = dict(asked)
        ask(paid, totals, asked)
        assert all(asked[p] >= before.get(p, 0) for p in asked)
        assert sum(asked.values()) <= paid
    assert asked == {p: t for p, t in totals.items() if t > 0}


def test_more_than_500_payees_are_asked_in_requests_of_500():
    lines = [d.Line(f"p{n:04d}", 1, "x", "y") for n in range(1201)]
    parts = d.chunks(lines, "distribution:s:100")
    assert [key for key, _ in parts] == [
        "distribution:s:100/1", "distribution:s:100/2", "distribution:s:100/3",
    ]  # fmt: skip
    assert [len(chunk) for _, chunk in parts] == [500, 500, 201]


def current(status="requested", proposal_id=None):
    return {"status": status, "proposal_id": proposal_id, "reason": None,
            "expires_at": NOW + timedelta(days=14)}  # fmt: skip


def test_the_fund_s_news_moves_the_status():
    proposed = d.after(current(), "outflow_proposed", {"proposal_id": "p1"})
    assert (proposed["status"], proposed["proposal_id"]) == ("proposed", "p1")
    rejected = d.after(proposed, "outflow_rejected", {"proposal_id": "p1", "reason": "错"})
    assert (rejected["status"], rejected["reason"]) == ("rejected", "错")
    assert d.after(rejected, "outflow_proposed", {"proposal_id": "p0"}) is None  # stale
    paid = d.after(proposed, "outflow_paid", {"proposal_id": "p1"})
    assert paid["status"] == "paid"
    assert d.after(paid, "outflow_rejected", {"proposal_id": "p1"}) is None
    assert d.after(proposed, "fund_request_refused", {"reason": {"code": "X"}}) is None
    refused = d.after(current(), "fund_request_refused", {"reason": {"code": "X"}})
    assert refused["status"] == "refused"
    # Asked again after a rejection: news of the replaced proposal is stale.
    again = current(proposal_id="p1")
    assert d.after(again, "outflow_rejected", {"proposal_id": "p1"}) is None


def test_only_refused_rejected_or_expired_is_asked_again():
    later = NOW + timedelta(days=1)
    assert d.replaces_for_repeat("refused", None, later, NOW) is None
    assert d.replaces_for_repeat("rejected", "p1", later, NOW) == "p1"
    assert d.replaces_for_repeat("proposed", "p2", NOW - timedelta(seconds=1), NOW) == "p2"
    for status in ("requested", "proposed", "paid"):
        with pytest.raises(DistributionNotRepeatable):
            d.replaces_for_repeat(status, "p", later, NOW)


def test_payee_totals_not_sharing_the_receivable_exactly_are_refused():
    assert d.totals_wrong({"a": 6000, "b": 4000}, 10000) is None
    below = d.totals_wrong({"a": 12000, "b": -2000}, 10000)  # adds up, but b owes money back
    assert below["code"] == d.PAYEE_TOTALS_WRONG and below["details"]["below_zero"] == ["b"]
    short = d.totals_wrong({"a": 6000}, 10000)
    assert short["details"] == {"amount_fen": 10000, "totals_fen": 6000, "below_zero": []}
    assert d.refused_by_settlement(short) and not d.refused_by_settlement({"code": "CASH_SHORT"})
