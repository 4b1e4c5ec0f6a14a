"""Seals from the attacker's side: whatever one person can sign with keys they made themselves,
no joint account opens from a sealed agreement and no key signs for an organisation without a
seal a registrar confirmed; a statement the seal signed for another purpose certifies no one; a
changed seal freezes outflows until both parties' current seals seal an amendment."""

from types import SimpleNamespace

import pytest

from fund.exceptions import AccountFrozen, AccountNotFound, SealSignatureRejected, SignatureRejected
from fund_support import COUNTY, COUNTY_ORG, HR_ORG, Party, in_a_day, key
from sanbao_common.crypto import fingerprint, new_signing_key, public_key_text, sign
from sanbao_common.crypto import statement_bytes as canonical
from sanbao_common.seals import SealNotEffective


def gauge(fund, name, **labels):
    """The fund's gauge as a scrape would show it, refreshed from the books."""
    from prometheus_client import REGISTRY

    fund.as_(["auditor"], user="audit").refresh_gauges()
    return REGISTRY.get_sample_value(name, {**labels, "agreement": "个旧人社劳务〔2026〕1号"})


def seal_status(fund, seal_fingerprint):
    from sqlalchemy import select

    from fund.adapters.tables import seals

    with fund.db.reader() as uow:
        return uow.connection.execute(
            select(seals.c.status).where(seals.c.fingerprint == seal_fingerprint)
        ).scalar()


def revoked_event(fund, org_id, seal_fingerprint, *, addressed_to=None, forged=False):
    """registry's `seal_revoked` as the registrar signed it, or re-addressed to another seal, or
    signed by a key of the sender's own."""
    statement, signature = fund.registrar.revocation(org_id, seal_fingerprint)
    if forged:
        signature = sign(new_signing_key(), canonical(statement))
    return SimpleNamespace(
        type="seal_revoked",
        actor="user:someone",
        correlation_id="corr",
        payload={
            "org_id": org_id,
            "fingerprint": addressed_to or seal_fingerprint,
            "revocation": statement,
            "revocation_signature": signature,
        },
    )


def admin(fund):
    return fund.as_(["county_admin"], user="admin")


def no_account(fund, terms) -> bool:
    try:
        admin(fund).get_joint_account(terms["agreement_id"])
    except AccountNotFound:
        return True
    return False


def funded(fund) -> str:
    account = fund.open_account()
    fund.certify(fund.county, "chen.sign")
    fund.certify(fund.hr, "zhou.sign")
    fund.as_(["finance"], user="li.fin").record_inflow(
        account, {"kind": "principal_deposit", "amount": "100000.00", "bank_ref": "B-1"}, key()
    )
    return account


def advance(fund, account, amount="900.00"):
    return fund.as_(["finance"], user="li.fin").propose_outflow(
        account,
        {
            "kind": "advance",
            "expires_at": in_a_day(),
            "lines": [{"payee": HR_ORG, "amount": amount, "purpose": "车票", "reference": "b1"}],
        },
        key(),
    )


def test_no_account_opens_on_seals_no_registrar_confirmed(fund):
    # The county admin made both "seals" and signs a confirmation with a key of their own: the
    # fund checks it against the pinned registrar keys and keeps nothing.
    own_registrar = new_signing_key()
    fund.relay(
        fund.seal_event(fund.county, key=own_registrar), fund.seal_event(fund.hr, key=own_registrar)
    )
    terms = fund.terms("90000.00")
    with pytest.raises(SealNotEffective):
        fund.seal_agreement(terms)
    assert no_account(fund, terms)
    # Nor do fingerprints the drafter typed in, signed by keys the drafter holds, stand for
    # confirmed seals.
    typed = dict(
        terms,
        county_cooperative_seal=fund.county.seal_fingerprint,
        hr_company_seal=fund.hr.seal_fingerprint,
    )
    with pytest.raises(SealNotEffective):
        fund.seal_agreement(typed)
    assert no_account(fund, typed)


def test_a_confirmation_of_one_seal_cannot_be_replayed_for_another(fund):
    confirmed = fund.seal_event(fund.hr)
    swapped = new_signing_key()
    forged = SimpleNamespace(
        **dict(
            confirmed.__dict__,
            payload=dict(
                confirmed.payload,
                fingerprint=fingerprint(swapped),
                public_key=public_key_text(swapped),
            ),
        )
    )
    fund.relay(fund.seal_event(fund.county), forged)
    terms = fund.terms()
    with pytest.raises(SealNotEffective):
        fund.seal_agreement(terms)
    # Naming the swapped key, signed by it, neither.
    fund.hr.seal = swapped
    with pytest.raises(SealNotEffective):
        fund.seal_agreement(fund.terms())
    assert no_account(fund, terms)


def test_the_parties_must_be_the_county_cooperative_and_an_hr_company(fund):
    # Two cooperatives the admin controls cannot co-manage a fund with each other.
    fake_hr = Party(HR_ORG, "county_coop")
    fund.hr = fake_hr
    fund.relay(fund.seal_event(fund.county), fund.seal_event(fake_hr))
    terms = fund.terms()
    with pytest.raises(SealNotEffective, match="must be a hr_company"):
        fund.seal_agreement(terms)
    assert no_account(fund, terms)


