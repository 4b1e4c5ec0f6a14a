"""Seals from the attacker's side: one person holding every account they can create (the county's
administrator, who drafts, relays signatures and can make any key they like) cannot put an
agreement in force for an HR company without that company's seal as a pinned registrar confirmed
it, signing those exact terms of that version. Dispatch verifies every seal event itself; a
forged, re-addressed or stale one changes nothing, and a seal no longer in effect signs nothing.
"""

from types import SimpleNamespace

import pytest

from dispatch.agreements.queries import agreement_for_orders
from dispatch.exceptions import NotAParty, SealSignatureRejected
from dispatch_support import COUNTY, COUNTY_ORG, HR_ORG, Party, key, today
from sanbao_common.access import OutOfScope
from sanbao_common.crypto import new_signing_key, public_key_text, sign, statement_bytes
from sanbao_common.seals import SealNotEffective, SealRecord, check_joint_account_seals


def in_force(dispatch, agreement_id) -> bool:
    with dispatch.db.reader() as uow:
        return agreement_for_orders(uow.connection, agreement_id, today())["sealed"]


def effective_seal(dispatch, org_id):
    from dispatch.agreements.repository import AgreementRepository

    with dispatch.db.reader() as uow:
        return AgreementRepository(uow.connection).seal_book.effective_seal(org_id)


def send(dispatch, agreement: dict, org_id: str, signature: str, version: int = 1):
    return dispatch.admin().seal_agreement(
        agreement["agreement_id"], version, org_id, signature, key()
    )


def squatter(org_id=HR_ORG, kind="hr_company") -> Party:
    """The administrator's own key, posing as `org_id`'s seal."""
    return Party(org_id, kind)


# -- seals dispatch will not take ---------------------------------------------------------------


def test_a_seal_confirmed_by_a_key_of_the_attackers_own_is_not_a_seal(dispatch):
    dispatch.confirm(dispatch.county)
    fake = squatter()
    own_registrar = new_signing_key()
    dispatch.relay(dispatch.seal_event(fake, key=own_registrar))
    assert effective_seal(dispatch, HR_ORG) is None
    with pytest.raises(SealNotEffective, match=HR_ORG):
        dispatch.admin().draft_agreement(dispatch.terms_input(), key())
    # With the company's real seal confirmed, the squatter's key still signs nothing for it.
    drafted = dispatch.draft()
    dispatch.relay(
        dispatch.seal_event(fake, key=own_registrar, replaces=dispatch.hr.seal_fingerprint)
    )
    assert effective_seal(dispatch, HR_ORG).fingerprint == dispatch.hr.seal_fingerprint
    dispatch.seal(drafted, dispatch.county)
    with pytest.raises(SealSignatureRejected):
        send(dispatch, drafted, HR_ORG, fake.sign(dispatch.terms_of(drafted, 1)))
    assert not in_force(dispatch, drafted["agreement_id"]) and dispatch.events() == []


def test_a_real_confirmation_readdressed_or_none_at_all_is_refused(dispatch):
    own_org = squatter("org-admins-own", "hr_company")
    confirmed = dispatch.seal_event(own_org)  # the registrar confirmed it: for its own org
    payload = confirmed.payload
    for changes in ({"org_id": HR_ORG}, {"org_kind": "county_coop"}):
        dispatch.relay(SimpleNamespace(**{**confirmed.__dict__, "payload": {**payload, **changes}}))
    swapped = dict(payload, public_key=public_key_text(new_signing_key()))  # fingerprint kept
    unconfirmed = dict(payload, org_id=HR_ORG, confirmation=None, confirmation_signature=None)
    shapeless = {k: v for k, v in payload.items() if k != "confirmation"}
    for forged in (swapped, unconfirmed, shapeless, "not an object"):
        dispatch.relay(SimpleNamespace(**{**confirmed.__dict__, "payload": forged}))
    assert effective_seal(dispatch, HR_ORG) is None
    assert effective_seal(dispatch, "org-admins-own") is None


