"""What changes after a month closed lands in the next open period as adjustments: a late
placement's earlier items, the reversal of an item a placement no longer earned (it ended
before the mark); a payee who would net negative on a statement is deferred whole; placements
settlement cannot settle yet (no cooperative to pay, an unknown agreement) are listed pending
with their reason and settle once they can; a later month run while an earlier one is open lists
its own items only; the items of a waived dispute are frozen, never reversed."""

from sqlalchemy import insert

from settlement.adapters.period_tables import settlement_lines, statements
from settlement.periods.repository import PeriodRepository
from settlement_periods_support import County, _clock, today_is  # noqa: F401
from settlement_support import (
    COUNTY_COOP,
    OTHER_VILLAGE,
    TOWNSHIP,
    key,
    organisation_event,
)


def _by_key(lines):
    return {(line["item_key"], line["party"]): line for line in lines}


def test_a_late_placement_and_an_earlier_end_settle_in_the_next_open_period(settlement):
    county = County(settlement, reward=None, subsidy=None)
    early = county.place()  # m1 due 04-10
    today_is("2026-05-06")
    county.close("2026-04")
    late = county.place(starts_on="2026-03-01")  # m1 due 04-01: in the closed month
    county.end(early, "2026-04-05")  # left before its first month: m1 no longer earned
    today_is("2026-06-02")

    summary = county.run("2026-05")

    lines = _by_key(county.lines("2026-05"))
    assert lines[(f"rev:{late}:m1", "county")]["amount_fen"] == 2500
    assert lines[(f"rev:{late}:m1", "county")]["adjustment"] is True
    assert lines[(f"rev:{late}:m2", "village")]["amount_fen"] == 1500
    assert lines[(f"rev:{late}:m2", "village")]["adjustment"] is False
    reversal = lines[(f"rev:{early}:m1", "county")]
    assert reversal["amount_fen"] == -2500 and reversal["adjustment"] is True
    assert reversal["payee_id"] == COUNTY_COOP and reversal["name"] == "李秀英"
    # The late placement's m1 (04-01) and m2 (05-01), its one-off sum (05-30), less early's m1.
    assert summary["total_fen"] == 5000 + 5000 + 30000 - 5000
    assert summary["deferred"] == []
    # The closed month is never edited.
    assert sum(line["amount_fen"] for line in county.lines("2026-04")) == 5000

    county.close("2026-05")
    today_is("2026-07-02")
    county.run("2026-06")
    june = _by_key(county.lines("2026-06"))
    assert set(june) == {(f"rev:{late}:m3", p) for p in ("county", "township", "village")}


def test_a_payee_netting_negative_is_deferred_whole(settlement):
    county = County(settlement, reward=None, subsidy=None)
    placed = county.place()
    today_is("2026-05-06")
    county.close("2026-04")
    county.end(placed, "2026-04-05")
    today_is("2026-06-02")

    summary = county.run("2026-05")

    assert county.lines("2026-05") == [] and summary["total_fen"] == 0
    deferred = {group["payee_id"]: group for group in summary["deferred"]}
    assert deferred[COUNTY_COOP]["amount_fen"] == -2500
    assert {g["reason"] for g in summary["deferred"]} == {"NEGATIVE_NET_DEFERRED"}
    assert sum(g["amount_fen"] for g in summary["deferred"]) == -5000


def test_pending_placements_are_listed_and_settle_once_they_can(settlement):
    county = County(settlement, reward=None, subsidy=None)
    county.place()
    elsewhere = county.place(village_code=OTHER_VILLAGE)
    unknown = county.place(agreement_id="agreement-never-heard-of")
    today_is("2026-05-06")

    closed = county.close("2026-04")

    assert closed["pending"]["count"] == 2
    reasons = {p["placement_id"]: p for p in closed["pending"]["first"]}
    assert reasons[elsewhere]["reason"] == "NO_PAYEE"
    assert reasons[elsewhere]["details"] == {"missing": "village_coop",
                                             "division_code": OTHER_VILLAGE}  # fmt: skip
    assert reasons[unknown]["reason"] == "AGREEMENT_UNKNOWN"
    assert {line["placement_id"] for line in county.lines("2026-04")} - {elsewhere} == {
        line["placement_id"] for line in county.lines("2026-04")
    }
    (settled,) = county.events("period_settled")
    assert settled["payload"]["pending_count"] == 2

    settlement.deliver(organisation_event("org-village-202", "village_coop", OTHER_VILLAGE))
    today_is("2026-06-02")
    may = county.run("2026-05")

    assert may["pending"]["count"] == 1
    caught_up = [line for line in county.lines("2026-05") if line["placement_id"] == elsewhere]
    assert {(line["item_key"].rsplit(":", 1)[1], line["adjustment"]) for line in caught_up} == {
        ("m1", True), ("m2", False),
    }  # fmt: skip
    assert {line["payee_id"] for line in caught_up if line["party"] == "village"} == {
        "org-village-202"
    }
    assert TOWNSHIP  # the township's cooperative pays both villages


