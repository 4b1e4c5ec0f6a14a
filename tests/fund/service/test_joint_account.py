"""The joint account's life through FundService on a real database: opened from a cooperation
agreement both seals signed, principal in, advances out under two signatures, vouchers,
write-offs and the shortfall, the principal back, closed; and every way a payment must not
happen."""

import pytest

from fund.exceptions import (
    AccountNotFound,
    AccountNotOpen,
    AdvanceRejected,
    BankReferenceUsed,
    InsufficientFunds,
    NotAParty,
    ProposalClosed,
    ProposalRejected,
    ReturnBlocked,
    SealSignatureRejected,
    SignatureRejected,
)
from fund_contract.signing import PROPOSAL_FIELDS as PROPOSAL
from fund_support import COUNTY_ORG, HR_ORG, VILLAGE_ORG, in_a_day, key
from sanbao_common.access import Forbidden
from sanbao_common.crypto import new_signing_key, sign, statement_bytes


@pytest.fixture
def account(fund):
    account_id = fund.open_account()
    fund.certify(fund.county, "chen.sign")
    fund.certify(fund.hr, "zhou.sign")
    fund.as_(["finance"], user="li.fin").record_inflow(
        account_id,
        {"kind": "principal_deposit", "amount": "100000.00", "bank_ref": "ICBC-0001"},
        key(),
    )
    return account_id


def advance(fund, account_id, amount="3000.00", reference="batch-2026-001", by="li.fin"):
    return fund.as_(["finance"], user=by).propose_outflow(
        account_id,
        {
            "kind": "advance",
            "expires_at": in_a_day(),
            "lines": [
                {"payee": HR_ORG, "amount": amount, "purpose": "车票", "reference": reference}
            ],
        },
        key(),
    )


def test_the_account_opens_only_when_both_seals_sign_the_exact_terms(fund):
    fund.confirm_seals()
    admin = fund.as_(["county_admin"], user="admin")
    terms = fund.terms("50000", reference="协议1", term_end="2027-01-01")
    account_id = terms["agreement_id"]
    county_signature = sign(fund.county.seal, statement_bytes(terms))
    impostor = new_signing_key()
    with pytest.raises(SealSignatureRejected):  # a key that is not the fingerprint in the terms
        fund.seal_agreement(
            terms,
            {
                "org-county-coop": county_signature,
                "org-hr-company": sign(impostor, statement_bytes(terms)),
            },
        )
    altered = dict(terms, principal_fen=5)
    with pytest.raises(SealSignatureRejected):  # the right seal, over other terms
        fund.seal_agreement(
            terms,
            {
                "org-county-coop": county_signature,
                "org-hr-company": sign(fund.hr.seal, statement_bytes(altered)),
            },
        )
    with pytest.raises(SealSignatureRejected):  # one seal only: the account does not open
        fund.seal_agreement(terms, {"org-county-coop": county_signature})
    with pytest.raises(AccountNotFound):
        fund.as_(["finance"]).record_inflow(
            account_id,
            {"kind": "principal_deposit", "amount": "1", "bank_ref": "x"},
            key(),
        )
    two = fund.seal_agreement(terms)
    assert two.result == "opened" and two.account_id == account_id
    view = admin.get_joint_account(account_id)
    assert view["status"] == "open" and view["seals_signed"] == [
        "org-county-coop",
        "org-hr-company",
    ]
    assert view["terms"] == terms and view["principal_fen"] == 5_000_000
    assert (view["bank_name"], view["bank_account"]) == (terms["bank_name"], terms["bank_account"])


def test_a_bank_credit_is_recorded_once_whoever_records_it(fund, account):
    hr_finance = fund.as_(["finance"], fund.hr, user="hr.fin")
    with pytest.raises(BankReferenceUsed):
        hr_finance.record_inflow(
            account, {"kind": "principal_deposit", "amount": "1.00", "bank_ref": "ICBC-0001"}, key()
        )
    view = fund.as_(["auditor"]).get_joint_account(account)
    assert view["balances_fen"]["cash_principal"] == 10_000_000


