"""Joint accounts from dispatch's `agreement_sealed`, from the attacker's side: the fund acts on
what both seals signed and nothing else. A forged signature, terms changed after signing, unsigned
fields contradicting the terms, an old version replayed, an amendment of a fixed term, another
county's agreement: each changes nothing (refused and audited, or ignored), and none is left for
the broker to retry or park. Agreements that name a seal the fund has not heard of yet wait for
it, and go through when it comes."""

import json
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from fund.adapters.tables import held_agreements, joint_accounts
from fund.exceptions import AccountFrozen, AccountNotFound, AgreementRefused, SealSignatureRejected
from fund_support import AGREEMENT_REF, COUNTY_ORG, HR_ORG, in_a_day, key
from sanbao_common.crypto import fingerprint, new_signing_key, public_key_text, sign
from sanbao_common.crypto import statement_bytes as canonical
from sanbao_common.messaging.tables import OUTBOX
from sanbao_common.seals import SealNotEffective


def admin(fund):
    return fund.as_(["county_admin"], user="admin")


def published(fund, event_type: str) -> list[dict]:
    with fund.db.reader() as uow:
        bodies = uow.connection.execute(
            select(OUTBOX.c.body)
            .where(OUTBOX.c.event_type == event_type)
            .order_by(OUTBOX.c.position)
        ).scalars()
        return [json.loads(body) for body in bodies]


def audited(fund, command: str) -> list:
    with fund.db.reader() as uow:
        from fund.adapters.repository import Books

        return [r for r in Books(uow.connection).audit_records() if r.command == command]


def held(fund) -> list:
    with fund.db.reader() as uow:
        return uow.connection.execute(select(held_agreements)).all()


def no_account(fund, agreement_id: str) -> bool:
    try:
        admin(fund).get_joint_account(agreement_id)
    except AccountNotFound:
        return True
    return False


def signed(fund, terms: dict) -> dict:
    return {p.org_id: sign(p.seal, canonical(terms)) for p in (fund.county, fund.hr)}


def funded(fund) -> str:
    account = fund.open_account()
    fund.certify(fund.county, "chen.sign")
    fund.certify(fund.hr, "zhou.sign")
    fund.as_(["finance"], user="li.fin").record_inflow(
        account, {"kind": "principal_deposit", "amount": "100000.00", "bank_ref": "B-1"}, key()
    )
    return account


def advance(fund, account):
    return fund.as_(["finance"], user="li.fin").propose_outflow(
        account,
        {
            "kind": "advance",
            "expires_at": in_a_day(),
            "lines": [{"payee": HR_ORG, "amount": "90.00", "purpose": "车票", "reference": "b1"}],
        },
        key(),
    )


# -- opening ------------------------------------------------------------------------------------


def test_the_account_is_the_sealed_terms_and_its_opening_is_published(fund):
    account = fund.open_account()
    terms = fund.agreements[account]
    view = admin(fund).get_joint_account(account)
    assert view["account_id"] == view["agreement_id"] == terms["agreement_id"] == account
    assert view["agreement_ref"] == AGREEMENT_REF and view["agreement_version"] == 1
    assert (
        view["bank_name"] == "中国工商银行个旧支行"
        and view["bank_account"] == terms["bank_account"]
    )
    assert view["terms"] == terms and view["status"] == "open"
    (event,) = published(fund, "joint_account_opened")
    assert (event["record_id"], event["version"]) == (account, 1)
    assert event["payload"]["terms"] == terms
    assert event["payload"]["seal_signatures"] == signed(fund, terms)  # Ed25519: deterministic
    (record,) = audited(fund, "open_joint_account")
    assert record.account_id == account and record.detail["terms"] == terms
    assert record.actor == "system:fund for user:hr.admin"
    statement = admin(fund).export_statement(account, "2026-01-01", "2026-12-31")
    assert statement["account"]["bank_account"] == terms["bank_account"]
    assert admin(fund).verify_books()["ok"]


def test_a_forged_signature_opens_nothing(fund):
    fund.confirm_seals()
    terms = fund.terms()
    forger = new_signing_key()  # the county admin's key, standing in for the HR company's seal
    forged = dict(signed(fund, terms), **{HR_ORG: sign(forger, canonical(terms))})
    (outcome,) = fund.deliver(fund.sealed_event(terms, forged))
    assert outcome.result == "refused" and isinstance(outcome.error, SealSignatureRejected)
    assert HR_ORG in outcome.reason
    assert no_account(fund, terms["agreement_id"])
    assert published(fund, "joint_account_opened") == []
    (record,) = audited(fund, "refuse_agreement")
    assert record.detail["code"] == "SEAL_SIGNATURE_REJECTED"
    assert record.detail["agreement_id"] == terms["agreement_id"]


