"""The fund's income side through FundService on a real database: receivables recorded once per
business key (by a party's finance person, or at settlement's request), bank credits that pay
them in part, exactly or beyond (the rest held as the payer's credit, not income), service
revenue apart from subsidies; outflows asked for by event made once whatever is redelivered,
refused with their reason and asked again; payees' bank details as the signatories sign them;
and `verify` catching a receivable or a credit changed behind the books' back."""

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from fund.adapters.repository import Books
from fund.adapters.tables import journal_entries, proposals, receivables
from fund.audit_trail import audit
from fund.domain.posting_rules import movement_entry
from fund.domain.receivables import Receivable
from fund.exceptions import (
    NotAParty,
    PayeeRejected,
    ProposalRejected,
    ReceivableRejected,
    ReceivablesOpen,
    SignatureRejected,
    TermsRejected,
)
from fund.queries import CHINA
from fund.requests import apply_outflow_requests, apply_receivable_requests
from fund.schemas import derived_id
from fund_support import COUNTY, COUNTY_ORG, HR_ORG, PAYEES, VILLAGE_ORG, Party, in_a_day, key
from sanbao_common.access import Forbidden, OutOfScope
from sanbao_common.context import Caller
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.tables import OUTBOX

BUREAU, EMPLOYER = "org-gejiu-hrss", "emp-zhongshan-fusheng"
OWER = {
    "service_revenue": (HR_ORG, "hr_company", "红河人力资源服务有限公司"),
    "policy_subsidy": (BUREAU, "bureau", "个旧市人力资源和社会保障局"),
    "employer_subsidy": (EMPLOYER, "employer", "中山市富盛电子有限公司"),
}
TOWNSHIP_ORG = "org-kafang-town-coop"  # in the directory, but no bank account known to the fund
KEY = "dispatch:batch-2026-007:advance"


@pytest.fixture
def account(fund):
    """An open account with 100,000.00 of principal and a signatory on each side."""
    account_id = fund.open_account()
    fund.certify(fund.county, "chen.sign")
    fund.certify(fund.hr, "zhou.sign")
    county_finance(fund).record_inflow(
        account_id,
        {"kind": "principal_deposit", "amount": "100000.00", "bank_ref": "ICBC-0001"},
        key(),
    )
    return account_id


def county_finance(fund):
    return fund.as_(["finance"], user="li.fin")


def auditor(fund):
    return fund.as_(["auditor"])


def owed(kind="service_revenue", period="2026-03", amount="3000.00", **changes) -> dict:
    counterparty_id, counterparty_kind, name = OWER[kind]
    return {
        "kind": kind,
        "period": period,
        "counterparty_id": counterparty_id,
        "counterparty_kind": counterparty_kind,
        "counterparty_name": name,
        "statement_ref": f"个旧劳务结算〔{period}〕号",
        "amount": amount,
        **changes,
    }


def credit(amount: str, bank_ref: str, kind="service_revenue", **more) -> dict:
    return {"kind": kind, "amount": amount, "bank_ref": bank_ref, **more}


def balances(fund, account_id) -> dict:
    return auditor(fund).get_joint_account(account_id)["balances_fen"]


def events(fund, event_type: str) -> list[dict]:
    """The fund's events of a type, as its outbox holds them (oldest first)."""
    with fund.db.reader() as uow:
        bodies = uow.connection.execute(
            select(OUTBOX.c.body)
            .where(OUTBOX.c.event_type == event_type)
            .order_by(OUTBOX.c.position)
        ).scalars()
        return [json.loads(body) for body in bodies]


def entry_count(fund) -> int:
    with fund.db.reader() as uow:
        return uow.connection.execute(select(func.count()).select_from(journal_entries)).scalar()


def verify(fund) -> dict:
    return auditor(fund).verify_books()


# -- requests by event, as settlement and dispatch send them ------------------------------------


def receivable_requested(account_id: str, amount_fen: int = 300_000, **changes):
    counterparty_id, counterparty_kind, name = OWER["service_revenue"]
    payload = {
        "account_id": account_id,
        "kind": "service_revenue",
        "period": "2026-04",
        "counterparty_id": counterparty_id,
        "counterparty_kind": counterparty_kind,
        "counterparty_name": name,
        "statement_ref": "个旧劳务结算〔2026〕4号",
        "amount_fen": amount_fen,
    }
    return SimpleNamespace(
        type="receivable_requested",
        event_id=uuid.uuid4(),
        actor="user:zhang.settle",
        correlation_id="corr",
        payload=dict(payload, **changes),
    )


def outflow_requested(
    account_id, request_key=KEY, *, kind="advance", replaces=None, by="wang.dispatch", actor=None,
    lines=None, **changes,
):  # fmt: skip
    """dispatch's `advance_requested` (or settlement's `distribution_requested`), caused by
    `by`, a county cooperative's person."""
    payload = {
        "request_key": request_key,
        "account_id": account_id,
        "lines": [
            {"payee": HR_ORG, "amount_fen": 90_000, "purpose": "车票", "reference": "batch-7"}
        ]
        if lines is None
        else lines,
        "expires_at": in_a_day(),
        "proposer": {"user_id": by, "username": by, "organisation_id": COUNTY_ORG},
        "replaces": replaces,
    }
    return SimpleNamespace(
        type=f"{kind}_requested",
        event_id=uuid.uuid4(),
        actor=f"user:{actor or by}",
        correlation_id="corr",
        payload=dict(payload, **changes),
    )


def deliver_receivables(fund, *events_) -> None:
    with fund.db.unit_of_work() as uow:
        apply_receivable_requests(uow, list(events_), COUNTY, "settlement")
        uow.commit()