def test_an_outsider_records_nothing(fund, account):
    from fund_support import Party

    other = Party("org-other-company", "hr_company")
    with pytest.raises(NotAParty):
        fund.as_(["finance"], other).record_inflow(
            account, {"kind": "policy_subsidy", "amount": "5.00", "bank_ref": "x-1"}, key()
        )
    with pytest.raises(Forbidden):  # a signatory cannot record money in
        fund.as_(["signatory"]).record_inflow(
            account, {"kind": "policy_subsidy", "amount": "5.00", "bank_ref": "x-2"}, key()
        )


def test_an_advance_needs_both_organisations_and_not_the_proposer(fund, account):
    fund.certify(fund.county, "li.fin")  # the proposer is also a signatory
    proposal = advance(fund, account)
    assert proposal["status"] == "pending"
    with pytest.raises(SignatureRejected, match="proposer"):
        fund.sign_as(fund.county, "li.fin", proposal)()
    fund.certify(fund.county, "wu.sign")
    fund.sign_as(fund.county, "chen.sign", proposal)()
    with pytest.raises(SignatureRejected, match="already signed"):
        fund.sign_as(fund.county, "wu.sign", proposal)()
    view = fund.as_(["auditor"]).get_joint_account(account)
    (pending,) = view["pending_outflows"]
    assert pending["signed_by"] == ["org-county-coop"] and pending["waiting_for"] == [
        "org-hr-company"
    ]
    assert view["available_fen"]["cash_principal"] == 10_000_000 - 300_000  # reserved
    paid = fund.sign_as(fund.hr, "zhou.sign", proposal)()
    assert paid["status"] == "paid"
    view = fund.as_(["auditor"]).get_joint_account(account)
    assert view["balances_fen"]["advances_outstanding"] == 300_000
    assert view["balances_fen"]["cash_principal"] == 9_700_000 and view["pending_outflows"] == []


def test_signatories_see_who_proposed_a_payment(fund, account):
    proposal = advance(fund, account, by="li.fin")
    origin = {"proposed_by": "li.fin", "proposer_org": COUNTY_ORG, "request": None}
    assert {k: proposal[k] for k in origin} == origin
    shown = fund.as_(["signatory"], fund.hr, user="zhou.sign").get_outflow(proposal["proposal_id"])
    assert {k: shown[k] for k in origin} == origin
    (pending,) = fund.as_(["auditor"]).get_joint_account(account)["pending_outflows"]
    assert {k: pending[k] for k in origin} == origin


def test_a_signature_over_anything_else_does_not_count(fund, account):
    proposal = advance(fund, account)
    other = advance(fund, account, amount="1.00")
    personal = fund.county.signatories["chen.sign"]
    statement = {k: other[k] for k in PROPOSAL}
    from sanbao_common.crypto import fingerprint

    worker = fund.as_(["signatory"], user="chen.sign")
    with pytest.raises(SignatureRejected, match="exact proposal"):
        worker.sign_outflow(
            proposal["proposal_id"],
            fingerprint(personal),
            sign(personal, statement_bytes(statement)),
            key(),
        )


def test_limits_revocations_and_other_peoples_keys(fund, account):
    small = fund.certify(fund.hr, "small.sign", limit_fen=100_000)
    proposal = advance(fund, account)
    with pytest.raises(SignatureRejected, match="limit"):
        fund.sign_as(fund.hr, "small.sign", proposal)()
    fund.revoke(small)
    small_one = advance(fund, account, amount="10.00")
    with pytest.raises(SignatureRejected, match="revoked"):
        fund.sign_as(fund.hr, "small.sign", small_one)()
    # Signing with someone else's key: the token's user must be the key's.
    personal = fund.hr.signatories["zhou.sign"]
    from sanbao_common.crypto import fingerprint

    statement = {k: proposal[k] for k in PROPOSAL}
    with pytest.raises(SignatureRejected, match="own key"):
        fund.as_(["signatory"], fund.hr, user="thief").sign_outflow(
            proposal["proposal_id"],
            fingerprint(personal),
            sign(personal, statement_bytes(statement)),
            key(),
        )