@pytest.mark.parametrize(
    "change",
    [
        {"principal_fen": 1_000_000_000},
        {"bank_account": "6222020000000000001"},
        {"hr_company_seal": "ab12 " * 15 + "ab12"},
        {"revenue": {"per_placement_fen": 0}},
    ],
)
def test_terms_altered_after_both_seals_signed_open_nothing(fund, change):
    fund.confirm_seals()
    terms = fund.terms()
    signatures = signed(fund, terms)
    with pytest.raises((SealSignatureRejected, SealNotEffective)):
        fund.seal_agreement(dict(terms, **change), signatures)
    assert no_account(fund, terms["agreement_id"])


def test_unsigned_fields_that_contradict_the_terms_are_ignored(fund):
    fund.confirm_seals()
    terms = fund.terms()
    decoy = fund.terms()["agreement_id"]
    outcome = fund.seal_agreement(
        terms,
        agreement_id=decoy,
        version=9,
        status="draft",
        principal_fen=1,
        bank_account="6222020000000000001",
        county="532502",
    )
    assert outcome.result == "opened" and outcome.account_id == terms["agreement_id"]
    view = admin(fund).get_joint_account(terms["agreement_id"])
    assert view["agreement_version"] == 1 and view["principal_fen"] == terms["principal_fen"]
    assert view["bank_account"] == terms["bank_account"]
    assert no_account(fund, decoy)


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"county": "532502"}, "another county"),
        ({"purpose": "open_joint_account"}, "not a cooperation agreement"),
        ({"bank_account": "12-34"}, "8 to 32 digits"),
        ({"term_end": "2025-12-31"}, "ends after it starts"),
        ({"version": "1"}, "whole number"),
        ({"principal_fen": 0}, "whole number"),
    ],
)
def test_terms_the_seals_signed_but_no_account_can_be_are_refused(fund, change, problem):
    # Both genuine seals signed these: still not an account of this county's fund.
    fund.confirm_seals()
    terms = fund.terms(**change)
    with pytest.raises(AgreementRefused, match=problem):
        fund.seal_agreement(terms)
    assert no_account(fund, terms["agreement_id"])
    assert audited(fund, "refuse_agreement")


def test_terms_with_a_field_more_or_less_are_refused(fund):
    fund.confirm_seals()
    more = dict(fund.terms(), agents_reward_fen=100)  # not a term between these two parties
    with pytest.raises(AgreementRefused, match="unexpected=agents_reward_fen"):
        fund.seal_agreement(more)
    less = fund.terms()
    del less["bank_name"]
    with pytest.raises(AgreementRefused, match="missing=bank_name"):
        fund.seal_agreement(less)
    for terms in (more, less):
        assert no_account(fund, terms["agreement_id"])
    (outcome,) = fund.deliver(SimpleNamespace(**dict(fund.sealed_event(less).__dict__, payload=[])))
    assert outcome.result == "refused"


# -- amendments and re-sealing ---------------------------------------------------------------------


def test_an_amendment_with_the_same_seals_amends_the_account(fund):
    account = fund.open_account()
    terms = fund.amendment(fund.agreements[account])
    assert fund.seal_agreement(terms).result == "amended"
    view = admin(fund).get_joint_account(account)
    assert view["agreement_version"] == 2 and view["terms"] == terms and view["version"] == 2
    assert view["seals_signed"] == [COUNTY_ORG, HR_ORG] and view["frozen_for"] == []
    (event,) = published(fund, "joint_account_amended")
    assert event["version"] == 2 and event["payload"]["terms"]["revenue"] == terms["revenue"]
    assert published(fund, "joint_account_resealed") == []
    assert admin(fund).verify_books()["ok"]


@pytest.mark.parametrize(
    "change",
    [
        {"principal_fen": 20_000_000},
        {"term_end": "2030-12-31"},
        {"bank_account": "6222020000000000001"},
        {"reference": "个旧人社劳务〔2026〕9号"},
        {"hr_company": "org-other-hr"},
    ],
)
def test_an_amendment_cannot_change_a_fixed_term_even_sealed_by_both(fund, change):
    account = fund.open_account()
    terms = fund.amendment(fund.agreements[account], **change)
    with pytest.raises(AgreementRefused, match="fixed terms"):
        fund.seal_agreement(terms)
    view = admin(fund).get_joint_account(account)
    assert view["agreement_version"] == 1 and view["terms"] == fund.agreements[account]