def deliver_outflows(fund, *events_, source="dispatch") -> None:
    with fund.db.unit_of_work() as uow:
        apply_outflow_requests(uow, list(events_), COUNTY, source)
        uow.commit()


def requested(fund, account_id, request_key=KEY, source="dispatch") -> list:
    """The proposals made for a request key, oldest first."""
    with fund.db.reader() as uow:
        found = Books(uow.connection).proposals(account_id, COUNTY)
    return [p for p in found if p.request == (source, request_key)]


def reject(fund, proposal_id: str) -> None:
    fund.as_(["signatory"], fund.hr, user="zhou.sign").reject_outflow(
        proposal_id, "批次取消", key()
    )


def request_row(fund, account_id, request_key) -> dict:
    (row,) = [
        r for r in auditor(fund).list_fund_requests(account_id) if r["request_key"] == request_key
    ]
    return row


# -- receivables --------------------------------------------------------------------------------


def test_a_requested_receivable_exists_once_whatever_is_redelivered(fund, account):
    asked = receivable_requested(account)
    deliver_receivables(fund, asked)
    deliver_receivables(fund, asked)  # the same event redelivered
    deliver_receivables(fund, receivable_requested(account))  # asked again: same key, same amount
    (only,) = auditor(fund).list_receivables(account)["receivables"]
    assert (only["amount_fen"], only["paid_fen"], only["status"]) == (300_000, 0, "open")
    assert only["requested_by"] == "settlement"
    assert only["recorded_by"] == "system:fund for user:zhang.settle"
    (recorded,) = events(fund, "receivable_recorded")
    assert recorded["record_id"] == only["receivable_id"] and recorded["payload"] == only
    (row,) = auditor(fund).list_fund_requests(account)
    assert (row["source"], row["kind"], row["state"]) == ("settlement", "receivable", "made")
    assert (row["record_id"], row["attempts"], row["reason"]) == (only["receivable_id"], 3, None)
    assert balances(fund, account)["revenue_receivable"] == 300_000
    by_hand = dict(
        owed(period="2026-04", amount="3000.00"), statement_ref="个旧劳务结算〔2026〕4号"
    )
    same = county_finance(fund).record_receivable(account, by_hand, key())
    assert same["receivable_id"] == only["receivable_id"]  # one key, whoever records it
    outsider = fund.as_(["finance"], Party("org-other-company", "hr_company"), user="mallory")
    with pytest.raises(OutOfScope):
        outsider.list_fund_requests(account)
    with pytest.raises(OutOfScope):
        outsider.list_receivables(account)

    before = entry_count(fund)
    other = receivable_requested(account, amount_fen=300_001)  # the same key, another amount
    deliver_receivables(fund, other)
    assert auditor(fund).list_receivables(account)["receivables"] == [only]
    assert entry_count(fund) == before and len(events(fund, "receivable_recorded")) == 1
    (refused,) = events(fund, "fund_request_refused")
    assert refused["record_id"] == derived_id("settlement", row["request_key"])
    assert refused["payload"]["reason"]["code"] == "RECEIVABLE_REJECTED"
    assert refused["payload"]["event_id"] == str(other.event_id)
    row = request_row(fund, account, row["request_key"])  # what it made stays; why not again
    assert (row["state"], row["record_id"], row["reason"], row["attempts"]) == (
        "made", only["receivable_id"], "RECEIVABLE_REJECTED", 4,
    )  # fmt: skip
    assert balances(fund, account)["revenue_receivable"] == 300_000
    assert verify(fund)["ok"]


def test_the_same_statement_for_two_accounts_is_two_requests(fund, account):
    """The business key includes the account: each account's receivable is made, and each
    account lists its own request."""
    second = fund.open_account("50000.00")
    deliver_receivables(fund, receivable_requested(account), receivable_requested(second))
    mine = auditor(fund).list_receivables(account)["receivables"]
    theirs = auditor(fund).list_receivables(second)["receivables"]
    assert len(mine) == len(theirs) == 1 and mine[0]["receivable_id"] != theirs[0]["receivable_id"]
    for account_id, (made,) in ((account, mine), (second, theirs)):
        rows = auditor(fund).list_fund_requests(account_id)
        assert [(r["state"], r["record_id"]) for r in rows] == [("made", made["receivable_id"])]


def test_the_county_cooperatives_finance_person_records_a_receivable_once(fund, account):
    finance = county_finance(fund)
    first = finance.record_receivable(account, owed(), key())
    assert (first["amount_fen"], first["requested_by"], first["recorded_by"]) == (
        300_000, "rpc", "user:li.fin"
    )  # fmt: skip
    again = finance.record_receivable(account, owed(counterparty_name="红河人力"), key())
    assert again["receivable_id"] == first["receivable_id"]  # the same business key
    before = entry_count(fund)
    with pytest.raises(ReceivableRejected, match="another amount"):
        finance.record_receivable(account, owed(amount="3000.01"), key())
    with pytest.raises(ReceivableRejected):  # service revenue is owed by this account's HR only
        finance.record_receivable(account, owed(counterparty_id="org-other-hr"), key())
    with pytest.raises(ReceivableRejected):  # a subsidy is not owed by the HR company
        finance.record_receivable(
            account, owed("policy_subsidy", counterparty_id=HR_ORG, counterparty_kind="hr_company"),
            key(),
        )  # fmt: skip
    with pytest.raises(InvalidInput):
        finance.record_receivable(account, owed(amount="0"), key())
    with pytest.raises(ReceivableRejected):  # the debtor does not write down what it owes
        fund.as_(["finance"], fund.hr, user="hr.fin").record_receivable(
            account, owed(period="2026-05", amount="1.00"), key()
        )
    outsider = Party("org-other-company", "hr_company")
    with pytest.raises(NotAParty):
        fund.as_(["finance"], outsider, user="mallory").record_receivable(account, owed(), key())
    with pytest.raises(Forbidden):
        fund.as_(["signatory"], user="chen.sign").record_receivable(account, owed(), key())
    assert entry_count(fund) == before
    assert [r["receivable_id"] for r in auditor(fund).list_receivables(account)["receivables"]] == [
        first["receivable_id"]
    ]