def test_a_key_certified_by_a_seal_that_is_not_the_accounts_does_not_count(fund, account):
    from fund_support import Party

    rogue = Party("org-hr-company", "hr_company")  # same organisation id, another seal
    fund.certify(rogue, "rogue.sign")
    proposal = advance(fund, account)
    with pytest.raises(
        SignatureRejected, match="not certified for this signatory by this account's seal"
    ):
        fund.sign_as(rogue, "rogue.sign", proposal)()


def test_proposals_cannot_together_promise_more_than_there_is(fund, account):
    advance(fund, account, amount="60000.00")
    with pytest.raises(InsufficientFunds):
        advance(fund, account, amount="40000.01")
    advance(fund, account, amount="40000.00", reference="batch-2")


def test_a_rejection_frees_the_reservation_and_ends_the_proposal(fund, account):
    proposal = advance(fund, account, amount="100000.00")
    with pytest.raises(InsufficientFunds):
        advance(fund, account, amount="0.01")
    rejected = fund.as_(["signatory"], fund.hr, user="zhou.sign").reject_outflow(
        proposal["proposal_id"], "票据不全", key()
    )
    assert rejected["status"] == "rejected" and rejected["reason"] == "票据不全"
    with pytest.raises(ProposalClosed):
        fund.sign_as(fund.county, "chen.sign", proposal)()
    advance(fund, account, amount="0.01")


def test_vouchers_write_offs_the_shortfall_and_the_return_of_the_principal(fund, account):
    first = advance(fund, account, amount="3000.00", reference="batch-1")
    for party, user in ((fund.county, "chen.sign"), (fund.hr, "zhou.sign")):
        fund.sign_as(party, user, first)()
    finance = fund.as_(["finance"], user="li.fin")
    settled = finance.settle_advance(
        account,
        "batch-1",
        [
            {"number": "V-001", "date": "2026-03-01", "amount": "1800.00", "kind": "transport"},
            {"number": "V-002", "date": "2026-03-01", "amount": "700.00", "kind": "meals"},
        ],
        key(),
    )
    assert settled["still_outstanding_fen"] == 50_000
    with pytest.raises(AdvanceRejected, match="once"):
        finance.settle_advance(
            account,
            "batch-1",
            [{"number": "V-001", "date": "2026-03-02", "amount": "1.00", "kind": "other"}],
            key(),
        )
    with pytest.raises(AdvanceRejected):
        finance.settle_advance(
            account,
            "batch-1",
            [{"number": "V-003", "date": "2026-03-02", "amount": "500.01", "kind": "other"}],
            key(),
        )
    returning = {
        "kind": "return_principal",
        "expires_at": in_a_day(),
        "lines": [{"payee": COUNTY_ORG, "amount": "100000.00", "purpose": "返还本金"}],
    }
    with pytest.raises(ReturnBlocked, match="advances are still outstanding"):
        finance.propose_outflow(account, returning, key())
    write_off = finance.propose_outflow(
        account,
        {
            "kind": "write_off",
            "expires_at": in_a_day(),
            "lines": [
                {"payee": "-", "amount": "500.00", "purpose": "无法追回", "reference": "batch-1"}
            ],
        },
        key(),
    )
    for party, user in ((fund.county, "chen.sign"), (fund.hr, "zhou.sign")):
        fund.sign_as(party, user, write_off)()
    balances = fund.as_(["auditor"]).get_joint_account(account)["balances_fen"]
    # Principal spent on expenses and given up is owed back by the HR company.
    assert balances["shortfall_receivable"] == 300_000 and balances["advances_outstanding"] == 0
    assert balances["cash_principal"] == 9_700_000 and balances["expenses"] == 250_000
    with pytest.raises(ReturnBlocked, match="shortfall"):
        finance.propose_outflow(account, returning, key())
    hr_finance = fund.as_(["finance"], fund.hr, user="hr.fin")
    with pytest.raises(ProposalRejected, match="more than the shortfall"):
        hr_finance.record_inflow(
            account,
            {"kind": "shortfall_deposit", "amount": "3000.01", "bank_ref": "ICBC-0099"},
            key(),
        )
    hr_finance.record_inflow(
        account, {"kind": "shortfall_deposit", "amount": "3000.00", "bank_ref": "ICBC-0100"}, key()
    )
    with pytest.raises(ReturnBlocked, match="whole principal"):
        finance.propose_outflow(
            account, dict(returning, lines=[dict(returning["lines"][0], amount="50000.00")]), key()
        )
    back = finance.propose_outflow(account, returning, key())
    for party, user in ((fund.county, "chen.sign"), (fund.hr, "zhou.sign")):
        fund.sign_as(party, user, back)()
    closed = fund.as_(["county_admin"], user="admin").close_joint_account(account, key())
    assert closed["status"] == "closed"
    assert closed["balances_fen"]["principal_returned"] == 10_000_000
    with pytest.raises(AccountNotOpen):
        advance(fund, account, amount="1.00")
    report = fund.as_(["auditor"]).verify_books()
    assert report["ok"], report