@pytest.mark.parametrize("reaching_back", ["in force", "before"])
def test_an_amendment_cannot_reach_back_over_the_version_in_force_even_sealed_by_both(
    fund, reaching_back
):
    """Dispatch refuses to seal an amendment whose date has passed; an event carrying one anyway
    (both genuine seals' signatures, relayed by whoever holds the broker) changes nothing."""
    account = fund.open_account()
    in_force = fund.agreements[account]["effective_from"]
    year = int(in_force[:4]) - (1 if reaching_back == "before" else 0)
    terms = fund.amendment(fund.agreements[account], effective_from=f"{year}{in_force[4:]}")
    with pytest.raises(AgreementRefused, match="after the version in force"):
        fund.seal_agreement(terms)
    view = admin(fund).get_joint_account(account)
    assert view["agreement_version"] == 1 and view["terms"] == fund.agreements[account]


def test_an_amendment_of_a_fixed_term_is_refused_at_once_whatever_seal_it_names(fund):
    account = fund.open_account()
    fund.hr.seal = new_signing_key()  # a seal no registrar confirmed, that it could wait for
    terms = fund.amendment(fund.agreements[account], principal_fen=1)
    with pytest.raises(AgreementRefused, match="fixed terms"):
        fund.seal_agreement(terms)
    assert held(fund) == []


def test_a_replayed_earlier_version_changes_nothing(fund):
    account = funded(fund)
    first = fund.agreements[account]
    replay = fund.sealed_event(first)  # kept by anyone who saw it on the bus
    fund.new_seal(fund.hr)
    assert fund.reseal(account).result == "resealed"
    before = admin(fund).get_joint_account(account)
    opened_events = len(published(fund, "joint_account_opened"))
    for again in (replay, fund.sealed_event(first), fund.sealed_event(fund.agreements[account])):
        (outcome,) = fund.deliver(again)
        assert outcome.result == "ignored"
    after = admin(fund).get_joint_account(account)
    assert after == before and after["frozen_for"] == [] and after["agreement_version"] == 2
    assert len(published(fund, "joint_account_opened")) == opened_events
    assert advance(fund, account)["status"] == "pending"


def test_an_amendment_sealed_with_the_replaced_seal_does_not_unfreeze(fund):
    account = funded(fund)
    old_hr_seal = fund.hr.seal
    fund.new_seal(fund.hr)
    terms = fund.amendment(fund.agreements[account])
    stale = dict(
        terms,
        hr_company_seal=fund.agreements[account]["hr_company_seal"],
    )
    signatures = {COUNTY_ORG: sign(fund.county.seal, canonical(stale))}
    signatures[HR_ORG] = sign(old_hr_seal, canonical(stale))
    with pytest.raises(SealNotEffective):
        fund.seal_agreement(stale, signatures)
    assert held(fund) == []  # the fund knows that seal: revoked, so refused, not waiting
    with pytest.raises(AccountFrozen):
        advance(fund, account)
    assert published(fund, "joint_account_resealed") == []


def test_resealing_publishes_the_new_terms_and_only_new_certificates_count(fund):
    account = funded(fund)
    fund.new_seal(fund.county)
    fund.reseal(account)
    (event,) = published(fund, "joint_account_resealed")
    assert event["payload"]["terms"]["county_cooperative_seal"] == fund.county.seal_fingerprint
    assert event["version"] == 2
    proposal = advance(fund, account)
    fund.sign_as(fund.hr, "zhou.sign", proposal)()
    with pytest.raises(Exception, match="not certified"):
        fund.sign_as(fund.county, "chen.sign", proposal)()  # certified by the replaced seal
    fund.certify(fund.county, "chen.sign")
    assert fund.sign_as(fund.county, "chen.sign", proposal)()["status"] == "paid"
    assert admin(fund).verify_books()["ok"]


def test_a_closed_account_takes_no_amendment(fund):
    account = fund.open_account("10.00")
    finance = fund.as_(["finance"], user="li.fin")
    finance.record_inflow(
        account, {"kind": "principal_deposit", "amount": "10.00", "bank_ref": "B-1"}, key()
    )
    fund.certify(fund.county, "chen.sign")
    fund.certify(fund.hr, "zhou.sign")
    back = finance.propose_outflow(
        account,
        {
            "kind": "return_principal",
            "expires_at": in_a_day(),
            "lines": [{"payee": COUNTY_ORG, "amount": "10.00", "purpose": "返还本金"}],
        },
        key(),
    )
    fund.sign_as(fund.county, "chen.sign", back)()
    fund.sign_as(fund.hr, "zhou.sign", back)()
    admin(fund).close_joint_account(account, key())
    (closed,) = published(fund, "joint_account_closed")
    assert closed["payload"]["status"] == "closed" and closed["payload"]["terms"]["version"] == 1
    with pytest.raises(AgreementRefused, match="not open"):
        fund.seal_agreement(fund.amendment(fund.agreements[account]))
    assert admin(fund).get_joint_account(account)["status"] == "closed"