def test_partial_exact_and_over_payments_and_the_credit_paying_the_next_one(fund, account):
    finance, hr_finance = county_finance(fund), fund.as_(["finance"], fund.hr, user="hr.fin")
    january = finance.record_receivable(account, owed(period="2026-01", amount="3000.00"), key())
    february = finance.record_receivable(account, owed(period="2026-02", amount="2000.00"), key())
    with pytest.raises(ReceivablesOpen):  # receivables are open: the credit must say what it pays
        hr_finance.record_inflow(account, credit("1000.00", "CCB-1"), key())
    part = hr_finance.record_inflow(account, credit("1000.00", "CCB-1", pays="oldest_first"), key())
    assert part["matches"] == [{"receivable_id": january["receivable_id"], "amount_fen": 100_000}]
    assert (part["payer"], part["credit_fen"]) == (HR_ORG, 0)
    both = hr_finance.record_inflow(account, credit("2500.00", "CCB-2", pays="oldest_first"), key())
    assert [(m["receivable_id"], m["amount_fen"]) for m in both["matches"]] == [
        (january["receivable_id"], 200_000), (february["receivable_id"], 50_000)
    ]  # fmt: skip
    named = [february["receivable_id"]]
    exact = hr_finance.record_inflow(account, credit("1500.00", "CCB-3", pays=named), key())
    assert exact["credit_fen"] == 0 and exact["matches"][0]["amount_fen"] == 150_000
    with pytest.raises(ReceivableRejected, match="already paid"):
        hr_finance.record_inflow(account, credit("1.00", "CCB-4", pays=named), key())
    earned = hr_finance.record_inflow(account, credit("100.00", "CCB-4"), key())  # nothing owed
    assert earned["matches"] == [] and earned["credit_fen"] == 0

    march = finance.record_receivable(account, owed(period="2026-03", amount="800.00"), key())
    over = hr_finance.record_inflow(
        account, credit("1500.00", "CCB-5", pays=[march["receivable_id"]]), key()
    )
    assert over["matches"][0]["amount_fen"] == 80_000 and over["credit_fen"] == 70_000
    report = auditor(fund).list_receivables(account)
    assert report["credits_fen"] == {HR_ORG: 70_000}
    assert balances(fund, account)["cash_held"] == 70_000  # the payer's, not income
    april = finance.record_receivable(account, owed(period="2026-04", amount="500.00"), key())
    assert (april["paid_fen"], april["status"]) == (50_000, "paid")  # paid from the credit
    report = auditor(fund).list_receivables(account)
    assert report["credits_fen"] == {HR_ORG: 20_000}
    assert report["totals_by_kind"]["service_revenue"] == {
        "amount_fen": 630_000, "paid_fen": 630_000, "open_fen": 0
    }  # fmt: skip
    books = balances(fund, account)
    # Income is what was paid of the receivables, and what came with nothing owed.
    assert books["income_service_revenue"] == -(630_000 + 10_000)
    assert books["cash_income"] == 630_000 + 10_000 and books["cash_held"] == 20_000
    assert books.get("revenue_receivable", 0) == 0 and books.get("revenue_uncollected", 0) == 0
    credits = [e["payload"] for e in events(fund, "payer_credit_changed")]
    assert [(c["change_fen"], c["balance_fen"], c["version"]) for c in credits] == [
        (70_000, 70_000, 1), (-50_000, 20_000, 2)
    ]  # fmt: skip
    matched = [e["payload"] for e in events(fund, "receivable_matched")]
    assert [m["match"]["source"] for m in matched] == ["inflow"] * 5 + ["credit"]
    assert matched[-1]["receivable_id"] == april["receivable_id"] and matched[-1]["open_fen"] == 0
    bureau = finance.record_receivable(account, owed("policy_subsidy", amount="100.00"), key())
    assert bureau["paid_fen"] == 0  # another payer's credit pays nothing of it
    assert auditor(fund).list_receivables(account)["credits_fen"] == {HR_ORG: 20_000}
    assert verify(fund)["ok"]


