"""Cooperation agreements' use cases: drafted by the county cooperative, amended by new versions
effective from a date, sealed by both organisations' seals over each version's exact terms.
Each runs inside the unit of work it is given (the entrypoint commits); a refusal writes nothing.

A version takes effect only when `sanbao_common.seals.check_joint_account_seals` passes: both
parties' seals in effect (confirmed by a pinned registrar key, not revoked, of the right kinds of
organisation), the ones the terms name, each having signed the exact terms. A draft names the
parties' seals in effect when it is drafted; after a party's seal changes, a draft naming the old
one can never be sealed: it is withdrawn and an amendment drafted, which names the current seals
(this is how an agreement, and the fund's joint account, are re-sealed).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dispatch.agreements import terms as t
from dispatch.agreements.events import sealed_event
from dispatch.agreements.repository import DRAFT, SEALED, WITHDRAWN, AgreementRepository
from dispatch.agreements.views import agreement_view, summary_view
from dispatch.exceptions import (
    AgreementDraftPending,
    AgreementNotDraft,
    AgreementNotFound,
    AgreementReferenceTaken,
    AgreementWithdrawn,
    NotAParty,
    SealSignatureRejected,
)
from sanbao_common import seals
from sanbao_common.access import COUNTY_ADMIN, HR_OPERATOR, OutOfScope, Principal
from sanbao_common.context import Caller
from sanbao_common.crypto import load_public_key, signature_valid, statement_bytes
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events

COUNTY_TIME = ZoneInfo("Asia/Shanghai")  # an amendment's date is the county's


def county_today(now: datetime) -> date:
    return now.astimezone(COUNTY_TIME).date()


# -- who may ----------------------------------------------------------------------------------


def check_drafter(principal: Principal, county_cooperative: str) -> None:
    """The county's administrators draft for any county cooperative; a cooperative's operator
    only for their own."""
    if COUNTY_ADMIN in principal.roles or principal.organisation_id == county_cooperative:
        return
    raise OutOfScope(
        message_en="a cooperative's operator drafts only their own cooperative's agreements",
        message_zh="合作社经办人只能起草本社的协议",
        county_cooperative=county_cooperative,
    )


def hr_bound(principal: Principal) -> str | None:
    """The HR company a caller sees agreements of, or None for all (the county's people)."""
    if COUNTY_ADMIN in principal.roles:
        return None
    if HR_OPERATOR in principal.roles or principal.organisation_kind == "hr_company":
        return principal.organisation_id
    return None


def _visible(principal: Principal, agreement) -> None:
    own = hr_bound(principal)
    if own is not None and own != agreement.hr_company:
        raise OutOfScope(agreement_id=agreement.agreement_id)


def _found(repository: AgreementRepository, agreement_id) -> object:
    agreement = repository.get(agreement_id) if isinstance(agreement_id, str) else None
    if agreement is None:
        raise AgreementNotFound(agreement_id=agreement_id)
    return agreement


# -- drafting ---------------------------------------------------------------------------------


def _current_seals(repository: AgreementRepository, fixed: dict, county: str, keys: dict) -> dict:
    """{org id: fingerprint} of both parties' seals in effect, each checked as the kit checks
    them (of the right kind of organisation, confirmed by a pinned registrar key)."""
    parties = (fixed["county_cooperative"], fixed["hr_company"])
    effective = repository.seal_book.effective_seals(parties)
    named = {org: seal.fingerprint for org, seal in effective.items()}
    probe = dict(
        fixed,
        county_cooperative_seal=named.get(fixed["county_cooperative"], ""),
        hr_company_seal=named.get(fixed["hr_company"], ""),
    )
    seals.check_party_seals(probe, effective, county, keys)
    return named


def draft_agreement(
    uow: UnitOfWork, caller: Caller, principal: Principal, data: dict, keys: dict, now: datetime
) -> dict:
    """Version 1, a draft naming both parties' seals in effect."""
    check_drafter(principal, data["county_cooperative"])
    repository = AgreementRepository(uow.connection)
    repository.lock()
    fixed = t.fixed_terms(data, caller.county, str(uuid.uuid4()))
    effective_from = data["effective_from"] or data["term_start"]
    t.check_effective_from(fixed, effective_from, None, None)
    revenue, subsidies = t.revenue_terms(data["revenue"]), t.subsidy_terms(data["subsidies"])
    if repository.reference_taken(fixed["reference"]):
        raise AgreementReferenceTaken(reference=fixed["reference"])
    named = _current_seals(repository, fixed, caller.county, keys)
    terms = t.sealed_terms(fixed, 1, effective_from, revenue, subsidies, named)
    repository.add(terms, caller.actor, now)
    repository.add_version(terms, caller.actor, now)
    return _view(repository, fixed["agreement_id"])


def amend_agreement(
    uow: UnitOfWork,
    caller: Caller,
    principal: Principal,
    agreement_id: str,
    data: dict,
    keys: dict,
    now: datetime,
) -> dict:
    """The next version, a draft: the fixed terms copied, new (or the same) revenue and subsidy
    rules from `effective_from`, naming both parties' seals in effect now."""
    repository = AgreementRepository(uow.connection)
    repository.lock()
    agreement = _found(repository, agreement_id)
    check_drafter(principal, agreement.county_cooperative)
    if agreement.draft_version is not None:
        raise AgreementDraftPending(agreement_id=agreement_id, version=agreement.draft_version)
    if agreement.status == WITHDRAWN:
        raise AgreementWithdrawn(agreement_id=agreement_id)
    versions = repository.versions(agreement_id)
    latest = versions[-1]
    in_force = next(v for v in reversed(versions) if v.status == SEALED)
    fixed = t.fixed_of(latest.terms)
    t.check_effective_from(
        fixed, data["effective_from"], in_force.effective_from, county_today(now)
    )
    revenue = t.revenue_terms(data["revenue"]) if data["revenue"] else in_force.terms["revenue"]
    subsidies = (
        t.subsidy_terms(data["subsidies"]) if data["subsidies"] else in_force.terms["subsidies"]
    )
    named = _current_seals(repository, fixed, caller.county, keys)
    number = latest.version + 1
    terms = t.sealed_terms(fixed, number, data["effective_from"], revenue, subsidies, named)
    repository.add_version(terms, caller.actor, now)
    repository.set_state(agreement_id, draft_version=number)
    return _view(repository, agreement_id)


def withdraw_draft(
    uow: UnitOfWork,
    caller: Caller,
    principal: Principal,
    agreement_id: str,
    version: int,
    now: datetime,
) -> dict:
    """A draft no one will seal (its terms were wrong, or a party's seal changed since): kept,
    marked withdrawn. An agreement none of whose versions took effect is then withdrawn whole."""
    repository = AgreementRepository(uow.connection)
    repository.lock()
    agreement = _found(repository, agreement_id)
    check_drafter(principal, agreement.county_cooperative)
    draft = _draft(repository, agreement_id, version)
    repository.save_version(replace(draft, status=WITHDRAWN, withdrawn_by=caller.actor,
                                    withdrawn_at=now))  # fmt: skip
    status = SEALED if agreement.sealed_version is not None else WITHDRAWN
    repository.set_state(agreement_id, draft_version=None, status=status)
    return _view(repository, agreement_id)


def _draft(repository: AgreementRepository, agreement_id: str, version) -> object:
    found = repository.version(agreement_id, version) if _is_number(version) else None
    if found is None:
        raise AgreementNotFound(agreement_id=agreement_id, version=version)
    if found.status != DRAFT:
        raise AgreementNotDraft(agreement_id=agreement_id, version=version, status=found.status)
    return found


def _is_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- sealing ----------------------------------------------------------------------------------


def seal_agreement(
    uow: UnitOfWork,
    caller: Caller,
    principal: Principal,
    request: dict,
    keys: dict,
    now: datetime,
) -> dict:
    """One party's seal signs a draft's exact terms (`request`: agreement_id, version, org_id,
    signature); with both, the version takes effect and `agreement_sealed` is written."""
    repository = AgreementRepository(uow.connection)
    repository.lock()
    agreement = _found(repository, request["agreement_id"])
    _visible(principal, agreement)
    draft = _draft(repository, agreement.agreement_id, request["version"])
    terms, org_id = draft.terms, request["org_id"]
    if org_id not in (agreement.county_cooperative, agreement.hr_company):
        raise NotAParty(org_id=org_id)
    if agreement.sealed_version is not None:
        t.check_effective_from(t.fixed_of(terms), draft.effective_from, None, county_today(now))
    effective = repository.seal_book.effective_seals(
        (agreement.county_cooperative, agreement.hr_company)
    )
    try:
        seals.check_party_seals(terms, effective, caller.county, keys)
    except seals.SealNotEffective as exc:
        raise seals.SealNotEffective(
            message_en=f"{exc.message_en}: withdraw this draft and amend the agreement, and the "
            "new draft names the seals in effect",
            message_zh=f"{exc.message_zh}：请撤回本草案并重新修订，新草案将载明现行有效印鉴",
            **exc.details,
        ) from None
    signature = request["signature"]
    if not signature_valid(
        load_public_key(effective[org_id].public_key), statement_bytes(terms), signature
    ):
        raise SealSignatureRejected(org_id=org_id, seal=effective[org_id].fingerprint)
    signed = replace(draft, seal_signatures=dict(draft.seal_signatures, **{org_id: signature}))
    if set(signed.seal_signatures) == {agreement.county_cooperative, agreement.hr_company}:
        seals.check_joint_account_seals(
            terms, effective, signed.seal_signatures, caller.county, keys
        )
        signed = replace(signed, status=SEALED, sealed_at=now)
        repository.set_state(
            agreement.agreement_id, status=SEALED, sealed_version=draft.version,
            draft_version=None,
        )  # fmt: skip
        write_events(uow, [sealed_event(caller, signed)])
    repository.save_version(signed)
    return _view(repository, agreement.agreement_id)


# -- reading ----------------------------------------------------------------------------------


def _view(repository: AgreementRepository, agreement_id: str) -> dict:
    agreement = repository.get(agreement_id)
    versions = repository.versions(agreement_id)
    parties = (agreement.county_cooperative, agreement.hr_company)
    effective = repository.seal_book.effective_seals(parties)
    return agreement_view(agreement, versions, {o: s.fingerprint for o, s in effective.items()})


def get_agreement(uow: UnitOfWork, principal: Principal, agreement_id) -> dict:
    repository = AgreementRepository(uow.connection)
    agreement = _found(repository, agreement_id)
    _visible(principal, agreement)
    return _view(repository, agreement_id)


def list_agreements(
    uow: UnitOfWork, principal: Principal, hr_company: str | None, status: str | None
) -> dict:
    own = hr_bound(principal)
    if own is not None and hr_company not in (None, own):
        raise OutOfScope(hr_company=hr_company)
    repository = AgreementRepository(uow.connection)
    rows = repository.listed(own or hr_company, status)
    return {"agreements": [summary_view(row) for row in rows]}
