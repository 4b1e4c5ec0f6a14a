"""Which HR company may see which person unmasked, as dispatch's batches and placements say:
the people of a company's open batches (confirmed, departed) and of its active
placements, to its HR operators only. Kept per batch or placement at the newest version applied,
so a late or replayed older event changes nothing (docs/access.md, "HR companies and their
people").

Registry decides; the numbers and the data key never leave it: dispatch only says who is in
which batch, and registry unseals for an HR operator whose company's record holds the person."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from registry.adapters.tables import company_people, company_records
from registry.hiring.payloads import CompanyRecord
from sanbao_common.access import HR_OPERATOR, Principal
from sanbao_common.db import UnitOfWork

HR_COMPANY = "hr_company"  # the organisation kind whose people are HR operators


class ConcurrentApply(Exception):
    """Another replica applied the same record at the same moment: the batch is tried again."""


def advance(uow: UnitOfWork, record: CompanyRecord) -> bool:
    """Apply `record` if it is newer than what is kept of it; whether it was. The kept version
    moves with a conditional UPDATE, so two replicas applying two versions at once cannot leave
    the older one in place (the loser sees no row and skips, or is tried again)."""
    connection = uow.connection
    key = and_(
        company_records.c.record_kind == record.kind,
        company_records.c.record_id == record.record_id,
    )
    values = {
        "hr_company": record.hr_company,
        "version": record.version,
        "open": record.open,
        "applied_at": datetime.now(UTC),
    }
    moved = connection.execute(
        update(company_records)
        .where(key, company_records.c.version < record.version)
        .values(values)
    ).rowcount
    if not moved:
        if connection.execute(select(company_records.c.version).where(key)).first() is not None:
            return False  # this version or a newer one is kept already
        try:
            connection.execute(
                insert(company_records).values(
                    dict(values, record_kind=record.kind, record_id=record.record_id)
                )
            )
        except IntegrityError:
            # Inserted by another replica since: the whole batch rolls back and is tried again.
            raise ConcurrentApply(record.record_id) from None
    connection.execute(
        delete(company_people).where(
            company_people.c.record_kind == record.kind,
            company_people.c.record_id == record.record_id,
        )
    )
    if record.people:
        connection.execute(
            insert(company_people),
            [
                {
                    "record_kind": record.kind,
                    "record_id": record.record_id,
                    "person_id": person_id,
                    "hr_company": record.hr_company,
                }
                for person_id in sorted(record.people)
            ],
        )
    return True


def apply_records(uow: UnitOfWork, records: list[CompanyRecord]) -> None:
    for record in records:
        advance(uow, record)


def hr_company_of(principal: Principal) -> str | None:
    """The HR company whose operator is calling, or None (nobody else sees by this rule)."""
    if principal.organisation_kind == HR_COMPANY and HR_OPERATOR in principal.roles:
        return principal.organisation_id
    return None


def company_sees(uow: UnitOfWork, principal: Principal, person_ids: list[str]) -> frozenset[str]:
    """Of `person_ids`, those an open batch or active placement of the caller's HR company
    holds: the caller sees their ID number and phone in full."""
    company = hr_company_of(principal)
    if company is None or not person_ids:
        return frozenset()
    rows = uow.connection.execute(
        select(company_people.c.person_id).where(
            company_people.c.hr_company == company,
            company_people.c.person_id.in_(sorted(set(person_ids))),
        )
    )
    return frozenset(rows.scalars())


def people_of_company(uow: UnitOfWork, principal: Principal) -> frozenset[str]:
    """Everyone the caller's HR company's open batches and active placements hold (an export's
    rows are unmasked for them); empty for anyone who is not an HR operator."""
    company = hr_company_of(principal)
    if company is None:
        return frozenset()
    rows = uow.connection.execute(
        select(company_people.c.person_id).where(company_people.c.hr_company == company)
    )
    return frozenset(rows.scalars())