def test_service_revenue_is_kept_apart_from_subsidies(fund, account):
    finance = county_finance(fund)
    revenue = finance.record_receivable(account, owed(amount="1000.00"), key())
    policy = finance.record_receivable(account, owed("policy_subsidy", amount="600.00"), key())
    employer = finance.record_receivable(account, owed("employer_subsidy", amount="400.00"), key())
    with pytest.raises(ReceivableRejected):  # a subsidy's credit names who paid it
        finance.record_inflow(account, credit("1.00", "B-0", "policy_subsidy", pays="oldest_first"),
                              key())  # fmt: skip
    with pytest.raises(ReceivableRejected):  # service revenue is paid by the HR company
        finance.record_inflow(account, credit("1.00", "B-0", payer=BUREAU, pays="nothing"), key())
    for pays in ([employer["receivable_id"]], [revenue["receivable_id"]]):
        with pytest.raises(ReceivableRejected, match="its own kind"):
            finance.record_inflow(
                account, credit("1.00", "B-0", "policy_subsidy", payer=BUREAU, pays=pays), key()
            )
    paid = finance.record_inflow(
        account, credit("600.00", "B-1", "policy_subsidy", payer=BUREAU, pays="oldest_first"), key()
    )
    assert paid["matches"] == [{"receivable_id": policy["receivable_id"], "amount_fen": 60_000}]
    finance.record_inflow(account, credit("250.00", "B-2", "employer_subsidy",
                                          pays=[employer["receivable_id"]]), key())  # fmt: skip
    finance.record_inflow(account, credit("70.00", "B-3", "policy_subsidy", pays="nothing"), key())
    books = balances(fund, account)
    assert books["income_policy_subsidy"] == -(60_000 + 7_000)
    assert books["income_employer_subsidy"] == -25_000
    assert books.get("income_service_revenue", 0) == 0  # the subsidies paid none of it
    assert books["revenue_receivable"] == 100_000 and books["revenue_uncollected"] == -100_000
    assert books["employer_subsidy_receivable"] == 15_000
    assert books.get("policy_subsidy_receivable", 0) == 0
    totals = auditor(fund).list_receivables(account)["totals_by_kind"]
    assert {kind: t["open_fen"] for kind, t in totals.items()} == {
        "service_revenue": 100_000, "policy_subsidy": 0, "employer_subsidy": 15_000
    }  # fmt: skip
    opened = auditor(fund).list_receivables(account, counterparty_id=EMPLOYER, open_only=True)
    assert [r["receivable_id"] for r in opened["receivables"]] == [employer["receivable_id"]]
    with pytest.raises(InvalidInput):
        auditor(fund).list_receivables(account, open_only="yes")
    assert verify(fund)["ok"]


def test_a_credit_cannot_pay_another_accounts_receivable_or_one_twice(fund, account):
    finance = county_finance(fund)
    mine = finance.record_receivable(account, owed(amount="100.00"), key())
    second = fund.open_account("50000.00")
    theirs = finance.record_receivable(second, owed(amount="100.00"), key())
    before = entry_count(fund)
    for pays, why in (
        ([theirs["receivable_id"]], "not one of this account's"),
        ([mine["receivable_id"], mine["receivable_id"]], "named twice"),
        (["no-such-receivable"], "not one of this account's"),
    ):
        with pytest.raises(ReceivableRejected, match=why):
            finance.record_inflow(account, credit("100.00", "CCB-9", pays=pays), key())
    assert entry_count(fund) == before
    finance.record_inflow(account, credit("100.00", "CCB-9", pays=[mine["receivable_id"]]), key())
    assert auditor(fund).list_receivables(second)["receivables"][0]["paid_fen"] == 0


# The directory's organisations have UUIDs (registry), as long as the account's own id.
GEJIU_HRSS = "3f1c2a9e-7b4d-4e8a-9c61-5d2f0b8e4a17"  # 个旧市人力资源和社会保障局


def test_a_credit_held_for_a_payer_with_a_directory_id_is_announced(fund, account):
    finance = county_finance(fund)
    finance.record_receivable(
        account, owed("policy_subsidy", amount="600.00", counterparty_id=GEJIU_HRSS), key()
    )
    over = credit("700.00", "GJ-HRSS-7", "policy_subsidy", payer=GEJIU_HRSS, pays="oldest_first")
    assert finance.record_inflow(account, over, key())["credit_fen"] == 10_000
    (changed,) = events(fund, "payer_credit_changed")
    assert (changed["payload"]["payer_id"], changed["payload"]["balance_fen"]) == (
        GEJIU_HRSS, 10_000
    )  # fmt: skip
    assert verify(fund)["ok"]


def test_a_refused_request_about_a_payer_with_a_directory_id_is_announced(fund, account):
    asked = dict(
        kind="policy_subsidy", counterparty_id=GEJIU_HRSS, counterparty_kind="bureau",
        counterparty_name=OWER["policy_subsidy"][2], statement_ref="个旧就业补贴〔2026〕4号",
    )  # fmt: skip
    deliver_receivables(fund, receivable_requested(account, 5_000, **asked))
    deliver_receivables(fund, receivable_requested(account, 6_000, **asked))  # another amount
    (refused,) = events(fund, "fund_request_refused")
    assert refused["payload"]["reason"]["code"] == "RECEIVABLE_REJECTED"
    (row,) = auditor(fund).list_fund_requests(account)
    assert (row["state"], row["reason"]) == ("made", "RECEIVABLE_REJECTED")


# -- outflows asked for by event ----------------------------------------------------------------


