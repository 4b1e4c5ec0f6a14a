"""Cooperation agreements from the county cooperative's and the HR company's side: drafted with
both parties' seals named, in force only once both seals signed the exact terms, amended by new
versions from a date, refused whole (naming the problem, writing nothing) when the terms are
wrong. The attacker's side is in test_agreements_seals.py."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from dispatch.adapters.agreement_tables import agreement_versions, agreements
from dispatch.agreements.queries import agreement_for_orders, version_in_force
from dispatch.exceptions import (
    AgreementDraftPending,
    AgreementNotDraft,
    AgreementReferenceTaken,
    AgreementTermsRejected,
    AgreementWithdrawn,
)
from dispatch_contract.agreements import PURPOSE, TERMS_FIELDS
from dispatch_support import COUNTY, COUNTY_ORG, HR_ORG, Party, key, revenue, subsidy, today
from sanbao_common.access import Forbidden, OutOfScope
from sanbao_common.crypto import load_public_key, signature_valid, statement_bytes
from sanbao_common.envelope import parse_envelope
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.tables import IDEMPOTENCY_KEYS, OUTBOX
from sanbao_common.seals import SealNotEffective


def written(dispatch) -> dict:
    """How many rows each table a refused command must leave alone has."""
    with dispatch.db.reader() as uow:
        return {
            table.name: uow.connection.execute(select(func.count()).select_from(table)).scalar()
            for table in (agreements, agreement_versions, OUTBOX, IDEMPOTENCY_KEYS)
        }


# -- drafting and sealing ---------------------------------------------------------------------


def test_a_draft_names_both_parties_seals_and_is_not_in_force(dispatch):
    drafted = dispatch.draft(principal="1,250,000.50", bank_account="6228 4801 2345 6789 012")
    [v1] = drafted["versions"]
    terms = v1["terms"]
    assert tuple(sorted(terms)) == tuple(sorted(TERMS_FIELDS))
    assert (
        terms
        | {
            "purpose": PURPOSE,
            "version": 1,
            "county": COUNTY,
            "county_cooperative": COUNTY_ORG,
            "hr_company": HR_ORG,
            "principal_fen": 125_000_050,
            "bank_account": "6228480123456789012",
            "effective_from": terms["term_start"],
            "county_cooperative_seal": dispatch.county.seal_fingerprint,
            "hr_company_seal": dispatch.hr.seal_fingerprint,
        }
        == terms
    )
    assert terms["revenue"] == {
        "per_placement_fen": 30000,
        "qualifying_days": 90,
        "per_month_fen": 5000,
        "max_months": 12,
        "shares_bp": {"county": 5000, "township": 2000, "village": 3000},
    }
    assert terms["subsidies"]["employer"] == {
        "cooperatives_bp": 3000,
        "hr_company_bp": 7000,
        "cooperative_shares_bp": {"county": 4000, "township": 2000, "village": 4000},
    }
    assert drafted["status"] == v1["status"] == "draft"
    assert v1["waiting_for"] == [COUNTY_ORG, HR_ORG] and v1["seals_in_effect"] is True
    assert drafted["principal"] == "1250000.50" and v1["amounts"]["per_placement"] == "300.00"
    assert dispatch.events() == []
    with dispatch.db.reader() as uow:
        found = agreement_for_orders(uow.connection, drafted["agreement_id"], today())
        assert found["sealed"] is False and found["version_in_force"] is None


def test_both_seals_over_the_exact_terms_put_version_1_in_force_and_announce_it(dispatch):
    drafted = dispatch.draft()
    agreement_id = drafted["agreement_id"]
    half = dispatch.seal(drafted, dispatch.hr)
    assert half["status"] == "draft" and half["versions"][0]["waiting_for"] == [COUNTY_ORG]
    assert dispatch.events() == []  # one seal is not an agreement
    sealed = dispatch.seal(drafted, dispatch.county)
    assert sealed["status"] == "sealed" and sealed["sealed_version"] == 1
    assert sealed["draft_version"] is None
    [event] = dispatch.events()
    envelope = parse_envelope(event, COUNTY)
    assert (envelope.type, envelope.source, envelope.county) == (
        "agreement_sealed",
        "dispatch",
        COUNTY,
    )
    assert (envelope.record_id, envelope.version) == (agreement_id, 1)
    payload = event["payload"]
    assert set(payload) == {
        "agreement_id", "version", "status", "terms", "seal_signatures", "sealed_at",
    }  # fmt: skip
    terms = dispatch.terms_of(sealed, 1)
    assert payload["terms"] == terms and payload["status"] == "sealed"
    # What the fund will check: each party's seal signed exactly these bytes.
    for party in (dispatch.county, dispatch.hr):
        public = load_public_key(dispatch.seal_event(party).payload["public_key"])
        signature = payload["seal_signatures"][party.org_id]
        assert signature_valid(public, statement_bytes(payload["terms"]), signature)
    with dispatch.db.reader() as uow:
        found = agreement_for_orders(uow.connection, agreement_id, today())
        assert found == {
            "agreement_id": agreement_id,
            "hr_company": HR_ORG,
            "county_cooperative": COUNTY_ORG,
            "term_start": date(today().year, 1, 1),
            "term_end": date(today().year + 2, 12, 31),
            "version_in_force": 1,
            "sealed": True,
        }
        assert version_in_force(uow.connection, agreement_id, today()) == terms


def test_a_retried_seal_answers_the_same_and_publishes_once(dispatch):
    drafted = dispatch.draft()
    dispatch.seal(drafted, dispatch.county)
    terms, admin, retry_key = dispatch.terms_of(drafted, 1), dispatch.admin(), key()
    args = (drafted["agreement_id"], 1, HR_ORG, dispatch.hr.sign(terms), retry_key)
    first, again = admin.seal_agreement(*args), admin.seal_agreement(*args)
    assert first == again and len(dispatch.events("agreement_sealed")) == 1


def test_a_sealed_version_is_sealed_once(dispatch):
    agreement_id = dispatch.sealed_agreement()
    shown = dispatch.get(agreement_id)
    with pytest.raises(AgreementNotDraft):
        dispatch.seal(shown, dispatch.hr, version=1)
    assert len(dispatch.events("agreement_sealed")) == 1


# -- terms refused whole ----------------------------------------------------------------------

REFUSED = {
    "revenue shares short": (
        {"revenue": revenue(shares=(5000, 2000, 2000))}, "revenue.shares_bp", "9000",
    ),
    "a negative share": (
        {"revenue": revenue(shares=(11000, -1000, 0))}, "revenue.shares_bp", "greater than",
    ),
    "a subsidy split over the whole": (
        {"subsidies": {"policy": subsidy(6000, 5000), "employer": subsidy()}},
        "subsidies.policy (cooperatives_bp + hr_company_bp)", "11000",
    ),
    "cooperative shares short": (
        {"subsidies": {"policy": subsidy(), "employer": subsidy(shares=(1, 1, 1))}},
        "subsidies.employer.cooperative_shares_bp", "3",
    ),
    "nothing paid": ({"revenue": revenue("0.00", "0")}, "revenue", "per_placement"),
    "a term ending as it starts": (
        {"term_start": "2026-06-01", "term_end": "2026-06-01"}, "term_end", "after",
    ),
    "no principal": ({"principal": "0.00"}, "principal", "more than zero"),
    "a principal below a fen": ({"principal": "100.005"}, "principal", "2 decimal"),
    "a letter in the account": ({"bank_account": "62284801234X"}, "bank_account", "8 to 32"),
    "a short account": ({"bank_account": "1234567"}, "bank_account", "8 to 32"),
    "no bank": ({"bank_name": "  "}, "bank_name", ""),
    "effective before the term": (
        {"effective_from": f"{today().year - 1}-12-31"}, "effective_from", "within the term",
    ),
    "one party twice": ({"hr_company": COUNTY_ORG}, "hr_company", "different organisations"),
    "a fraction of a basis point": (
        {"revenue": revenue(shares=(5000.5, 2000, 2999.5))}, "revenue", "",
    ),
    "a share given as true": (
        {"revenue": revenue(shares=(True, 4999, 5000))}, "revenue", "whole number",
    ),
    "a seal chosen by the drafter": (
        {"hr_company_seal": "00" * 32}, "hr_company_seal", "Unknown field",
    ),
}  # fmt: skip


@pytest.mark.parametrize("changes, field, why", REFUSED.values(), ids=REFUSED.keys())
def test_terms_that_do_not_hold_are_refused_naming_the_field_and_nothing_is_written(
    dispatch, changes, field, why
):
    dispatch.confirm(dispatch.county, dispatch.hr)
    before = written(dispatch)
    with pytest.raises((InvalidInput, AgreementTermsRejected)) as refused:
        dispatch.admin().draft_agreement(dispatch.terms_input(**changes), key())
    assert field.split(".")[0] in str(refused.value) and why in str(refused.value)
    assert written(dispatch) == before


def test_a_party_without_a_confirmed_seal_or_of_the_wrong_kind_cannot_be_named(dispatch):
    dispatch.confirm(dispatch.county)
    before = written(dispatch)
    with pytest.raises(SealNotEffective, match=HR_ORG):  # no seal of its own confirmed yet
        dispatch.admin().draft_agreement(dispatch.terms_input(), key())
    another_coop = Party("org-other-coop", "county_coop")
    dispatch.confirm(another_coop)
    with pytest.raises(SealNotEffective, match="must be a hr_company"):
        dispatch.admin().draft_agreement(dispatch.terms_input(another_coop), key())
    dispatch.confirm(dispatch.hr)
    swapped = dispatch.terms_input(county_cooperative=HR_ORG, hr_company=COUNTY_ORG)
    with pytest.raises(SealNotEffective, match="must be a county_coop"):
        dispatch.admin().draft_agreement(swapped, key())
    assert written(dispatch) == before


def test_a_reference_names_one_agreement_until_it_is_withdrawn(dispatch):
    drafted = dispatch.draft(reference="个旧人社劳务〔2026〕8号")
    with pytest.raises(AgreementReferenceTaken):
        dispatch.draft(reference=" 个旧人社劳务〔2026〕8号 ")
    dispatch.admin().withdraw_agreement_draft(drafted["agreement_id"], 1, key())
    assert dispatch.draft(reference="个旧人社劳务〔2026〕8号")["status"] == "draft"


# -- amendments -------------------------------------------------------------------------------


def test_an_amendment_is_a_new_version_from_a_date_and_the_past_keeps_its_rules(dispatch):
    agreement_id = dispatch.sealed_agreement()
    start = today() + timedelta(days=10)
    amended = dispatch.amend(
        agreement_id, effective_from=start.isoformat(), revenue=revenue("450.00", "0.00")
    )
    v1, v2 = (dispatch.terms_of(amended, n) for n in (1, 2))
    assert amended["draft_version"] == 2 and amended["sealed_version"] == 1
    assert {k: v for k, v in v2.items() if k not in ("version", "effective_from", "revenue")} == {
        k: v for k, v in v1.items() if k not in ("version", "effective_from", "revenue")
    }
    assert v2["version"] == 2 and v2["effective_from"] == start.isoformat()
    assert v2["revenue"]["per_placement_fen"] == 45000 and v2["revenue"]["per_month_fen"] == 0
    dispatch.seal(amended, dispatch.county)
    sealed = dispatch.seal(amended, dispatch.hr)
    assert sealed["sealed_version"] == 2
    assert [e["version"] for e in dispatch.events("agreement_sealed")] == [1, 2]
    with dispatch.db.reader() as uow:
        assert version_in_force(uow.connection, agreement_id, start - timedelta(days=1)) == v1
        assert version_in_force(uow.connection, agreement_id, start) == v2
        term_end = date.fromisoformat(v1["term_end"])
        assert version_in_force(uow.connection, agreement_id, term_end) == v2
        assert version_in_force(uow.connection, agreement_id, term_end + timedelta(days=1)) is None
        ended = agreement_for_orders(uow.connection, agreement_id, term_end + timedelta(days=1))
        assert ended["sealed"] is True and ended["version_in_force"] is None


def test_an_amendment_without_new_rules_carries_the_rules_in_force(dispatch):
    agreement_id = dispatch.sealed_agreement()
    amended = dispatch.amend(agreement_id)
    v1, v2 = (dispatch.terms_of(amended, n) for n in (1, 2))
    assert (v2["revenue"], v2["subsidies"]) == (v1["revenue"], v1["subsidies"])


AMENDMENT_DATES = {
    "the day the version in force began": lambda v1: v1["effective_from"],
    "yesterday": lambda v1: (today() - timedelta(days=1)).isoformat(),
    "after the term": lambda v1: (date.fromisoformat(v1["term_end"]) + timedelta(1)).isoformat(),
}


@pytest.mark.parametrize("when", AMENDMENT_DATES.values(), ids=AMENDMENT_DATES.keys())
def test_an_amendment_never_reaches_back(dispatch, when):
    agreement_id = dispatch.sealed_agreement(effective_from=today().isoformat())
    v1 = dispatch.terms_of(dispatch.get(agreement_id), 1)
    before = written(dispatch)
    with pytest.raises(AgreementTermsRejected, match="effective_from"):
        dispatch.amend(agreement_id, effective_from=when(v1))
    assert written(dispatch) == before


def test_one_draft_at_a_time_and_a_withdrawn_draft_is_kept_but_never_sealed(dispatch):
    agreement_id = dispatch.sealed_agreement()
    amended = dispatch.amend(agreement_id)
    with pytest.raises(AgreementDraftPending):
        dispatch.amend(agreement_id)
    withdrawn = dispatch.admin().withdraw_agreement_draft(agreement_id, 2, key())
    assert withdrawn["status"] == "sealed" and withdrawn["draft_version"] is None
    assert withdrawn["versions"][1]["status"] == "withdrawn"
    with pytest.raises(AgreementNotDraft):
        dispatch.seal(amended, dispatch.county, version=2)
    again = dispatch.amend(agreement_id)
    assert again["draft_version"] == 3  # numbers are never reused


def test_an_agreement_withdrawn_before_taking_effect_stays_withdrawn(dispatch):
    drafted = dispatch.draft()
    agreement_id = drafted["agreement_id"]
    withdrawn = dispatch.admin().withdraw_agreement_draft(agreement_id, 1, key())
    assert withdrawn["status"] == "withdrawn"
    with pytest.raises(AgreementWithdrawn):
        dispatch.amend(agreement_id)
    with pytest.raises(AgreementNotDraft):
        dispatch.seal(drafted, dispatch.county, version=1)


# -- who may ----------------------------------------------------------------------------------


def test_the_county_cooperative_drafts_its_own_agreements_only(dispatch):
    dispatch.confirm(dispatch.county, dispatch.hr)
    own = dispatch.as_(["coop_operator"], dispatch.county, user="coop")
    assert own.draft_agreement(dispatch.terms_input(), key())["status"] == "draft"
    village = dispatch.as_(["coop_operator"], Party("org-village-coop", "village_coop"))
    with pytest.raises(OutOfScope):
        village.draft_agreement(dispatch.terms_input(), key())
    with pytest.raises(Forbidden):
        dispatch.as_(["hr_operator"], dispatch.hr).draft_agreement(dispatch.terms_input(), key())


def test_an_hr_company_reads_only_its_own_agreements(dispatch):
    ours = dispatch.sealed_agreement()
    other_hr = dispatch.hr_company("org-hr-2")
    theirs = dispatch.sealed_agreement(other_hr)
    pending = dispatch.draft()["agreement_id"]
    hr = dispatch.as_(["hr_operator"], dispatch.hr)
    listed = hr.list_agreements()["agreements"]
    assert {a["agreement_id"] for a in listed} == {ours, pending}
    assert [a["agreement_id"] for a in hr.list_agreements(status="sealed")["agreements"]] == [ours]
    with pytest.raises(OutOfScope):
        hr.get_agreement(theirs)
    with pytest.raises(OutOfScope):
        hr.list_agreements(hr_company="org-hr-2")
    auditor = dispatch.as_(["auditor"], user="audit")
    assert len(auditor.list_agreements()["agreements"]) == 3
    assert [a["agreement_id"] for a in auditor.list_agreements("org-hr-2")["agreements"]] == [
        theirs
    ]
    with pytest.raises(InvalidInput):
        auditor.list_agreements(status="in_force")


# -- resync -----------------------------------------------------------------------------------


def test_resync_republishes_every_sealed_version_in_order_as_the_event_carried_it(dispatch):
    from dispatch.agreements.resync import sealed_versions
    from sanbao_common.context import Caller

    first = dispatch.sealed_agreement()
    amended = dispatch.amend(first)
    dispatch.seal(amended, dispatch.county)
    dispatch.seal(amended, dispatch.hr)
    dispatch.sealed_agreement(dispatch.hr_company("org-hr-2"))
    dispatch.draft()  # never sealed: never resynced
    published = {(e["record_id"], e["version"]): e for e in dispatch.events("agreement_sealed")}
    caller, pages, after = Caller(COUNTY, "user:admin", "corr"), [], None
    while True:
        with dispatch.db.reader() as uow:
            page = sealed_versions(uow, caller, after, 2)
        pages.append(page)
        after = page.after
        if after is None:
            break
    sent = [event for page in pages for event in page.events]
    assert [p.records for p in pages] == [2, 1]
    assert sorted((e["record_id"], e["version"]) for e in sent) == sorted(published)
    assert [e["version"] for e in sent if e["record_id"] == first] == [1, 2]
    for event in sent:
        original = published[(event["record_id"], event["version"])]
        assert event["payload"] == original["payload"] and event["event_id"] != original["event_id"]
        assert parse_envelope(event, COUNTY).type == "agreement_sealed"


@pytest.mark.parametrize(
    "method, args",
    [
        ("get_agreement", ("a\x00b",)),
        ("list_agreements", ("\x00",)),
        ("get_job_order", ("\x00",)),
        ("match_order", ("\x00",)),
        ("draft_agreement", ({"reference": "个旧\x00"}, "key-1")),
    ],
)
def test_a_nul_character_anywhere_in_a_request_is_the_callers_mistake(dispatch, method, args):
    """PostgreSQL cannot hold a NUL character: a request carrying one is refused as invalid
    before any query, never failing as a bug."""
    before = written(dispatch)
    with pytest.raises(InvalidInput, match="NUL"):
        getattr(dispatch.as_(["county_admin"]), method)(*args)
    assert written(dispatch) == before
