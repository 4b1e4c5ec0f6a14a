"""Totals reconcile with the fund by period reference, both sides' real code on their own
databases: from one fixed set of placements the fen each payee is owed are recomputed with the
pure domain alone (settlement.domain: items and shares); settlement's closed month must carry
exactly that statement total, the fund must record exactly that receivable under the statement
reference from settlement's `receivable_requested`, and once the HR company has paid it (in two
parts) the distributions of that reference add up to what was paid, payee by payee. A
receivable the fund refused is asked for again and then recorded once."""

from datetime import date

import pytest

from fund.requests import apply_receivable_requests
from fund_support import COUNTY_ORG, HR_ORG, VILLAGE_ORG
from money_support import outbox, requests
from settlement.adapters.period_tables import statements
from settlement.domain.items import SERVICE_REVENUE, Placement, placement_items
from settlement.domain.periods import last_day
from settlement.domain.rules import rules_from_terms
from settlement_fund_support import (
    TOWNSHIP_ORG,
    fund_events,
    fund_hears,
    fund_on,
    funded_account,
    pay,
    sign_both,
)
from settlement_periods_support import _clock, today_is  # noqa: F401
from settlement_support import (
    TOWNSHIP,
    VILLAGE,
    agreement_event,
    key,
    new_id,
    organisation_event,
    placement_event,
)

PERIOD = "2026-04"
PAYEE_OF = {"county": COUNTY_ORG, "township": TOWNSHIP_ORG, "village": VILLAGE_ORG}
# (starts_on, ended_on): lasting the qualifying 90 days or not, months completed or not, one
# starting after the month (nothing yet).
PLACEMENTS = (
    ("2025-12-01", None),
    ("2026-01-05", None),
    ("2026-01-31", "2026-03-30"),
    ("2026-02-10", "2026-04-01"),
    ("2026-03-31", None),
    ("2026-05-02", None),
)


@pytest.fixture
def fund(databases):
    with fund_on(databases) as made:
        township = made.bank_event(VILLAGE_ORG, number="2220105009876543")
        township.payload.update(
            org_id=TOWNSHIP_ORG, org_kind="township_coop", org_name="卡房镇劳务合作社",
            account_name="卡房镇劳务合作社",
        )  # fmt: skip
        made.register_payees(township)
        yield made


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _expected(terms: dict, placed: dict[str, tuple]) -> dict[str, int]:
    """What each payee is owed for the month, by the pure domain alone."""
    rules, owed = [rules_from_terms(terms)], dict.fromkeys(PAYEE_OF.values(), 0)
    for placement_id, (starts_on, ended_on) in placed.items():
        placement = Placement(
            placement_id=placement_id, version=1, agreement_id=terms["agreement_id"],
            hr_company=HR_ORG, person_id=placement_id, name="李秀英",
            id_number_masked="532501***********1", village_code=VILLAGE, township_code=TOWNSHIP,
            agent_id=None, poor=False, starts_on=date.fromisoformat(starts_on),
            ended_on=None if ended_on is None else date.fromisoformat(ended_on),
        )  # fmt: skip
        items, pending = placement_items(placement, rules, [], [], last_day(PERIOD))
        assert pending == []
        for item in items:
            assert item.kind == SERVICE_REVENUE and sum(item.parts.values()) == item.amount_fen
            for party, fen in item.parts.items():
                owed[PAYEE_OF[party]] += fen
    return {payee: fen for payee, fen in owed.items() if fen}


def _settlement_with(settlement, terms: dict) -> dict[str, tuple]:
    settlement.deliver(
        organisation_event(COUNTY_ORG, "county_coop", VILLAGE[:6]),
        organisation_event(TOWNSHIP_ORG, "township_coop", TOWNSHIP),
        organisation_event(VILLAGE_ORG, "village_coop", VILLAGE),
        organisation_event(HR_ORG, "hr_company", None, name="红河人力资源服务有限公司"),
    )
    settlement.deliver(agreement_event(terms))
    placed = {}
    for starts_on, ended_on in PLACEMENTS:
        placement_id = new_id()
        common = {"agreement_id": terms["agreement_id"], "hr_company": HR_ORG,
                  "starts_on": starts_on, "started_at": f"{starts_on}T10:00:00+08:00"}  # fmt: skip
        settlement.deliver(placement_event("placement_started", placement_id, 1, **common))
        if ended_on is not None:
            settlement.deliver(
                placement_event(
                    "placement_ended",
                    placement_id,
                    2,
                    status="ended",
                    ended_on=ended_on,
                    end_reason="returned",
                    **common,
                )  # fmt: skip
            )
        placed[placement_id] = (starts_on, ended_on)
    return placed