def test_a_requested_proposal_exists_once_whatever_is_redelivered(fund, account):
    asked = outflow_requested(account)
    deliver_outflows(fund, asked, asked)  # the same event twice
    deliver_outflows(fund, outflow_requested(account))  # a new event with the same key
    (first,) = requested(fund, account)
    assert (first.status, first.proposed_by, first.proposer_org) == (
        "pending", "wang.dispatch", COUNTY_ORG
    )  # fmt: skip
    # What signatories read: who proposed it, and which service asked for it under which key.
    origin = {"proposed_by": "wang.dispatch", "proposer_org": COUNTY_ORG,
              "request": {"source": "dispatch", "request_key": KEY}}  # fmt: skip
    shown = auditor(fund).get_outflow(first.proposal_id)
    assert {k: shown[k] for k in origin} == origin
    (pending,) = auditor(fund).get_joint_account(account)["pending_outflows"]
    assert {k: pending[k] for k in origin} == origin
    reject(fund, first.proposal_id)
    deliver_outflows(fund, outflow_requested(account))  # rejected, and not asked for again
    assert [p.proposal_id for p in requested(fund, account)] == [first.proposal_id]
    again = outflow_requested(account, replaces=first.proposal_id)
    deliver_outflows(fund, again, again)
    deliver_outflows(fund, outflow_requested(account, replaces=first.proposal_id))
    made = [p for p in requested(fund, account) if p.proposal_id != first.proposal_id]
    assert len(made) == 1 and made[0].status == "pending"
    reject(fund, made[0].proposal_id)
    deliver_outflows(fund, outflow_requested(account, replaces=first.proposal_id))  # stale
    assert len(requested(fund, account)) == 2
    row = request_row(fund, account, KEY)
    assert (row["state"], row["record_id"], row["kind"]) == ("made", made[0].proposal_id, "outflow")
    proposed = [e["payload"] for e in events(fund, "outflow_proposed")]
    assert [p["request"] for p in proposed] == [{"source": "dispatch", "request_key": KEY}] * 2
    assert {p["proposed_by"] for p in proposed} == {"wang.dispatch"}


def test_an_expired_requested_proposal_is_made_again_only_when_named(fund, account):
    deliver_outflows(fund, outflow_requested(account))
    (first,) = requested(fund, account)
    with fund.engine.begin() as connection:  # its day passes unsigned
        connection.execute(
            update(proposals)
            .where(proposals.c.proposal_id == first.proposal_id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    deliver_outflows(fund, outflow_requested(account))
    assert len(requested(fund, account)) == 1
    deliver_outflows(fund, outflow_requested(account, replaces=first.proposal_id))
    deliver_outflows(fund, outflow_requested(account, replaces=first.proposal_id))
    (_, second) = requested(fund, account)
    assert second.status == "pending" and request_row(fund, account, KEY)["record_id"] == (
        second.proposal_id
    )


def test_the_requests_proposer_cannot_sign_it_but_the_two_signatories_pay_it(fund, account):
    fund.certify(fund.county, "wang.settle")  # the proposer is also a signatory
    earned = credit("800.00", "GJ-HRSS-1", "policy_subsidy", pays="nothing")
    county_finance(fund).record_inflow(account, earned, key())
    line = {"payee": VILLAGE_ORG, "amount_fen": 50_000, "purpose": "劳务经济收益金"}
    asked = outflow_requested(account, "JS-2026-03", kind="distribution", by="wang.settle",
                              lines=[line])  # fmt: skip
    deliver_outflows(fund, asked, source="settlement")
    (proposal,) = requested(fund, account, "JS-2026-03", source="settlement")
    view = auditor(fund).get_outflow(proposal.proposal_id)
    assert (view["kind"], view["amount_fen"]) == ("distribution", 50_000)
    (line,) = view["lines"]
    assert (line["payee"], line["bank_account"]) == (VILLAGE_ORG, PAYEES[VILLAGE_ORG][3])
    with pytest.raises(SignatureRejected, match="proposer"):
        fund.sign_as(fund.county, "wang.settle", view)()
    fund.sign_as(fund.county, "chen.sign", view)()
    assert fund.sign_as(fund.hr, "zhou.sign", view)()["status"] == "paid"
    (paid,) = events(fund, "outflow_paid")
    assert paid["payload"]["request"] == {"source": "settlement", "request_key": "JS-2026-03"}
    assert paid["payload"]["proposed_by"] == "wang.settle"
    assert balances(fund, account)["distributions"] == 50_000


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"lines": [{"payee": TOWNSHIP_ORG, "amount_fen": 100, "purpose": "车票",
                     "reference": "b"}]}, "PAYEE_REJECTED"),
        ({"lines": [{"payee": HR_ORG, "amount_fen": 10_000_001, "purpose": "车票",
                     "reference": "b"}]}, "INSUFFICIENT_FUNDS"),
        ({"actor": "mallory"}, "REQUEST_MALFORMED"),  # the event's actor is not the proposer
        ({"proposer": {"user_id": "m", "username": "m", "organisation_id": "org-other-company"},
          "actor": "m"}, "NOT_A_PARTY"),
        ({"kind": "return_principal"}, "REQUEST_MALFORMED"),  # not an outflow to ask for
        ({"lines": []}, "REQUEST_MALFORMED"),
    ],
)  # fmt: skip
def test_a_refused_request_is_kept_with_its_reason(fund, account, changes, code):
    deliver_outflows(fund, outflow_requested(account, **changes))
    assert requested(fund, account) == [] and events(fund, "outflow_proposed") == []
    row = request_row(fund, account, KEY)
    assert (row["state"], row["reason"], row["record_id"], row["attempts"]) == (
        "refused", code, None, 1
    )  # fmt: skip
    (refused,) = events(fund, "fund_request_refused")
    assert refused["record_id"] == derived_id("dispatch", KEY)
    assert refused["payload"]["reason"]["code"] == code
    assert verify(fund)["ok"]


