"""A period's rows from items and what closed periods settled: catch-up in the next open period,
adjustments and reversals for what changed, reruns that change nothing, and the deferral of a
(statement, payee) group that would be negative."""

from datetime import date

import pytest

from settlement.domain.assembly import PeriodClosed, Row, Settled, assemble, settled_sums
from settlement.domain.items import Item

SHARES = ("county", "township", "village")


def item(key, due_on, parts, placement="pl-1", agreement="agr-1", kind="service_revenue"):
    return Item(key, kind, placement, due_on, sum(parts), dict(zip(SHARES, parts, strict=True)),
                agreement, agreement, 1, None, "org-hr", 1)  # fmt: skip


def payee_of(source, party):
    return {"county": "coop-county", "township": "coop-town", "village": "coop-village"}[party]


def amounts(rows: list[Row]) -> dict[tuple[str, str], int]:
    return {(r.item_key, r.party): r.amount_fen for r in rows}


ONCE = item("rev:pl-1:once", date(2027, 4, 30), (150, 60, 90))
M1 = item("rev:pl-1:m1", date(2027, 2, 28), (25, 10, 15))
M2 = item("rev:pl-1:m2", date(2027, 3, 31), (25, 10, 15))


def test_the_next_open_period_takes_what_is_due_in_it_and_before():
    rows, deferred = assemble("2027-03", "2027-03", [ONCE, M1, M2], [], set(), payee_of)
    assert deferred == []
    assert amounts(rows) == {
        ("rev:pl-1:m1", "county"): 25, ("rev:pl-1:m1", "township"): 10,
        ("rev:pl-1:m1", "village"): 15, ("rev:pl-1:m2", "county"): 25,
        ("rev:pl-1:m2", "township"): 10, ("rev:pl-1:m2", "village"): 15,
    }  # fmt: skip
    assert [r.adjustment for r in rows] == [True] * 3 + [False] * 3  # m1 was due in February
    assert all(r.period == "2027-03" for r in rows)


def test_a_rerun_is_the_same_and_a_closed_period_is_never_settled_again():
    first = assemble("2027-03", "2027-03", [M2, M1], [], set(), payee_of)
    assert assemble("2027-03", "2027-03", [M1, M2], [], set(), payee_of) == first
    settled = settled_sums(first[0])
    rows, deferred = assemble("2027-04", "2027-04", [ONCE, M1, M2], settled, set(), payee_of)
    assert amounts(rows) == {
        ("rev:pl-1:once", p): a for p, a in zip(SHARES, (150, 60, 90), strict=True)
    }
    assert not any(r.adjustment for r in rows) and deferred == []


def test_an_item_no_longer_earned_is_reversed_as_an_adjustment():
    settled = settled_sums(assemble("2027-03", "2027-03", [M1, M2], [], set(), payee_of)[0])
    later = item("rev:pl-2:m1", date(2027, 4, 15), (100, 100, 100), placement="pl-2")
    rows, deferred = assemble("2027-04", "2027-04", [M1, later], settled, set(), payee_of)
    assert deferred == []
    reversal = [r for r in rows if r.item_key == "rev:pl-1:m2"]
    assert [(r.party, r.amount_fen, r.adjustment, r.item) for r in reversal] == [
        ("county", -25, True, None), ("township", -10, True, None), ("village", -15, True, None),
    ]  # fmt: skip
    assert reversal[0].settled.amount_fen == 25 and reversal[0].due_period == "2027-03"


def test_a_payee_group_that_would_be_negative_is_deferred_whole():
    settled = settled_sums(assemble("2027-03", "2027-03", [M1, M2], [], set(), payee_of)[0])
    small = item("rev:pl-2:m1", date(2027, 4, 15), (10, 0, 20), placement="pl-2")
    rows, deferred = assemble("2027-04", "2027-04", [M1, small], settled, set(), payee_of)
    # county: -25 + 10 < 0 deferred; township: -10 deferred; village: -15 + 20 = 5 kept.
    assert amounts(rows) == {("rev:pl-1:m2", "village"): -15, ("rev:pl-2:m1", "village"): 20}
    assert amounts(deferred) == {
        ("rev:pl-1:m2", "county"): -25, ("rev:pl-2:m1", "county"): 10,
        ("rev:pl-1:m2", "township"): -10,
    }  # fmt: skip


def test_a_later_period_run_early_lists_only_its_own_items():
    rows, _ = assemble("2027-04", "2027-03", [ONCE, M1, M2], [], set(), payee_of)
    assert {r.item_key for r in rows} == {"rev:pl-1:once"}
    assert not any(r.adjustment for r in rows)


def test_pending_placements_get_no_rows_and_keep_what_was_settled():
    settled = settled_sums(assemble("2027-03", "2027-03", [M1, M2], [], set(), payee_of)[0])
    rows, deferred = assemble("2027-04", "2027-04", [], settled, {"pl-1"}, payee_of)
    assert rows == [] and deferred == []


def test_a_closed_period_is_refused():
    with pytest.raises(PeriodClosed) as refused:
        assemble("2027-02", "2027-03", [], [], set(), payee_of)
    assert refused.value.code == "PERIOD_CLOSED"


def test_several_settled_sums_of_one_part_add_up():
    def settled(fen, counterparty):
        return Settled("rev:pl-1:m1", "county", fen, "service_revenue", "pl-1", counterparty,
                       "agr-1", "2027-02")  # fmt: skip

    both = [settled(20, "org-hr-old"), settled(3, "org-hr")]
    rows, _ = assemble("2027-03", "2027-03", [M1], both, set(), payee_of)
    assert amounts(rows)[("rev:pl-1:m1", "county")] == 2
    assert rows[0].counterparty_id == "org-hr"
