"""The contract between settlement and the fund, with both services' real code on their own
databases: the fund's `receivable_matched` of a statement's receivable reaches settlement,
whose `distribution_requested` fits fund_contract.requests and makes one proposal on the
period closer's behalf; once both organisations signed, the fund's `outflow_paid` reaches
settlement and the village's share is its income; the rest of the payment distributes the
rest, and the distributions add up to the receivable exactly. A payee the fund cannot pay is
refused with the reason, visible, and asked for again."""

import uuid
from types import SimpleNamespace

import pytest

from fund.requests import apply_receivable_requests
from fund_support import COUNTY_ORG, HR_ORG, VILLAGE_ORG
from money_support import PERIOD, requests, seed_statement
from settlement_fund_support import (
    TOWNSHIP_ORG,
    fund_events,
    fund_hears,
    fund_on,
    funded_account,
    pay,
    sign_both,
)
from settlement_support import COUNTY, VILLAGE, key, organisation_event


@pytest.fixture
def fund(databases):
    with fund_on(databases) as made:
        yield made


@pytest.fixture
def account(fund):
    return funded_account(fund)


def asked_receivable(fund, account_id: str, ref: str, amount_fen: int) -> None:
    """settlement's `receivable_requested` of the statement, as the fund applies it."""
    request = SimpleNamespace(
        type="receivable_requested", event_id=uuid.uuid4(), actor="user:wang.coop",
        correlation_id="corr",
        payload={"account_id": account_id, "kind": "service_revenue", "period": PERIOD,
                 "counterparty_id": HR_ORG, "counterparty_kind": "hr_company",
                 "counterparty_name": "红河人力资源服务有限公司", "statement_ref": ref,
                 "amount_fen": amount_fen},
    )  # fmt: skip
    with fund.db.unit_of_work() as uow:
        apply_receivable_requests(uow, [request], COUNTY, "settlement")
        uow.commit()


@pytest.fixture
def books(settlement):
    settlement.directory()
    settlement.deliver(organisation_event(VILLAGE_ORG, "village_coop", VILLAGE))
    return settlement


def test_paid_in_two_parts_distributed_signed_and_received_by_the_village(books, fund, account):
    settlement = books
    ref = seed_statement(settlement, {COUNTY_ORG: 600_001, VILLAGE_ORG: 400_000}, agreement=account)
    asked_receivable(fund, account, ref, 1_000_001)
    (recorded,) = fund_events(fund, "receivable_recorded")
    settlement.deliver(recorded)

    pay(fund, account, "3000.00", "CCB-1")
    (first_match,) = fund_events(fund, "receivable_matched")
    settlement.deliver(first_match)
    (first,) = requests(settlement)
    fund_hears(fund, first)
    assert fund_events(fund, "fund_request_refused") == []
    (proposed,) = fund_events(fund, "outflow_proposed")
    proposal = proposed["payload"]
    assert proposal["kind"] == "distribution" and proposal["proposed_by"] == "wang.coop"
    assert {(x["payee"], x["amount_fen"]) for x in proposal["lines"]} == {
        (COUNTY_ORG, 180_000), (VILLAGE_ORG, 119_999),
    }  # fmt: skip
    settlement.deliver(proposed)
    sign_both(fund, proposal["proposal_id"])
    (paid,) = fund_events(fund, "outflow_paid")
    settlement.deliver(paid)
    village = settlement.county_admin().village_books(VILLAGE_ORG)
    assert village["bank_fen"] == 119_999

    pay(fund, account, "7000.01", "CCB-2")
    settlement.deliver(fund_events(fund, "receivable_matched")[-1])
    _, rest = requests(settlement)
    fund_hears(fund, rest)
    second = fund_events(fund, "outflow_proposed")[-1]["payload"]
    sign_both(fund, second["proposal_id"])
    settlement.deliver(fund_events(fund, "outflow_paid")[-1])
    listed = settlement.county_admin().list_distributions(statement_ref=ref)
    assert [d["status"] for d in listed["distributions"]] == ["paid", "paid"]
    assert listed["paid_fen"] == 1_000_001  # the receivable, shared out to the fen
    assert settlement.county_admin().village_books(VILLAGE_ORG)["bank_fen"] == 400_000


def test_a_payee_the_fund_cannot_pay_is_refused_visibly_and_asked_again(books, fund, account):
    settlement = books
    ref = seed_statement(settlement, {COUNTY_ORG: 50_000, TOWNSHIP_ORG: 50_000}, agreement=account)
    asked_receivable(fund, account, ref, 100_000)
    pay(fund, account, "1000.00", "CCB-1")
    settlement.deliver(fund_events(fund, "receivable_matched")[-1])
    (request,) = requests(settlement)
    fund_hears(fund, request)
    (refusal,) = fund_events(fund, "fund_request_refused")
    settlement.deliver(refusal)
    auditor = settlement.caller("auditor")
    (shown,) = auditor.list_distributions(statement_ref=ref)["distributions"]
    assert shown["status"] == "refused" and shown["reason"]["code"]

    # Nothing changed for the township: asked again, refused again, still visible.
    settlement.county_admin().request_distribution_again(shown["distribution_id"], key())
    _, again = requests(settlement)
    assert again["payload"]["request_key"] == request["payload"]["request_key"]
    fund_hears(fund, again)
    settlement.deliver(fund_events(fund, "fund_request_refused")[-1])
    got = auditor.get_distribution(shown["distribution_id"])
    assert (got["status"], got["asked"]) == ("refused", 2)
