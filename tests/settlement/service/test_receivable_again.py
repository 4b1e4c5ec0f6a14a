"""A receivable the fund refused is never lost: the county cooperative asks for it again — the
same `receivable_requested` (same reference, counterparty, period and amount) once more, the
receivable `requested` again. Only a refused one, and only by the county cooperative."""

import pytest

from money_support import refused
from settlement.adapters.period_tables import disputes, statements
from settlement_periods_support import County, _clock, today_is  # noqa: F401
from settlement_support import AGREEMENT, key


@pytest.fixture
def county(settlement):
    return County(settlement)


def _statement(settlement, kind: str) -> dict:
    (found,) = [s for s in settlement.rows(statements) if s["kind"] == kind]
    return found


def _refuse(settlement, statement: dict, ref: str) -> None:
    rkey = "|".join((AGREEMENT, statement["kind"], statement["period"],
                     statement["counterparty_id"], ref))  # fmt: skip
    settlement.deliver(refused(rkey, kind="receivable", code="RECEIVABLE_AMOUNT_DIFFERS"))


def _same(event: dict) -> dict:
    return {k: v for k, v in event["payload"].items()}


def test_a_refused_receivable_is_asked_for_again_with_the_same_fields(settlement, county):
    county.place(poor=True)
    disputed = county.place(starts_on="2026-03-20")
    today_is("2026-05-06")
    county.close("2026-04")
    subsidy = _statement(settlement, "policy_subsidy")
    revenue = _statement(settlement, "service_revenue")
    settlement.hr_operator().acknowledge_statement(
        revenue["statement_id"], [{"placement_id": disputed, "reason": "未满月"}], key()
    )
    settlement.county_admin().resolve_dispute(revenue["statement_id"], 1, "owed", None, key())
    owed = f"{revenue['statement_id']}:d1"
    asked = {e["payload"]["statement_ref"]: e for e in county.events("receivable_requested")}
    assert set(asked) == {subsidy["statement_id"], revenue["statement_id"], owed}

    for ref, statement in ((subsidy["statement_id"], subsidy), (owed, revenue)):
        _refuse(settlement, statement, ref)
    assert _statement(settlement, "policy_subsidy")["receivable_state"] == "refused"
    assert settlement.rows(disputes)[0]["receivable_state"] == "refused"

    coop = settlement.county_coop_operator()
    again = coop.request_receivable_again(subsidy["statement_id"], key())
    assert (again["receivable_state"], again["amount_fen"]) == ("requested", 50000)
    assert settlement.county_admin().request_receivable_again(owed, key())["dispute_no"] == 1
    events = county.events("receivable_requested")
    assert len(events) == 5
    for ref in (subsidy["statement_id"], owed):
        (first, second) = [e for e in events if e["payload"]["statement_ref"] == ref]
        assert _same(first) == _same(second) and first["event_id"] != second["event_id"]
    noted = _statement(settlement, "policy_subsidy")
    assert (noted["receivable_state"], noted["receivable_reason"]) == ("requested", None)
    assert settlement.rows(disputes)[0]["receivable_state"] == "requested"

    # Requested (or recorded) again: nothing to ask for; refused with nothing written.
    for ref in (subsidy["statement_id"], owed, revenue["statement_id"]):
        county.refused(
            lambda r=ref: coop.request_receivable_again(r, key()), "RECEIVABLE_NOT_REFUSED"
        )
    county.refused(
        lambda: coop.request_receivable_again(f"{revenue['statement_id']}:d7", key()),
        "DISPUTE_NOT_FOUND",
    )
    county.refused(lambda: coop.request_receivable_again("no-such", key()), "STATEMENT_NOT_FOUND")


def test_only_the_county_cooperative_asks_again(settlement, county):
    county.place(poor=True)
    today_is("2026-05-06")
    county.close("2026-04")
    subsidy = _statement(settlement, "policy_subsidy")
    _refuse(settlement, subsidy, subsidy["statement_id"])
    for name, code in (("township_coop_operator", "NOT_COUNTY_COOPERATIVE"),
                       ("village_coop_operator", "NOT_COUNTY_COOPERATIVE"),
                       ("hr_operator", "FORBIDDEN"), ("agent", "FORBIDDEN")):  # fmt: skip
        worker = settlement.caller(name)
        county.refused(
            lambda w=worker: w.request_receivable_again(subsidy["statement_id"], key()), code
        )
    assert _statement(settlement, "policy_subsidy")["receivable_state"] == "refused"
    settlement.county_coop_operator().request_receivable_again(subsidy["statement_id"], key())
    assert _statement(settlement, "policy_subsidy")["receivable_state"] == "requested"
