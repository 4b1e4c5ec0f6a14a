"""The pure rules of joint accounts and their outflows: what seals and signatories sign (exactly
the fields the contract packages publish), which sealed terms can be an account's and what an
amendment may change, and when a signature counts."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from dispatch_contract.agreements import FIXED_FIELDS, PURPOSE, TERMS_FIELDS
from fund.domain import accounts as a
from fund.domain import agreements as g
from fund.exceptions import (
    AccountNotOpen,
    AgreementRefused,
    InsufficientFunds,
    NotAParty,
    ProposalClosed,
    ProposalRejected,
    SignatureRejected,
    TermsRejected,
)
from fund_contract.signing import PROPOSAL_FIELDS
from sanbao_common.crypto import (
    fingerprint,
    new_signing_key,
    public_key_text,
    sign,
    statement_bytes,
)

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
COUNTY_SEAL, HR_SEAL = new_signing_key(), new_signing_key()


def sealed_terms(**changes) -> dict:
    terms = {
        "purpose": PURPOSE,
        "agreement_id": "agr-1",
        "version": 1,
        "reference": "个旧人社劳务〔2026〕1号",
        "county": "532501",
        "county_cooperative": "org-county",
        "hr_company": "org-hr",
        "principal_fen": 100_000_00,
        "term_start": "2026-01-01",
        "term_end": "2028-12-31",
        "bank_name": "中国工商银行个旧支行",
        "bank_account": "2505030109024567891",
        "effective_from": "2026-01-01",
        "revenue": {"per_placement_fen": 300_00},
        "subsidies": {},
        "county_cooperative_seal": fingerprint(COUNTY_SEAL),
        "hr_company_seal": fingerprint(HR_SEAL),
    }
    return dict(terms, **changes)


def signatures(terms: dict) -> dict:
    message = statement_bytes(terms)
    return {"org-county": sign(COUNTY_SEAL, message), "org-hr": sign(HR_SEAL, message)}


def opened(**changes) -> a.JointAccount:
    terms = sealed_terms(**changes)
    keys = {"org-county": public_key_text(COUNTY_SEAL), "org-hr": public_key_text(HR_SEAL)}
    return g.account_from(terms, "532501", keys, signatures(terms))


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


def test_the_account_is_the_sealed_terms_exactly():
    account = opened()
    assert tuple(account.terms()) == TERMS_FIELDS and account.terms() == sealed_terms()
    assert (account.account_id, account.agreement_id, account.agreement_version) == (
        "agr-1",
        "agr-1",
        1,
    )
    assert (account.principal_fen, account.term_end) == (100_000_00, date(2028, 12, 31))
    assert account.bank_account == "2505030109024567891" and account.status == a.OPEN
    assert account.seal_of("org-hr") == fingerprint(HR_SEAL)
    assert g.unsigned_changes(account) == []
    assert g.unsigned_changes(replace(account, principal_fen=1, bank_name="x")) == [
        "bank_name",
        "principal_fen",
    ]


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
        {"hr_company": "org-county"},
        {"hr_company_seal": fingerprint(COUNTY_SEAL)},
        {"reference": "  "},
    ],
)
def test_terms_are_refused_unless_two_parties_two_seals_and_a_reference(changes):
    with pytest.raises((TermsRejected, AgreementRefused)):
        g.read_sealed(sealed_terms(**changes), {}, "532501")
        opened(**changes)


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"county": "532502"}, "another county"),
        ({"purpose": "open_joint_account"}, "not a cooperation agreement"),
        ({"principal_fen": 0}, "principal_fen"),
        ({"principal_fen": 100.0}, "principal_fen"),
        ({"principal_fen": True}, "principal_fen"),
        ({"version": 0}, "version"),
        ({"term_end": "2026-01-01"}, "ends after it starts"),
        ({"term_start": "2026-13-01"}, "term_start"),
        ({"bank_account": "1234567"}, "8 to 32 digits"),
        ({"bank_account": 25050301090245}, "8 to 32 digits"),
        ({"bank_name": ""}, "bank_name"),
        ({"agreement_id": "x" * 37}, "agreement_id"),
        ({"reference": "号" * 101}, "reference"),
    ],
)
def test_sealed_terms_are_read_only_in_the_contracts_exact_shape(changes, problem):
    terms = sealed_terms(**changes)
    with pytest.raises(AgreementRefused, match=problem):
        g.read_sealed(terms, signatures(terms), "532501")
    with pytest.raises(AgreementRefused, match="exactly"):
        g.read_sealed(dict(sealed_terms(), extra=1), {}, "532501")
    with pytest.raises(AgreementRefused, match="mapping"):
        g.read_sealed(sealed_terms(), ["sig"], "532501")


def test_only_the_parties_signatures_are_read_and_anything_but_text_is_none():
    terms = sealed_terms()
    given = dict(signatures(terms), **{"org-else": "x", "org-hr": 12})
    _, read = g.read_sealed(terms, given, "532501")
    assert read == {"org-county": signatures(terms)["org-county"], "org-hr": ""}


def test_an_amendment_changes_the_rules_and_seals_never_a_fixed_term():
    account = opened()
    later = sealed_terms(
        version=2,
        effective_from="2027-01-01",
        revenue={"per_month_fen": 50_00},
        hr_company_seal="fp-hr-2",
    )
    g.check_amendment(account, later)
    amended = g.amended(account, later, {"org-hr": "key-2"}, {"org-hr": "sig"})
    assert (amended.agreement_version, amended.version, amended.hr_seal) == (2, 2, "fp-hr-2")
    assert amended.terms() == later and amended.principal_fen == account.principal_fen
    assert g.unsigned_changes(amended) == []
    for field in FIXED_FIELDS:
        changed = dict(later, **{field: "changed"})
        with pytest.raises(AgreementRefused, match=field):
            g.check_amendment(account, changed)
    with pytest.raises(AgreementRefused, match="not open"):
        g.check_amendment(replace(account, status=a.CLOSED), later)
    with pytest.raises(AccountNotOpen):
        a.check_open(replace(account, status=a.CLOSED))


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