def test_a_refused_request_asked_again_later_is_made_once(fund, account):
    line = {"payee": TOWNSHIP_ORG, "amount_fen": 20_000, "purpose": "车票", "reference": "b8"}
    deliver_outflows(fund, outflow_requested(account, lines=[line]))
    assert request_row(fund, account, KEY)["reason"] == "PAYEE_REJECTED"
    township = fund.bank_event(VILLAGE_ORG, number="2220105009876543")
    name = "卡房镇劳务合作社"
    township.payload.update(
        org_id=TOWNSHIP_ORG, org_kind="township_coop", org_name=name, account_name=name
    )
    fund.register_payees(township)
    deliver_outflows(fund, outflow_requested(account, lines=[line]))
    deliver_outflows(fund, outflow_requested(account, lines=[line]))
    (made,) = requested(fund, account)
    assert made.lines[0].bank_account == "2220105009876543"
    row = request_row(fund, account, KEY)
    assert (row["state"], row["record_id"], row["reason"]) == ("made", made.proposal_id, None)


def test_a_closed_account_takes_no_request(fund):
    account_id = fund.open_account("10.00")
    fund.certify(fund.county, "chen.sign")
    fund.certify(fund.hr, "zhou.sign")
    finance = county_finance(fund)
    finance.record_inflow(account_id, credit("10.00", "ICBC-9", "principal_deposit"), key())
    back = finance.propose_outflow(
        account_id,
        {"kind": "return_principal", "expires_at": in_a_day(),
         "lines": [{"payee": COUNTY_ORG, "amount": "10.00", "purpose": "返还本金"}]},
        key(),
    )  # fmt: skip
    fund.sign_as(fund.county, "chen.sign", back)()
    fund.sign_as(fund.hr, "zhou.sign", back)()
    fund.as_(["county_admin"], user="admin").close_joint_account(account_id, key())
    deliver_outflows(fund, outflow_requested(account_id))
    deliver_receivables(fund, receivable_requested(account_id))
    rows = auditor(fund).list_fund_requests(account_id)
    assert sorted((r["kind"], r["state"], r["reason"]) for r in rows) == [
        ("outflow", "refused", "JOINT_ACCOUNT_NOT_OPEN"),
        ("receivable", "refused", "JOINT_ACCOUNT_NOT_OPEN"),
    ]  # fmt: skip
    assert auditor(fund).list_receivables(account_id)["receivables"] == []


def test_requests_racing_on_two_connections_make_one_proposal(fund, account, db_backend):
    """Two replicas apply two events with the same key at once: the second reads what the first
    made only once the first has committed; still only one proposal."""
    if db_backend == "sqlite":
        pytest.skip("on SQLite a process's writers take turns whole (the unit of work's lock)")
    entering = threading.Event()
    real_lock = Books.lock
    racer = {}

    def lock(self):
        if threading.get_ident() == racer.get("thread"):
            entering.set()
        real_lock(self)

    def second():
        racer["thread"] = threading.get_ident()
        try:
            deliver_outflows(fund, outflow_requested(account))
        except BaseException as exc:  # noqa: BLE001 - reported below
            racer["error"] = exc
        entering.set()

    Books.lock = lock
    try:
        with fund.db.unit_of_work() as first:
            apply_outflow_requests(first, [outflow_requested(account)], COUNTY, "dispatch")
            thread = threading.Thread(target=second)
            thread.start()
            assert entering.wait(10)
            first.commit()
        thread.join(10)
    finally:
        Books.lock = real_lock
    assert "error" not in racer, racer.get("error")
    assert len(requested(fund, account)) == 1


# -- payees and their bank accounts -------------------------------------------------------------


def test_statements_show_receivables_their_matches_and_whom_outflows_paid(fund, account):
    finance = county_finance(fund)
    today = datetime.now(CHINA).date().isoformat()
    owing = finance.record_receivable(account, owed(amount="3000.00"), key())
    finance.record_inflow(account, credit("1000.00", "CCB-21", pays="oldest_first"), key())
    distribution = finance.propose_outflow(
        account,
        {"kind": "distribution", "expires_at": in_a_day(),
         "lines": [{"payee": VILLAGE_ORG, "amount": "500.00", "purpose": "劳务经济收益金"}]},
        key(),
    )  # fmt: skip
    fund.sign_as(fund.county, "chen.sign", distribution)()
    fund.sign_as(fund.hr, "zhou.sign", distribution)()
    statement = auditor(fund).export_statement(account, today, today)
    (receivable,) = statement["receivables"]
    assert receivable["receivable_id"] == owing["receivable_id"]
    assert (receivable["paid_fen"], receivable["open_fen"]) == (100_000, 200_000)
    (match,) = receivable["matches"]
    assert (match["amount_fen"], match["source"], match["bank_ref"]) == (
        100_000,
        "inflow",
        "CCB-21",
    )
    (paid,) = [e for e in statement["entries"] if e["kind"] == "outflow:distribution"]
    kind, name, bank, number = PAYEES[VILLAGE_ORG]
    assert paid["lines"] == [
        {"payee": VILLAGE_ORG, "amount_fen": 50_000, "purpose": "劳务经济收益金",
         "reference": None, "payee_kind": "organisation", "payee_name": name,
         "bank_name": bank, "account_name": name, "bank_account": number}
    ]  # fmt: skip
    assert all(e["lines"] is None for e in statement["entries"] if e is not paid)
    yesterday = (datetime.now(CHINA).date() - timedelta(days=1)).isoformat()
    before = auditor(fund).export_statement(account, yesterday, yesterday)
    assert before["receivables"] == [] and before["entries"] == []  # recorded later