# -- waiting for seals ---------------------------------------------------------------------------


def test_an_agreement_that_arrives_before_its_seals_waits_for_them(fund):
    from prometheus_client import REGISTRY

    terms = fund.terms()
    (outcome,) = fund.deliver(fund.sealed_event(terms))
    assert outcome.result == "waiting" and isinstance(outcome.error, SealNotEffective)
    assert no_account(fund, terms["agreement_id"])
    (row,) = held(fund)
    assert (row.agreement_id, row.version) == (terms["agreement_id"], 1)
    fund.as_(["auditor"], user="audit").refresh_gauges()
    assert REGISTRY.get_sample_value("sanbao_fund_agreements_waiting_for_seals") == 1
    fund.relay(fund.seal_event(fund.county))  # one seal is not enough: it still waits
    assert len(held(fund)) == 1 and no_account(fund, terms["agreement_id"])
    fund.relay(fund.seal_event(fund.hr))
    view = admin(fund).get_joint_account(terms["agreement_id"])
    assert view["status"] == "open" and view["terms"] == terms
    assert held(fund) == []
    fund.as_(["auditor"], user="audit").refresh_gauges()
    assert REGISTRY.get_sample_value("sanbao_fund_agreements_waiting_for_seals") == 0
    (record,) = audited(fund, "open_joint_account")
    assert record.actor == "system:fund for user:hr.admin"  # on behalf of the agreement's actor


def test_a_waiting_agreement_with_a_forged_signature_is_refused_when_the_seals_come(fund):
    terms = fund.terms()
    forged = dict(signed(fund, terms), **{HR_ORG: sign(new_signing_key(), canonical(terms))})
    (outcome,) = fund.deliver(fund.sealed_event(terms, forged))
    assert outcome.result == "waiting"
    fund.confirm_seals()
    assert held(fund) == [] and no_account(fund, terms["agreement_id"])
    (record,) = audited(fund, "refuse_agreement")
    assert record.detail["code"] == "SEAL_SIGNATURE_REJECTED"


def test_a_held_agreement_with_the_longest_actor_cannot_keep_a_seal_from_the_fund(fund):
    """A crafted agreement waiting for the HR company's next seal, with an envelope actor as long
    as envelopes allow: when the genuine confirmation comes, the fund's own record of refusing it
    must still fit, or the confirmation would roll back (and be retried, then parked) for good."""
    account = funded(fund)
    upcoming = new_signing_key()
    terms = fund.amendment(fund.agreements[account], hr_company_seal=fingerprint(upcoming))
    forged = {COUNTY_ORG: sign(fund.county.seal, canonical(terms)), HR_ORG: "AAAA"}
    event = fund.sealed_event(terms, forged)
    event.actor = "user:" + "x" * 195  # 200 characters: the most an envelope carries
    (outcome,) = fund.deliver(event)
    assert outcome.result == "waiting"
    old, fund.hr.seal = fund.hr.seal_fingerprint, upcoming
    fund.relay(fund.seal_event(fund.hr, replaces=old))
    with fund.db.reader() as uow:
        from fund.adapters.repository import Books

        assert Books(uow.connection).effective_seal(HR_ORG).fingerprint == fingerprint(upcoming)
    assert held(fund) == []
    (record,) = audited(fund, "refuse_agreement")
    assert len(record.actor) == 200 and record.actor.startswith("system:fund for user:xxx")


def test_a_reseal_that_overtakes_the_seal_confirmation_waits_for_it(fund):
    account = funded(fund)
    old = fund.hr.seal_fingerprint
    fund.hr.seal = new_signing_key()  # registry confirmed it; the fund has not heard yet
    terms = fund.amendment(fund.agreements[account])
    (outcome,) = fund.deliver(fund.sealed_event(terms))
    assert outcome.result == "waiting"
    assert admin(fund).get_joint_account(account)["agreement_version"] == 1
    fund.relay(fund.seal_event(fund.hr, replaces=old))
    view = admin(fund).get_joint_account(account)
    assert view["agreement_version"] == 2 and view["frozen_for"] == []
    assert view["hr_company_seal"] == fund.hr.seal_fingerprint and held(fund) == []


