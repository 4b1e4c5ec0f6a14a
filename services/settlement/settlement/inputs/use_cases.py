"""Applying others' events to settlement's copies (settlement.inputs), inside the consumer's
unit of work. Version-checked: a placement or organisation keeps its highest version (an older
or equal one changes nothing, so a redelivered, late or resynced event is harmless); every
agreement version is kept (an equal one changes nothing), unless it changes what no amendment
changes (`dispatch_contract.agreements.FIXED_FIELDS`: its parties, fund and term) from the versions
already kept: that one is refused.

An event settlement cannot read (payloads.Unfit) or whose terms give no rules
(`settlement.domain.rules.MalformedTerms`) is refused: logged, kept in `refused_inputs` with the
reason, never applied; the others of its batch go on, and the consumer never stops on it."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from sqlalchemy import insert, select, update

from dispatch_contract.agreements import FIXED_FIELDS
from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import Envelope
from sanbao_common.errors import DomainError
from settlement.adapters.input_tables import (
    agreement_versions,
    organisations,
    placements,
    refused_inputs,
)
from settlement.domain.rules import rules_from_terms
from settlement.inputs import payloads

log = logging.getLogger("sanbao.settlement.inputs")


def _column_holds(version) -> bool:
    return type(version) is int and 0 < version <= payloads.MAX_VERSION


def refuse(uow: UnitOfWork, event: Envelope, reason: str) -> None:
    """Keep an event settlement cannot take, with the reason (once per event)."""
    log.error(
        "settlement refused an input",
        extra={"event_type": event.type, "record_id": event.record_id, "reason": reason},
    )
    known = uow.connection.execute(
        select(refused_inputs.c.event_id).where(refused_inputs.c.event_id == str(event.event_id))
    ).first()
    if known is None:
        uow.connection.execute(
            insert(refused_inputs).values(
                event_id=str(event.event_id),
                event_type=event.type,
                record_id=(event.record_id or "")[:64] or None,
                version=event.version if _column_holds(event.version) else None,
                reason=reason[:2000],
                refused_at=datetime.now(UTC),
            )
        )


def apply_agreements(uow: UnitOfWork, events: list[Envelope]) -> None:
    for event in events:
        try:
            sealed = payloads.agreement_version(event)
            rules_from_terms(sealed.terms)  # the rules must be readable before they are kept
        except (payloads.Unfit, DomainError) as exc:  # MalformedTerms is a DomainError
            refuse(uow, event, str(exc))
            continue
        changed = _changed_parties(uow, sealed)
        if changed:
            refuse(
                uow,
                event,
                f"version {sealed.version} changes what no amendment changes: {', '.join(changed)}",
            )
            continue
        _keep_agreement(uow, sealed)


def _changed_parties(uow: UnitOfWork, sealed: payloads.AgreementVersion) -> list[str]:
    """The FIXED_FIELDS (the agreement's parties, fund, term) in which this version differs from
    the agreement's versions already kept: such a version is another agreement, not this one."""
    table = agreement_versions
    kept = uow.connection.execute(
        select(table.c.terms)
        .where(table.c.agreement_id == sealed.agreement_id, table.c.version != sealed.version)
        .order_by(table.c.version)
    ).scalars()
    changed: set[str] = set()
    for text in kept:
        terms = json.loads(text)
        changed.update(f for f in FIXED_FIELDS if terms.get(f) != sealed.terms.get(f))
    return [f for f in FIXED_FIELDS if f in changed]


def _keep_agreement(uow: UnitOfWork, sealed: payloads.AgreementVersion) -> None:
    table = agreement_versions
    held = uow.connection.execute(
        select(table.c.version).where(
            table.c.agreement_id == sealed.agreement_id, table.c.version == sealed.version
        )
    ).first()
    if held is not None:
        return  # versions are never edited: the one kept stands
    uow.connection.execute(
        insert(table).values(
            agreement_id=sealed.agreement_id,
            version=sealed.version,
            effective_from=sealed.effective_from,
            county_cooperative=sealed.county_cooperative,
            hr_company=sealed.hr_company,
            terms=payloads.dumps(sealed.terms),
            received_at=datetime.now(UTC),
        )
    )


def apply_placements(uow: UnitOfWork, events: list[Envelope]) -> None:
    for event in events:
        try:
            state = payloads.placement_state(event)
        except payloads.Unfit as exc:
            refuse(uow, event, str(exc))
            continue
        _keep_placement(uow, state)


def _placement_columns(state: payloads.PlacementState, now: datetime) -> dict:
    return {
        "version": state.version,
        "agreement_id": state.agreement_id,
        "agreement_version": state.agreement_version,
        "hr_company": state.hr_company,
        "person_id": state.person_id,
        "name": state.name,
        "id_number_masked": state.id_number_masked,
        "village_code": state.village_code,
        "township_code": state.township_code,
        "agent_id": state.agent_id,
        "poor": state.poor,
        "starts_on": state.starts_on,
        "ended_on": state.ended_on,
        "status": state.status,
        "follow_up_months": ",".join(str(month) for month in state.follow_up_months),
        "state": payloads.dumps(state.state),
        "changed_at": now,
    }


def _keep_placement(uow: UnitOfWork, state: payloads.PlacementState) -> None:
    held = uow.connection.execute(
        select(placements.c.version).where(placements.c.placement_id == state.placement_id)
    ).scalar()
    now = datetime.now(UTC)
    if held is None:
        uow.connection.execute(
            insert(placements).values(
                placement_id=state.placement_id, received_at=now, **_placement_columns(state, now)
            )
        )
    elif state.version > held:
        uow.connection.execute(
            update(placements)
            .where(placements.c.placement_id == state.placement_id)
            .values(**_placement_columns(state, now))
        )


def apply_organisations(uow: UnitOfWork, events: list[Envelope]) -> None:
    for event in events:
        try:
            org = payloads.organisation_state(event)
        except payloads.Unfit as exc:
            refuse(uow, event, str(exc))
            continue
        _keep_organisation(uow, org)


def _keep_organisation(uow: UnitOfWork, org: payloads.OrganisationState) -> None:
    values = {
        "kind": org.kind,
        "name": org.name,
        "division_code": org.division_code,
        "parent_id": org.parent_id,
        "active": org.active,
        "version": org.version,
    }
    held = uow.connection.execute(
        select(organisations.c.version).where(organisations.c.org_id == org.org_id)
    ).scalar()
    if held is None:
        uow.connection.execute(insert(organisations).values(org_id=org.org_id, **values))
    elif org.version > held:
        uow.connection.execute(
            update(organisations).where(organisations.c.org_id == org.org_id).values(**values)
        )
