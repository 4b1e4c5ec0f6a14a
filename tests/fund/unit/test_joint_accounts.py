"""The pure rules of joint accounts and their outflows: what seals and signatories sign (exactly
the fields the contract package publishes), when terms are acceptable, when an account opens,
and when a signature counts."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from fund.domain import accounts as a
from fund.exceptions import (
    AccountNotOpen,
    InsufficientFunds,
    NotAParty,
    ProposalClosed,
    ProposalRejected,
    SealSignatureRejected,
    SignatureRejected,
    TermsRejected,
)
from fund_contract.signing import PROPOSAL_FIELDS, TERMS_FIELDS
from sanbao_common.crypto import (
    fingerprint,
    new_signing_key,
    public_key_text,
    sign,
    statement_bytes,
)

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
COUNTY_SEAL, HR_SEAL = new_signing_key(), new_signing_key()


def prepared(**changes) -> a.JointAccount:
    account = a.JointAccount(
        account_id="acct-1",
        agreement_ref="个旧人社劳务〔2026〕1号",
        county="532501",
        county_org_id="org-county",
        hr_org_id="org-hr",
        principal_fen=100_000_00,
        term_start=date(2026, 1, 1),
        term_end=date(2028, 12, 31),
        county_seal=fingerprint(COUNTY_SEAL),
        hr_seal=fingerprint(HR_SEAL),
        status=a.PREPARED,
    )
    return replace(account, **changes)


def opened() -> a.JointAccount:
    account = prepared()
    for org, seal in (("org-county", COUNTY_SEAL), ("org-hr", HR_SEAL)):
        signature = sign(seal, statement_bytes(account.terms()))
        account = a.add_seal_signature(account, org, public_key_text(seal), signature)
    return account


def signatory(org: str, user: str, limit_fen=None, revoked=False):
    key = new_signing_key()
    found = a.Signatory(fingerprint(key), org, user, public_key_text(key), limit_fen, revoked)
    return found, key


def proposal(kind="advance", amount_fen=500_00, reference="b1", available_fen=10**9):
    return a.new_proposal(
        opened(),
        "p-1",
        kind,
        [a.Line("李秀英", amount_fen, "路费", reference)],
        "user-proposer",
        "org-county",
        NOW + timedelta(days=1),
        NOW,
        available_fen,
    )


# -- what is signed ------------------------------------------------------------------------------


def test_the_terms_carry_exactly_the_contract_fields_and_an_amendment_when_amended():
    account = prepared()
    assert tuple(account.terms()) == TERMS_FIELDS
    assert account.terms()["purpose"] == "open_joint_account"
    amended = account.resealed("fp-county-2", "fp-hr-2")
    assert tuple(amended.terms()) == (*TERMS_FIELDS, "amendment")
    assert amended.terms()["amendment"] == 1
    assert amended.terms()["county_cooperative_seal"] == "fp-county-2"
    assert amended.resealed("fp-3", "fp-4").terms()["amendment"] == 2


def test_a_proposal_statement_carries_exactly_the_contract_fields():
    statement = proposal().statement()
    assert tuple(statement) == PROPOSAL_FIELDS
    assert statement["purpose"] == "approve_outflow"
    assert statement["amount_fen"] == 500_00
    assert statement["lines"] == [
        {"payee": "李秀英", "amount_fen": 500_00, "purpose": "路费", "reference": "b1"}
    ]
    assert statement["expires_at"] == (NOW + timedelta(days=1)).isoformat()


# -- terms and seals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"hr_org_id": "org-county"},
        {"principal_fen": 0},
        {"principal_fen": 100.0},
        {"term_end": date(2026, 1, 1)},
        {"hr_seal": fingerprint(COUNTY_SEAL)},
        {"agreement_ref": "  "},
    ],
)
def test_terms_are_refused_unless_two_parties_a_principal_a_term_two_seals_and_a_reference(
    changes,
):
    a.check_terms(prepared())
    with pytest.raises(TermsRejected):
        a.check_terms(prepared(**changes))


def test_the_account_opens_with_both_parties_seals_over_its_exact_terms():
    account = prepared()
    terms = statement_bytes(account.terms())
    with pytest.raises(NotAParty):
        a.add_seal_signature(
            account, "org-x", public_key_text(COUNTY_SEAL), sign(COUNTY_SEAL, terms)
        )
    with pytest.raises(SealSignatureRejected):  # not the seal the terms name for the county
        a.add_seal_signature(account, "org-county", public_key_text(HR_SEAL), sign(HR_SEAL, terms))
    with pytest.raises(SealSignatureRejected):  # over other terms
        other = statement_bytes(dict(account.terms(), principal_fen=1))
        a.add_seal_signature(
            account, "org-county", public_key_text(COUNTY_SEAL), sign(COUNTY_SEAL, other)
        )
    half = a.add_seal_signature(
        account, "org-county", public_key_text(COUNTY_SEAL), sign(COUNTY_SEAL, terms)
    )
    assert (half.status, half.version) == (a.PREPARED, 2)
    with pytest.raises(AccountNotOpen):
        a.check_open(half)
    both = a.add_seal_signature(half, "org-hr", public_key_text(HR_SEAL), sign(HR_SEAL, terms))
    assert (both.status, both.version) == (a.OPEN, 3)
    assert set(both.seal_signatures) == {"org-county", "org-hr"}
    with pytest.raises(AccountNotOpen):  # signed by both already
        a.add_seal_signature(both, "org-hr", public_key_text(HR_SEAL), sign(HR_SEAL, terms))


# -- proposals and signatures --------------------------------------------------------------------


def test_a_proposal_is_refused_unless_it_fits_the_account_and_the_cash():
    assert proposal().draws_on == "cash_principal"
    with pytest.raises(ProposalRejected):
        proposal(kind="gift")
    with pytest.raises(ProposalRejected):
        proposal(amount_fen=0)
    with pytest.raises(ProposalRejected):  # an advance names its batch or labourer
        proposal(reference=None)
    with pytest.raises(InsufficientFunds):
        proposal(amount_fen=500_01, available_fen=500_00)
    assert proposal(kind="write_off", available_fen=0).draws_on is None  # moves no cash
    with pytest.raises(ProposalRejected):  # expires in the past
        a.new_proposal(
            opened(), "p", "advance", [a.Line("x", 1, "y", "b1")], "u", "org-county", NOW, NOW, 10
        )
    with pytest.raises(NotAParty):
        a.new_proposal(
            opened(), "p", "advance", [a.Line("x", 1, "y", "b1")], "u", "org-x", NOW, NOW, 10
        )


def test_a_signature_counts_only_from_an_unrevoked_key_of_its_own_user_within_its_limit():
    account, pending = opened(), proposal()
    statement = statement_bytes(pending.statement())

    def add(found, key, user=None, at=NOW, to=pending):
        user = user or found.user_id
        return a.add_signature(account, to, user, found, sign(key, statement), at)

    county, county_key = signatory("org-county", "user-county")
    with pytest.raises(SignatureRejected, match="proposer"):
        add(*signatory("org-county", "user-proposer"))
    with pytest.raises(SignatureRejected, match="revoked"):
        add(*signatory("org-county", "user-county", revoked=True))
    with pytest.raises(SignatureRejected, match="revoked"):
        a.add_signature(account, pending, "user-county", None, "sig", NOW)
    with pytest.raises(SignatureRejected, match="own key"):
        add(county, county_key, user="user-else")
    with pytest.raises(SignatureRejected, match="limit_fen=100"):
        add(*signatory("org-county", "user-county", limit_fen=100))
    with pytest.raises(SignatureRejected, match="exact proposal"):
        a.add_signature(account, pending, "user-county", county, sign(county_key, b"{}"), NOW)
    with pytest.raises(ProposalClosed):
        add(county, county_key, at=pending.expires_at)
    once = add(county, county_key)
    assert once.signed_by() == {"org-county"} and once.version == 2
    assert once.waiting_for(account) == ["org-hr"] and not a.fully_signed(account, once)
    with pytest.raises(SignatureRejected, match="already signed"):
        add(*signatory("org-county", "user-county-2"), to=once)
    twice = add(*signatory("org-hr", "user-hr"), to=once)
    assert a.fully_signed(account, twice) and twice.waiting_for(account) == []


def test_available_cash_is_the_balance_less_what_pending_proposals_reserve():
    assert a.available_cash(
        {"cash_principal": 900, "cash_income": 50}, {"cash_principal": 400}
    ) == {
        "cash_principal": 500,
        "cash_income": 50,
    }
    assert a.available_cash({}, {}) == {"cash_principal": 0, "cash_income": 0}