def _distribute(settlement, fund, account: str, match: dict) -> None:
    """The fund's match reaches settlement; its distribution is proposed, signed and paid."""
    settlement.deliver(match)
    fund_hears(fund, requests(settlement)[-1])
    proposed = fund_events(fund, "outflow_proposed")[-1]
    settlement.deliver(proposed)
    sign_both(fund, proposed["payload"]["proposal_id"])
    settlement.deliver(fund_events(fund, "outflow_paid")[-1])


def test_the_statement_the_receivable_and_the_distributions_agree_to_the_fen(settlement, fund):
    account = funded_account(fund)
    terms = fund.agreements[account]
    placed = _settlement_with(settlement, terms)
    expected = _expected(terms, placed)
    total = sum(expected.values())
    assert total > 0

    today_is("2026-05-06")
    settlement.county_coop_operator().close_period(PERIOD, key())
    (statement,) = [s for s in settlement.rows(statements) if s["kind"] == "service_revenue"]
    assert statement["total_fen"] == total
    ref = statement["statement_id"]
    settlement.hr_operator().acknowledge_statement(ref, [], key())
    (asked,) = outbox(settlement, "receivable_requested")
    fund_hears(fund, asked, apply=apply_receivable_requests)
    (recorded,) = fund_events(fund, "receivable_recorded")
    receivable = recorded["payload"]
    assert (receivable["statement_ref"], receivable["period"], receivable["account_id"]) == (
        ref, PERIOD, account,
    )  # fmt: skip
    assert receivable["amount_fen"] == total
    settlement.deliver(recorded)

    first = total // 3
    pay(fund, account, _yuan(first), "CCB-1")
    _distribute(settlement, fund, account, fund_events(fund, "receivable_matched")[-1])
    pay(fund, account, _yuan(total - first), "CCB-2")
    _distribute(settlement, fund, account, fund_events(fund, "receivable_matched")[-1])

    listed = settlement.county_admin().list_distributions(statement_ref=ref)
    assert [d["status"] for d in listed["distributions"]] == ["paid", "paid"]
    assert (
        listed["paid_fen"]
        == total
        == fund_events(fund, "receivable_matched")[-1]["payload"]["paid_fen"]
    )
    paid_to = dict.fromkeys(expected, 0)
    for distribution in listed["distributions"]:
        for line in distribution["lines"]:
            paid_to[line["payee_id"]] += line["amount_fen"]
    assert paid_to == expected
    outflows = sum(e["payload"]["amount_fen"] for e in fund_events(fund, "outflow_paid"))
    assert outflows == total


def test_a_receivable_the_fund_refused_is_recorded_once_asked_for_again(settlement, fund):
    """Settlement knew the agreement before the fund had its joint account: the fund refuses
    the receivable (visible on the statement); asked for again once the account is open, it is
    recorded — once, for the same amount under the same reference."""
    fund.confirm_seals()
    terms = fund.terms()
    _settlement_with(settlement, terms)
    today_is("2026-05-06")
    settlement.county_coop_operator().close_period(PERIOD, key())
    (statement,) = [s for s in settlement.rows(statements) if s["kind"] == "service_revenue"]
    ref = statement["statement_id"]
    settlement.hr_operator().acknowledge_statement(ref, [], key())
    (asked,) = outbox(settlement, "receivable_requested")
    fund_hears(fund, asked, apply=apply_receivable_requests)
    (refusal,) = fund_events(fund, "fund_request_refused")
    settlement.deliver(refusal)
    (noted,) = [s for s in settlement.rows(statements) if s["statement_id"] == ref]
    assert (
        noted["receivable_state"] == "refused"
        and refusal["payload"]["reason"]["code"] in (noted["receivable_reason"])
    )

    fund.seal_agreement(terms)
    settlement.county_admin().request_receivable_again(ref, key())
    _, again = outbox(settlement, "receivable_requested")
    assert again["payload"] == asked["payload"]
    fund_hears(fund, again, apply=apply_receivable_requests)
    fund_hears(fund, again, apply=apply_receivable_requests)  # redelivered: still once
    (recorded,) = fund_events(fund, "receivable_recorded")
    assert (recorded["payload"]["statement_ref"], recorded["payload"]["amount_fen"]) == (
        ref, statement["total_fen"],
    )  # fmt: skip
    settlement.deliver(recorded)
    (noted,) = [s for s in settlement.rows(statements) if s["statement_id"] == ref]
    assert noted["receivable_state"] == "recorded"