def test_a_seal_the_registrar_confirmed_for_another_kind_cannot_be_the_hr_company(dispatch):
    dispatch.confirm(dispatch.county)
    wrong_kind = Party(HR_ORG, "county_coop")  # the registrar's slip, signed all the same
    dispatch.relay(dispatch.seal_event(wrong_kind))
    assert effective_seal(dispatch, HR_ORG).org_kind == "county_coop"
    with pytest.raises(SealNotEffective, match="must be a hr_company"):
        dispatch.admin().draft_agreement(dispatch.terms_input(), key())


def test_a_confirmation_cannot_displace_a_seal_it_does_not_name(dispatch):
    dispatch.confirm(dispatch.county, dispatch.hr)
    intruder = squatter()
    dispatch.relay(dispatch.seal_event(intruder))  # registrar-signed, but `replaces` is empty
    dispatch.relay(dispatch.seal_event(intruder, replaces=dispatch.county.seal_fingerprint))
    assert effective_seal(dispatch, HR_ORG).fingerprint == dispatch.hr.seal_fingerprint
    # An organisation with no seal yet cannot name another's as the one it replaces.
    newcomer = squatter("org-hr-new")
    dispatch.relay(dispatch.seal_event(newcomer, replaces=dispatch.county.seal_fingerprint))
    assert effective_seal(dispatch, COUNTY_ORG).fingerprint == dispatch.county.seal_fingerprint
    assert effective_seal(dispatch, "org-hr-new") is None


# -- signatures that do not count ---------------------------------------------------------------


def test_only_the_named_seals_signatures_over_these_exact_terms_count(dispatch):
    drafted = dispatch.draft()
    terms = dispatch.terms_of(drafted, 1)
    other = dispatch.terms_of(dispatch.draft(principal="9000000.00"), 1)
    altered = dict(terms, principal_fen=terms["principal_fen"] * 10)
    forged = {
        "the county's seal for the HR company": dispatch.county.sign(terms),
        "the HR seal over another agreement": dispatch.hr.sign(other),
        "the HR seal over terms altered after signing": dispatch.hr.sign(altered),
        "the HR seal over the terms without their seals": dispatch.hr.sign(
            {k: v for k, v in terms.items() if not k.endswith("_seal")}
        ),
        "no signature at all": "AAAA",
        "not even base64": "签名",
    }
    for signature in forged.values():
        with pytest.raises(SealSignatureRejected):
            send(dispatch, drafted, HR_ORG, signature)
    assert dispatch.get(drafted["agreement_id"])["versions"][0]["signed_by"] == []
    assert dispatch.events() == []


def test_a_version_1_signature_does_not_seal_an_amendment(dispatch):
    drafted = dispatch.draft()
    v1_signatures = {
        p.org_id: p.sign(dispatch.terms_of(drafted, 1)) for p in (dispatch.county, dispatch.hr)
    }
    for org_id, signature in v1_signatures.items():
        send(dispatch, drafted, org_id, signature)
    amended = dispatch.amend(drafted["agreement_id"])
    for org_id, signature in v1_signatures.items():
        with pytest.raises(SealSignatureRejected):
            send(dispatch, amended, org_id, signature, version=2)
    assert [e["version"] for e in dispatch.events("agreement_sealed")] == [1]


def test_a_signature_cannot_follow_terms_redrafted_after_it_was_given(dispatch):
    """The HR company sealed a draft; the administrator withdraws it and drafts richer terms:
    the company's signature does not carry over to them."""
    drafted = dispatch.draft()
    hr_signature = dispatch.hr.sign(dispatch.terms_of(drafted, 1))
    send(dispatch, drafted, HR_ORG, hr_signature)
    dispatch.admin().withdraw_agreement_draft(drafted["agreement_id"], 1, key())
    redrafted = dispatch.draft(reference=drafted["reference"], principal="1.00")
    dispatch.seal(redrafted, dispatch.county)
    with pytest.raises(SealSignatureRejected):
        send(dispatch, redrafted, HR_ORG, hr_signature)
    assert not in_force(dispatch, redrafted["agreement_id"]) and dispatch.events() == []