def test_a_later_month_run_while_an_earlier_is_open_lists_its_own_items(settlement):
    county = County(settlement, reward=None, subsidy=None)
    placed = county.place()
    today_is("2026-06-02")
    county.run("2026-04")

    may = county.run("2026-05")

    assert [line["item_key"] for line in county.lines("2026-05")] == [f"rev:{placed}:m2"] * 3
    assert may["total_fen"] == 5000
    county.close("2026-04")
    assert county.close("2026-05")["total_fen"] == 5000


def test_the_lines_of_a_waived_dispute_are_frozen_never_reversed(settlement):
    """April's lines of a placement the HR company disputed, and the county cooperative waived
    (never asked of anyone, so never paid): when the placement turns out to have ended before
    the mark, May must not reverse them — a reversal would credit the HR company with money it
    never paid and take it from the cooperatives."""
    county = County(settlement, reward=None, subsidy=None)
    waived = county.place()  # m1 due 04-10
    kept = county.place()
    today_is("2026-05-06")
    county.close("2026-04")
    (april,) = [s for s in settlement.rows(statements) if s["kind"] == "service_revenue"]
    dispute = [{"placement_id": waived, "reason": "未到岗"}]
    settlement.hr_operator().acknowledge_statement(april["statement_id"], dispute, key())
    settlement.county_coop_operator().resolve_dispute(
        april["statement_id"], 1, "waived", None, key()
    )
    before = {k: line["amount_fen"] for k, line in _by_key(county.lines("2026-04")).items()}
    county.end(waived, "2026-04-05")  # before its first month's mark: m1 no longer earned
    today_is("2026-06-02")

    county.close("2026-05")

    may = county.lines("2026-05")
    assert [line for line in may if line["placement_id"] == waived] == []
    assert {line["item_key"] for line in may} == {f"rev:{kept}:m2"}
    (may_statement,) = [
        s for s in settlement.rows(statements)
        if s["period"] == "2026-05" and s["kind"] == "service_revenue"
    ]  # fmt: skip
    assert may_statement["total_fen"] == 5000  # kept's m2 only: no credit to the HR company
    settled: dict = {}
    for line in county.lines():
        if line["placement_id"] == waived:
            k = (line["item_key"], line["party"])
            settled[k] = settled.get(k, 0) + line["amount_fen"]
    assert settled == {k: fen for k, fen in before.items() if k[0].startswith(f"rev:{waived}:")}
    assert {party for _, party in settled} == {"county", "township", "village"}


def test_what_was_settled_is_reversed_to_the_payee_of_its_latest_line(settlement):
    """An (item, party) settled in April to one cooperative and adjusted in May to another
    (the village's cooperative replaced): a later reversal goes to May's, whatever the ids'
    order."""

    def line(period: str, payee: str, fen: int) -> dict:
        return {
            "line_id": f"{period}-line", "period": period, "statement_id": None,
            "kind": "service_revenue", "item_key": "rev:p1:m1", "party": "village",
            "payee_id": payee, "amount_fen": fen, "adjustment": period != "2026-04",
            "placement_id": "p1", "agreement_id": "a1", "counterparty_id": "hr",
        }  # fmt: skip

    with settlement.db.unit_of_work() as uow:
        uow.connection.execute(
            insert(settlement_lines),
            [line("2026-04", "org-z-old", 1500), line("2026-05", "org-a-new", 500)],
        )
        settled, payees = PeriodRepository(uow.connection).settled("2026-05")
    assert [entry.amount_fen for entry in settled] == [2000]
    assert payees == {("rev:p1:m1", "village"): "org-a-new"}