def test_a_bank_account_changed_after_a_proposal_does_not_change_what_it_pays(fund, account):
    finance = county_finance(fund)
    line = {"payee": HR_ORG, "amount": "900.00", "purpose": "车票", "reference": "b1",
            "bank_name": "骗子银行", "account_name": "某某",
            "bank_account": "6222000011112222"}  # fmt: skip
    proposal = finance.propose_outflow(
        account, {"kind": "advance", "expires_at": in_a_day(), "lines": [line]}, key()
    )
    old = PAYEES[HR_ORG][3]
    # The directory's details, whatever the proposer wrote.
    assert (proposal["lines"][0]["bank_account"], proposal["lines"][0]["bank_name"]) == (
        old, PAYEES[HR_ORG][2]
    )  # fmt: skip
    fund.sign_as(fund.county, "chen.sign", proposal)()
    fund.register_payees(fund.bank_event(HR_ORG, version=2, number="6217000012345678901"))
    assert fund.sign_as(fund.hr, "zhou.sign", proposal)()["status"] == "paid"
    assert auditor(fund).get_outflow(proposal["proposal_id"])["lines"][0]["bank_account"] == old
    (paid,) = events(fund, "outflow_paid")
    assert paid["payload"]["lines"][0]["bank_account"] == old
    fund.register_payees(fund.bank_event(HR_ORG, version=1, number="6200000000000001"))  # late
    later = finance.propose_outflow(
        account, {"kind": "advance", "expires_at": in_a_day(), "lines": [line]}, key()
    )
    assert later["lines"][0]["bank_account"] == "6217000012345678901"


def test_a_labourers_bank_account_is_masked_in_events_and_whole_for_the_signatories(fund, account):
    finance, number = county_finance(fund), "6228480318000012345"
    line = {"payee": "lab-5325011990", "payee_kind": "labourer", "amount": "120.00",
            "purpose": "体检费报销", "bank_name": "中国农业银行个旧支行", "account_name": "李四",
            "bank_account": number}  # fmt: skip
    with pytest.raises(PayeeRejected):  # a labourer is paid only a reimbursement
        finance.propose_outflow(
            account,
            {"kind": "advance", "expires_at": in_a_day(), "lines": [dict(line, reference="b")]},
            key(),
        )
    proposal = finance.propose_outflow(
        account, {"kind": "reimbursement", "expires_at": in_a_day(), "lines": [line]}, key()
    )
    view = fund.as_(["signatory"], user="chen.sign").get_outflow(proposal["proposal_id"])
    assert (view["lines"][0]["bank_account"], view["lines"][0]["payee_name"]) == (number, "李四")
    fund.sign_as(fund.county, "chen.sign", view)()
    fund.sign_as(fund.hr, "zhou.sign", view)()
    published = [
        e for kind in ("outflow_proposed", "outflow_signed", "outflow_paid")
        for e in events(fund, kind)
    ]  # fmt: skip
    assert len(published) == 4
    for event in published:
        assert event["payload"]["lines"][0]["bank_account"] == "*" * 15 + "2345"
    with fund.db.reader() as uow:
        bodies = uow.connection.execute(select(OUTBOX.c.body)).scalars().all()
    assert not any(number in body for body in bodies)


# -- verify: the receivables and credits beside the books ---------------------------------------


def test_a_receivables_paid_part_changed_in_the_database_is_caught(fund, account):
    finance = county_finance(fund)
    owing = finance.record_receivable(account, owed(amount="3000.00"), key())
    finance.record_inflow(account, credit("1000.00", "CCB-31", pays="oldest_first"), key())
    assert verify(fund)["ok"]
    receivable_id = owing["receivable_id"]

    def set_paid(fen: int) -> None:
        with fund.engine.begin() as connection:
            connection.execute(
                update(receivables)
                .where(receivables.c.receivable_id == receivable_id)
                .values(paid_fen=fen)
            )

    set_paid(300_000)  # marked paid, so no one collects the rest
    report = verify(fund)
    assert not report["ok"]
    assert f"receivable {receivable_id} is not paid what its matches say" in report["first_break"]
    # ... and a match forged to agree: the books still hold what is owed.
    with fund.db.unit_of_work() as uow:
        row = Books(uow.connection).receivable(receivable_id)
        Books(uow.connection).add_match("forged-match", row, 200_000, "inflow", "CCB-X", None)
        uow.commit()
    problems = verify(fund)["problems"]
    assert any("revenue_receivable is not the open receivables' total" in p for p in problems)
    assert any("revenue_uncollected is not the income still to be received" in p for p in problems)


def test_a_credit_spent_twice_is_caught(fund, account):
    """Someone who can write to the fund's database pays a second receivable from a credit the
    first one used up, with entries that follow the posting rules, bound into the chain."""
    finance = county_finance(fund)
    first = finance.record_receivable(account, owed(period="2026-01", amount="1000.00"), key())
    finance.record_inflow(
        account, credit("1400.00", "CCB-41", pays=[first["receivable_id"]]), key()
    )
    used = finance.record_receivable(account, owed(period="2026-02", amount="400.00"), key())
    assert used["status"] == "paid" and verify(fund)["ok"]
    with fund.db.unit_of_work() as uow:
        books = Books(uow.connection)
        again = books.add_receivable(
            Receivable(
                receivable_id="forged-r", account_id=account, kind="service_revenue",
                period="2026-03", counterparty_id=HR_ORG, counterparty_kind="hr_company",
                counterparty_name=OWER["service_revenue"][2], statement_ref="伪造",
                amount_fen=40_000, paid_fen=40_000, basis="on_receipt", requested_by="rpc",
                recorded_at=datetime.now(UTC), recorded_by="user:li.fin", entry_id="forged-1",
            )
        )  # fmt: skip
        books.post(account, "forged-1", "receivable:service_revenue",
                   movement_entry("receivable:service_revenue", 40_000), by="user:li.fin",
                   source="forged-r")  # fmt: skip
        books.post(account, "forged-2", "credit_applied:service_revenue",
                   movement_entry("credit_applied:service_revenue", 40_000, HR_ORG),
                   by="user:li.fin", source="forged-r")  # fmt: skip
        books.add_match("forged-m", again, 40_000, "credit", None, "forged-2")
        audit(books, Caller(COUNTY, "user:li.fin", "corr"), "record_receivable", account, {})
        uow.commit()
    problems = verify(fund)["problems"]
    assert f"account {account}: a payer's credit is below zero" in problems, problems
    assert f"account {account}: cash_held below zero" in problems, problems