def test_the_terms_name_the_confirmed_seals_and_opening_needs_both(fund):
    account = fund.open_account()
    opened = admin(fund).get_joint_account(account)
    assert opened["county_cooperative_seal"] == fund.county.seal_fingerprint
    assert opened["hr_company_seal"] == fund.hr.seal_fingerprint
    assert opened["seals_signed"] == sorted([COUNTY_ORG, HR_ORG])
    other = fund.terms(hr_company_seal=fingerprint(new_signing_key()))
    with pytest.raises(SealNotEffective, match="another seal"):
        fund.seal_agreement(other)
    assert no_account(fund, other)
    one = fund.terms()
    with pytest.raises(SealSignatureRejected):  # the county's seal alone
        fund.seal_agreement(one, {COUNTY_ORG: sign(fund.county.seal, canonical(one))})
    assert no_account(fund, one)


def test_a_statement_the_seal_signed_for_another_purpose_certifies_no_one(fund):
    account = funded(fund)
    terms = admin(fund).get_joint_account(account)["terms"]
    # The HR seal's signature over the account's terms is public (agreement_sealed,
    # joint_account_opened): an attacker presents it as the "certificate" of a key of their own.
    thief = new_signing_key()
    fund.enrol(fund.hr, "thief", thief, terms, sign(fund.hr.seal, canonical(terms)))
    proposal = advance(fund, account)
    fund.sign_as(fund.county, "chen.sign", proposal)()
    with pytest.raises(SignatureRejected, match="not certified for this signatory"):
        fund.sign_as(fund.hr, "thief", proposal)()


@pytest.mark.parametrize(
    "field, value",
    [("user_id", "zhou.sign"), ("limit_fen", 10_000_000), ("organisation_id", COUNTY_ORG)],
)
def test_every_field_of_a_certificate_binds_the_signatory(fund, field, value):
    account = funded(fund)
    # A real certificate the HR seal issued for someone else (or with another limit) is
    # presented for the attacker's own enrolment.
    thief = new_signing_key()
    certificate = {
        "purpose": "certify",
        "organisation_id": HR_ORG,
        "county": COUNTY,
        "user_id": "thief",
        "public_key": public_key_text(thief),
        "limit_fen": 100,
        "issued_at": "2026-11-30T00:00:00+00:00",
    }
    certificate[field] = value
    fund.enrol(fund.hr, "thief", thief, certificate, sign(fund.hr.seal, canonical(certificate)))
    proposal = advance(fund, account)
    fund.sign_as(fund.county, "chen.sign", proposal)()
    with pytest.raises(SignatureRejected, match="not certified for this signatory"):
        fund.sign_as(fund.hr, "thief", proposal)()


def test_a_changed_seal_freezes_outflows_until_both_parties_reseal(fund):
    account = funded(fund)
    waiting = advance(fund, account)
    fund.sign_as(fund.county, "chen.sign", waiting)()
    fund.new_seal(fund.hr)  # the registrar replaced the HR company's (lost) seal
    view = admin(fund).get_joint_account(account)
    assert view["frozen_for"] == [HR_ORG]
    assert gauge(fund, "sanbao_fund_account_frozen", account=account) == 1
    with pytest.raises(AccountFrozen):
        advance(fund, account)
    with pytest.raises(AccountFrozen):  # nor does a proposal signed before the change get paid
        fund.sign_as(fund.hr, "zhou.sign", waiting)()
    # Money still comes in.
    fund.as_(["finance"], user="li.fin").record_inflow(
        account, {"kind": "policy_subsidy", "amount": "10.00", "bank_ref": "B-2"}, key()
    )
    # Re-sealing: an amendment of the agreement naming both parties' current seals, sealed by
    # both of them. One of them signing with a seal not its own does not do it.
    terms = fund.amendment(fund.agreements[account])
    assert terms["version"] == 2 and terms["hr_company_seal"] == fund.hr.seal_fingerprint
    for party in (fund.county, fund.hr):
        stale = sign(fund.hr.seal if party is fund.county else fund.county.seal, canonical(terms))
        signatures = {o.org_id: sign(o.seal, canonical(terms)) for o in (fund.county, fund.hr)}
        with pytest.raises(SealSignatureRejected):
            fund.seal_agreement(terms, dict(signatures, **{party.org_id: stale}))
        assert admin(fund).get_joint_account(account)["frozen_for"] == [HR_ORG]
    fund.reseal(account)
    view = admin(fund).get_joint_account(account)
    assert view["frozen_for"] == [] and view["agreement_version"] == 2
    assert view["terms"] == terms and view["hr_company_seal"] == fund.hr.seal_fingerprint
    assert gauge(fund, "sanbao_fund_account_frozen", account=account) == 0
    # The old seal certified zhou.sign: that certificate no longer counts; a new one does.
    fresh = advance(fund, account)
    fund.sign_as(fund.county, "chen.sign", fresh)()
    with pytest.raises(SignatureRejected):
        fund.sign_as(fund.hr, "zhou.sign", fresh)()
    fund.certify(fund.hr, "zhou.sign")
    assert fund.sign_as(fund.hr, "zhou.sign", fresh)()["status"] == "paid"
    assert fund.as_(["auditor"], user="audit").verify_books()["ok"]