def test_income_is_distributed_only_from_cash_received(fund, account):
    hr_finance = fund.as_(["finance"], fund.hr, user="hr.fin")
    receivable = {
        "kind": "service_revenue",
        "period": "2026-03",
        "counterparty_id": HR_ORG,
        "counterparty_kind": "hr_company",
        "counterparty_name": "红河人力服务有限公司",
        "statement_ref": "ST-2026-03",
        "amount": "20000.00",
    }
    county_finance = fund.as_(["finance"], user="li.fin")
    county_finance.record_receivable(account, receivable, key())
    distribution = {
        "kind": "distribution",
        "expires_at": in_a_day(),
        "lines": [{"payee": VILLAGE_ORG, "amount": "1000.00", "purpose": "劳务经济收益金"}],
    }
    with pytest.raises(InsufficientFunds):  # the receivable is a claim, not cash
        hr_finance.propose_outflow(account, distribution, key())
    hr_finance.record_inflow(
        account,
        {
            "kind": "service_revenue",
            "amount": "20000.00",
            "bank_ref": "ICBC-0200",
            "pays": "oldest_first",
        },
        key(),
    )
    balances = fund.as_(["auditor"]).get_joint_account(account)["balances_fen"]
    assert balances["revenue_receivable"] == 0 and balances["cash_income"] == 2_000_000
    hr_finance.propose_outflow(account, distribution, key())


def test_metrics_show_what_each_account_can_spend_what_waits_and_how_far_the_chain_ran(
    fund, account
):
    from prometheus_client import REGISTRY

    def sample(name, **labels):
        fund.as_(["auditor"]).refresh_gauges()
        view = fund.as_(["auditor"]).get_joint_account(account)
        full = {"account": account, "agreement": view["agreement_ref"], **labels}
        return REGISTRY.get_sample_value(name, full)

    proposal = advance(fund, account, amount="3000.00")
    assert sample("sanbao_fund_available_fen", cash="cash_principal") == 10_000_000 - 300_000
    assert sample("sanbao_fund_pending_outflows") == 1
    assert 0 < sample("sanbao_fund_pending_outflow_expires_in_seconds") <= 24 * 3600
    # The deposit and the proposal are recorded after the last checkpoint (none yet).
    assert REGISTRY.get_sample_value("sanbao_fund_audit_records_since_checkpoint") > 0

    fund.sign_as(fund.county, "chen.sign", proposal)()
    fund.sign_as(fund.hr, "zhou.sign", proposal)()  # paid: a checkpoint is taken at once
    assert sample("sanbao_fund_pending_outflows") == 0
    assert sample("sanbao_fund_pending_outflow_expires_in_seconds") is None
    assert sample("sanbao_fund_advances_outstanding_fen") == 300_000
    assert sample("sanbao_fund_available_fen", cash="cash_principal") == 9_700_000
    assert REGISTRY.get_sample_value("sanbao_fund_audit_records_since_checkpoint") == 0
    assert 0 <= REGISTRY.get_sample_value("sanbao_fund_checkpoint_age_seconds") < 60