# -- a payer's credit paid back ------------------------------------------------------------------


def refund(amount: str, payer: str = HR_ORG) -> dict:
    return {
        "kind": "credit_refund",
        "expires_at": in_a_day(),
        "lines": [
            {"payee": payer, "amount": amount, "purpose": "退还多付款项", "reference": payer}
        ],
    }


def test_a_credit_goes_back_only_to_its_payer_once_and_the_account_closes_only_without_one(
    fund, account
):
    finance = county_finance(fund)
    made = finance.record_receivable(account, owed(amount="1000.00"), key())
    finance.record_inflow(account, credit("1500.00", "ICBC-R1", pays="oldest_first"), key())
    assert auditor(fund).list_receivables(account)["credits_fen"] == {HR_ORG: 50_000}

    with pytest.raises(ProposalRejected):  # to someone else than the payer holding it
        finance.propose_outflow(account, dict(refund("500.00"), lines=[
            {"payee": VILLAGE_ORG, "amount": "500.00", "purpose": "退还", "reference": HR_ORG}
        ]), key())  # fmt: skip
    with pytest.raises(ProposalRejected):  # more than is held
        finance.propose_outflow(account, refund("500.01"), key())
    pending = finance.propose_outflow(account, refund("300.00"), key())
    with pytest.raises(ProposalRejected):  # the pending refund claims its part of the credit
        finance.propose_outflow(account, refund("200.01"), key())
    # A new receivable of the payer is paid from the credit beyond what the refund claims.
    later = finance.record_receivable(account, owed(period="2026-04", amount="1000.00"), key())
    assert later["paid_fen"] == 20_000

    fund.sign_as(fund.county, "chen.sign", pending)()
    assert fund.sign_as(fund.hr, "zhou.sign", pending)()["status"] == "paid"
    after = balances(fund, account)
    assert after.get("cash_held", 0) == 0 and after.get("payer_credits", 0) == 0
    assert [e["payload"]["change_fen"] for e in events(fund, "payer_credit_changed")] == [
        50_000, -20_000, -30_000,
    ]  # fmt: skip
    (paid,) = events(fund, "outflow_paid")[-1:]
    assert paid["payload"]["lines"][0]["bank_account"] == PAYEES[HR_ORG][3]  # the payer's bank
    assert verify(fund)["ok"]

    # With the principal back, closing still waits for what is owed to be paid.
    back = finance.propose_outflow(account, {
        "kind": "return_principal", "expires_at": in_a_day(),
        "lines": [{"payee": COUNTY_ORG, "amount": "100000.00", "purpose": "返还本金"}],
    }, key())  # fmt: skip
    fund.sign_as(fund.county, "chen.sign", back)()
    fund.sign_as(fund.hr, "zhou.sign", back)()
    admin = fund.as_(["county_admin"], user="admin")
    with pytest.raises(TermsRejected):
        admin.close_joint_account(account, key())
    rest = credit("800.00", "ICBC-R2", pays=[later["receivable_id"]])
    finance.record_inflow(account, rest, key())
    assert admin.close_joint_account(account, key())["status"] == "closed"
    assert made["receivable_id"] != later["receivable_id"] and verify(fund)["ok"]


FULL_WIDTH = "６２１７００００１２３４５６７８"  # registry folds these to plain digits


@pytest.mark.parametrize(
    "number", [FULL_WIDTH, "6217-0000-1234-5678", "62170000 12345678", "1234567"]
)
def test_a_crafted_bank_account_changes_no_payee_and_pays_no_labourer(fund, account, number):
    """Bank details are checked by the directory's own rules wherever they come from: an event
    carrying a number registry would never publish (not 8 to 32 plain digits) leaves the known
    account in place, and a labourer's line carrying one is refused (nothing proposed) or, with
    full-width digits, written with plain ones as registry writes them."""
    fund.register_payees(fund.bank_event(HR_ORG, version=9, number=number))
    line = {"payee": HR_ORG, "amount": "10.00", "purpose": "车票", "reference": "b1"}
    proposal = county_finance(fund).propose_outflow(
        account, {"kind": "advance", "expires_at": in_a_day(), "lines": [line]}, key()
    )
    assert proposal["lines"][0]["bank_account"] == PAYEES[HR_ORG][3]
    labourer = {"payee": "lab-5325011990", "payee_kind": "labourer", "amount": "10.00",
                "purpose": "体检费报销", "bank_name": "中国农业银行个旧支行",
                "account_name": "李四", "bank_account": number}  # fmt: skip
    reimbursement = {"kind": "reimbursement", "expires_at": in_a_day(), "lines": [labourer]}
    if number == FULL_WIDTH:
        made = county_finance(fund).propose_outflow(account, reimbursement, key())
        assert made["lines"][0]["bank_account"] == "6217000012345678"
        return
    with pytest.raises(PayeeRejected):
        county_finance(fund).propose_outflow(account, reimbursement, key())
    assert len(auditor(fund).get_joint_account(account)["pending_outflows"]) == 1