def test_a_party_must_be_one_of_the_two(dispatch):
    drafted = dispatch.draft()
    outsider = dispatch.hr_company("org-hr-2")
    with pytest.raises(NotAParty):
        send(dispatch, drafted, outsider.org_id, outsider.sign(dispatch.terms_of(drafted, 1)))
    relay = dispatch.as_(["hr_operator"], outsider)  # another company's operator relaying
    with pytest.raises(OutOfScope):
        relay.seal_agreement(drafted["agreement_id"], 1, HR_ORG, "AAAA", key())


# -- seals that changed -------------------------------------------------------------------------


def test_a_revoked_seal_signs_nothing_more_and_its_confirmation_cannot_bring_it_back(dispatch):
    drafted = dispatch.draft()
    dispatch.seal(drafted, dispatch.county)
    first_confirmation = dispatch.seal_event(dispatch.hr)
    dispatch.relay(dispatch.revoked_event(dispatch.hr))
    dispatch.relay(first_confirmation)  # replayed after the revocation
    assert effective_seal(dispatch, HR_ORG) is None
    with pytest.raises(SealNotEffective, match="withdraw this draft"):
        dispatch.seal(drafted, dispatch.hr)
    assert dispatch.get(drafted["agreement_id"])["versions"][0]["seals_in_effect"] is False
    assert dispatch.events() == []


def test_a_revocation_before_its_confirmation_keeps_the_seal_out(dispatch):
    dispatch.confirm(dispatch.county)
    dispatch.relay(dispatch.revoked_event(dispatch.hr))
    dispatch.relay(dispatch.seal_event(dispatch.hr))
    assert effective_seal(dispatch, HR_ORG) is None


def test_a_revocation_no_pinned_registrar_signed_changes_nothing(dispatch):
    drafted = dispatch.draft()
    forged = dispatch.revoked_event(dispatch.hr)
    forged.payload["revocation_signature"] = sign(
        new_signing_key(), statement_bytes(forged.payload["revocation"])
    )
    dispatch.relay(forged)
    dispatch.seal(drafted, dispatch.county)
    assert dispatch.seal(drafted, dispatch.hr)["status"] == "sealed"


def test_after_a_seal_changed_an_amendment_under_the_new_seal_reseals(dispatch):
    agreement_id = dispatch.sealed_agreement()
    old_hr = dispatch.hr.seal
    pending = dispatch.amend(agreement_id)
    dispatch.new_seal(dispatch.hr)  # lost, replaced; the registrar confirmed the new one
    with pytest.raises(SealNotEffective):
        dispatch.seal(pending, dispatch.county, version=2)  # names the replaced seal
    dispatch.admin().withdraw_agreement_draft(agreement_id, 2, key())
    amended = dispatch.amend(agreement_id)
    terms = dispatch.terms_of(amended, 3)
    assert terms["hr_company_seal"] == dispatch.hr.seal_fingerprint
    assert terms["county_cooperative_seal"] == dispatch.county.seal_fingerprint
    with pytest.raises(SealSignatureRejected):
        send(dispatch, amended, HR_ORG, sign(old_hr, statement_bytes(terms)), version=3)
    dispatch.seal(amended, dispatch.county)
    assert dispatch.seal(amended, dispatch.hr)["sealed_version"] == 3
    assert [e["version"] for e in dispatch.events("agreement_sealed")] == [1, 3]


def test_every_sealed_event_verifies_from_its_terms_and_signatures_alone(dispatch):
    """What the fund will do with it: the seals as registry's events carry them, the event's
    terms and signatures, the kit's one rule."""
    dispatch.sealed_agreement()
    [event] = dispatch.events("agreement_sealed")
    known = {}
    for party in (dispatch.county, dispatch.hr):
        p = dispatch.seal_event(party).payload
        known[party.org_id] = SealRecord(
            p["org_id"], p["org_kind"], p["fingerprint"], p["public_key"],
            p["confirmation"], p["confirmation_signature"],
        )  # fmt: skip
    payload = event["payload"]
    check_joint_account_seals(
        payload["terms"], known, payload["seal_signatures"], COUNTY, dispatch.registrar.keys
    )
    with pytest.raises(SealNotEffective):
        check_joint_account_seals(
            dict(payload["terms"], principal_fen=1), known, payload["seal_signatures"], COUNTY,
            dispatch.registrar.keys,
        )  # fmt: skip