def test_only_the_latest_waiting_version_is_kept(fund):
    terms = fund.terms()
    second = fund.amendment(terms)
    fund.deliver(fund.sealed_event(second), fund.sealed_event(terms))
    (row,) = held(fund)
    assert row.version == 2
    fund.confirm_seals()
    view = admin(fund).get_joint_account(terms["agreement_id"])
    assert view["agreement_version"] == 2 and view["terms"] == second


# -- the books ------------------------------------------------------------------------------------


def test_verify_names_an_account_record_edited_away_from_its_sealed_terms(fund):
    account = fund.open_account()
    with fund.db.unit_of_work() as uow:
        uow.connection.execute(
            update(joint_accounts)
            .where(joint_accounts.c.account_id == account)
            .values(principal_fen=1, bank_account="6222020000000000001")
        )
        uow.commit()
    report = admin(fund).verify_books()
    assert not report["ok"]
    assert report["problems"] == [
        f"account {account}: its record is not what its sealed terms say "
        "(bank_account, principal_fen)"
    ]


def test_verify_names_sealed_terms_edited_in_the_database(fund):
    account = fund.open_account()
    edited = dict(fund.agreements[account], revenue={"per_placement_fen": 1})
    with fund.db.unit_of_work() as uow:
        uow.connection.execute(
            update(joint_accounts)
            .where(joint_accounts.c.account_id == account)
            .values(terms=json.dumps(edited))
        )
        uow.commit()
    report = admin(fund).verify_books()
    assert any(account in p and "seals do not hold" in p for p in report["problems"]), report


# -- accounts opened before agreements -------------------------------------------------------------


def legacy_account(fund, frozen=False) -> str:
    """An account the fund's retired sealing opened (as fund migration 0009 leaves it)."""
    from datetime import date

    from fund.adapters.repository import Books
    from fund.domain.accounts import OPEN, JointAccount

    fund.confirm_seals()
    legacy = {
        "purpose": "open_joint_account",
        "account_id": "acct-legacy",
        "agreement_ref": AGREEMENT_REF,
        "county": "532501",
        "county_cooperative": COUNTY_ORG,
        "hr_company": HR_ORG,
        "principal_fen": 10_000_000,
        "term_start": "2026-01-01",
        "term_end": "2028-12-31",
        "county_cooperative_seal": fund.county.seal_fingerprint,
        "hr_company_seal": fund.hr.seal_fingerprint,
    }
    account = JointAccount(
        "acct-legacy", AGREEMENT_REF, "532501", COUNTY_ORG, HR_ORG, 10_000_000,
        date(2026, 1, 1), date(2028, 12, 31), fund.county.seal_fingerprint,
        fund.hr.seal_fingerprint, OPEN,
        seal_keys={p.org_id: public_key_text(p.seal) for p in (fund.county, fund.hr)},
        seal_signatures=signed(fund, legacy), version=3, sealed_terms=legacy,
    )  # fmt: skip
    with fund.db.unit_of_work() as uow:
        Books(uow.connection).add_account(account)
        uow.commit()
    if frozen:
        fund.new_seal(fund.hr)
    return "acct-legacy"


def test_an_account_opened_before_agreements_keeps_working_and_verifying(fund):
    account = legacy_account(fund)
    view = admin(fund).get_joint_account(account)
    assert view["agreement_id"] is None and view["terms"]["purpose"] == "open_joint_account"
    assert admin(fund).verify_books()["ok"]


def test_the_agreement_of_an_account_opened_before_agreements_takes_it_and_reseals_it(fund):
    account = legacy_account(fund, frozen=True)
    assert admin(fund).get_joint_account(account)["frozen_for"] == [HR_ORG]
    terms = fund.terms()
    assert fund.seal_agreement(terms).result == "taken"
    view = admin(fund).get_joint_account(account)
    assert view["account_id"] == account and view["agreement_id"] == terms["agreement_id"]
    assert view["frozen_for"] == [] and view["terms"] == terms and view["version"] == 4
    assert view["bank_account"] == terms["bank_account"]
    assert no_account(fund, terms["agreement_id"])  # no second account
    (event,) = published(fund, "joint_account_resealed")
    assert event["record_id"] == account
    later = fund.amendment(terms)
    assert fund.seal_agreement(later).result == "amended"
    assert admin(fund).get_joint_account(account)["agreement_version"] == 2
    assert admin(fund).verify_books()["ok"]


def test_an_agreement_on_other_terms_than_the_old_account_opens_its_own(fund):
    legacy_account(fund)
    terms = fund.terms("90000.00")
    assert fund.seal_agreement(terms).result == "opened"
    assert admin(fund).get_joint_account("acct-legacy")["agreement_id"] is None