def test_a_revoked_seal_freezes_the_account(fund):
    account = funded(fund)
    fund.relay(revoked_event(fund, HR_ORG, fund.hr.seal_fingerprint))
    with pytest.raises(AccountFrozen):
        advance(fund, account)


def test_a_forged_revocation_changes_nothing(fund):
    account = funded(fund)
    fund.relay(revoked_event(fund, HR_ORG, fund.hr.seal_fingerprint, forged=True))
    assert advance(fund, account)["status"] == "pending"


def test_verify_names_an_account_opened_under_unconfirmed_seals(fund):
    account = funded(fund)
    # A copy of the database edited so the fund forgets the registrar's confirmations, as for
    # an account opened before they were required.
    from sqlalchemy import delete

    from fund.adapters.tables import seals

    with fund.db.unit_of_work() as uow:
        uow.connection.execute(delete(seals))
        uow.commit()
    report = fund.as_(["auditor"], user="audit").verify_books()
    assert not report["ok"]
    assert any(account in p and "no registrar confirmed" in p for p in report["problems"])


# -- events out of order, replayed or re-addressed: a seal's state only moves forward -----------


def test_a_replayed_confirmation_cannot_bring_a_replaced_seal_back(fund):
    account = funded(fund)
    old = fund.seal_event(fund.hr)  # the genuine confirmation of the lost seal, kept by anyone
    fund.new_seal(fund.hr)
    fund.relay(old)  # published again (a broker administrator, a registry database writer)
    assert seal_status(fund, old.payload["fingerprint"]) == "revoked"
    assert seal_status(fund, fund.hr.seal_fingerprint) == "effective"
    with pytest.raises(AccountFrozen):
        advance(fund, account)


def test_a_revocation_that_arrives_before_its_confirmation_still_holds(fund):
    confirmation = fund.seal_event(fund.hr)
    fund.relay(revoked_event(fund, HR_ORG, fund.hr.seal_fingerprint))
    fund.relay(fund.seal_event(fund.county), confirmation)
    assert seal_status(fund, fund.hr.seal_fingerprint) == "revoked"
    terms = fund.terms()
    with pytest.raises(SealNotEffective):
        fund.seal_agreement(terms)
    assert no_account(fund, terms)


def test_a_genuine_revocation_cannot_be_readdressed_to_another_seal(fund):
    account = funded(fund)
    squatter = new_signing_key()
    fund.relay(
        revoked_event(
            fund, "org-squatter", fingerprint(squatter), addressed_to=fund.county.seal_fingerprint
        )
    )
    assert seal_status(fund, fund.county.seal_fingerprint) == "effective"
    assert advance(fund, account)["status"] == "pending"


def test_a_key_revoked_before_its_enrolment_arrives_never_counts(fund):
    account = funded(fund)
    personal = new_signing_key()
    certificate = {
        "purpose": "certify",
        "organisation_id": HR_ORG,
        "county": COUNTY,
        "user_id": "zhou2.sign",
        "public_key": public_key_text(personal),
        "limit_fen": None,
        "issued_at": "2026-11-30T00:00:00+00:00",
    }
    from fund.events import apply_signing_keys

    revocation = SimpleNamespace(
        type="signing_key_revoked",
        actor="user:registry",
        correlation_id="corr",
        payload={
            "fingerprint": fingerprint(personal),
            "org_id": HR_ORG,
            "user_id": "zhou2.sign",
            "public_key": public_key_text(personal),
            "limit_fen": None,
        },
    )
    with fund.db.unit_of_work() as uow:  # the two events travel on queues of their own
        apply_signing_keys(uow, [revocation])
        uow.commit()
    fund.enrol(
        fund.hr,
        "zhou2.sign",
        personal,
        certificate,
        sign(fund.hr.seal, canonical(certificate)),
    )
    proposal = advance(fund, account)
    fund.sign_as(fund.county, "chen.sign", proposal)()
    with pytest.raises(SignatureRejected, match="revoked"):
        fund.sign_as(fund.hr, "zhou2.sign", proposal)()


def test_a_signature_certified_by_the_replaced_seal_does_not_complete_a_payment(fund):
    account = funded(fund)
    proposal = advance(fund, account)
    fund.sign_as(fund.hr, "zhou.sign", proposal)()  # certified by the seal about to be replaced
    fund.new_seal(fund.hr)  # and registry's revocation of zhou's key has not arrived yet
    fund.reseal(account)
    with pytest.raises(SignatureRejected, match="not certified for this signatory"):
        fund.sign_as(fund.county, "chen.sign", proposal)()
