"""registry's use cases about people besides registering and updating them (`registration`):
finding a person the caller may see, confirming the four clears, disclosures, searches and
counts, and merging duplicates. Each runs inside the unit of work it is given; the entrypoint
commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from registry.directory.vocabulary_use_cases import load_lexicon
from registry.exceptions import LabourerMerged, LabourerNotFound, MergeRefused
from registry.people.domain import Household, Person
from registry.people.events import labourer_merged
from registry.people.repository import Criteria, PeopleRepository
from sanbao_common.access import AREA_KINDS, Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events

# -- one person ----------------------------------------------------------------------------------


def get_labourer(uow: UnitOfWork, person_id: str) -> Person:
    record = PeopleRepository(uow.connection).get(person_id)
    if record is None:
        raise LabourerNotFound(person_id=person_id)
    return record


def group_scope(principal: Principal) -> str | None:
    """An agent's village group, the whole of their area (DOMAIN.md: agents work their group)."""
    if principal.organisation_kind in AREA_KINDS and "-" in principal.scope:
        return principal.scope
    return None


def visible_labourer(uow: UnitOfWork, principal: Principal, person_id: str) -> Person:
    """A person in the caller's area (and group, for an agent); LabourerNotFound otherwise, with
    no hint that the person exists elsewhere."""
    record = get_labourer(uow, person_id)
    group = group_scope(principal)
    if not principal.covers(record.village_code) or (group and record.village_group != group):
        raise LabourerNotFound(person_id=person_id)
    return record


def changeable_labourer(uow: UnitOfWork, principal: Principal, person_id: str) -> Person:
    """A visible person whose record was not merged into another."""
    record = visible_labourer(uow, principal, person_id)
    if record.status == "merged":
        raise LabourerMerged(person_id=person_id, merged_into=record.merged_into)
    return record


def household_of(uow: UnitOfWork, record: Person) -> Household | None:
    if not record.household_id:
        return None
    return (
        PeopleRepository(uow.connection)
        .households_by_id([record.household_id])
        .get(record.household_id)
    )


def confirm(uow: UnitOfWork, record: Person, caller: Caller) -> None:
    """The four clears checked and still true: the confirmation date moves, nothing else."""
    PeopleRepository(uow.connection).confirm([record.person_id], datetime.now(UTC), caller.actor)


def history(uow: UnitOfWork, record_kind: str, record_id: str) -> list[dict]:
    return PeopleRepository(uow.connection).history(record_kind, record_id)


def record_disclosure(
    uow: UnitOfWork, person_id: str, caller: Caller, organisation_id: str, reason: str
) -> dict:
    """That `caller` is being shown `person_id`'s ID number and phone, and why: written before
    anything is shown, and never changed or removed."""
    disclosure = {
        "disclosure_id": str(uuid.uuid4()),
        "person_id": person_id,
        "reason": reason,
        "disclosed_at": datetime.now(UTC),
        "disclosed_to": caller.actor,
        "organisation_id": organisation_id,
        "correlation_id": caller.correlation_id,
    }
    PeopleRepository(uow.connection).add_disclosure(disclosure)
    return disclosure


def list_disclosures(uow: UnitOfWork, person_id: str | None, limit: int) -> list[dict]:
    """The newest first; of one person, or of everyone."""
    return PeopleRepository(uow.connection).disclosures(person_id, limit)


# -- many people ---------------------------------------------------------------------------------


def search(uow: UnitOfWork, criteria: Criteria, *, after: str | None, limit: int) -> list[Person]:
    return PeopleRepository(uow.connection).search(criteria, after=after, limit=limit)


def counts(uow: UnitOfWork, criteria: Criteria, by: str) -> list[dict]:
    length = {"township": 9, "village": 12}[by]
    return PeopleRepository(uow.connection).counts(criteria, by_length=length)


def count_labourers(
    uow: UnitOfWork, under: str | None = None, stale_before: datetime | None = None
) -> int:
    """Active labourers, or those in villages whose code starts with `under`; with
    `stale_before`, only those whose four clears were last confirmed before it."""
    criteria = Criteria(area=under, stale_before=stale_before)
    rows = PeopleRepository(uow.connection).counts(criteria, by_length=0)
    return sum(row["labour_force"] for row in rows)


def stale_before(days: int, now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) - timedelta(days=days)


# -- merging -------------------------------------------------------------------------------------


def merge_labourers(
    uow: UnitOfWork, keep_id: str, merge_id: str, reason: str, caller: Caller
) -> Person:
    """Fold a record found to be the same person as another into it. The merged record stays,
    marked and pointing at the kept one, so its history and events still make sense."""
    if keep_id == merge_id:
        raise MergeRefused(message_en="a record cannot be merged into itself")
    repository = PeopleRepository(uow.connection)
    records = repository.get_many([keep_id, merge_id])
    for person_id in (keep_id, merge_id):
        if person_id not in records:
            raise LabourerNotFound(person_id=person_id)
        if records[person_id].status != "active":
            raise MergeRefused(message_en=f"{person_id} is already merged", person_id=person_id)
    kept, merged = records[keep_id], records[merge_id]
    now = datetime.now(UTC)
    merged = merged.with_changes(status="merged", merged_into=keep_id, version=merged.version + 1)
    kept = kept.with_changes(version=kept.version + 1)
    repository.save_labourers([kept, merged])
    repository.record_history(
        [
            {
                "record_kind": "labourer", "record_id": merge_id, "field": "merged_into",
                "before": None, "after": keep_id, "changed_at": now,
                "changed_by": caller.actor, "source": f"merge: {reason}"[:60],
            },
            {
                "record_kind": "labourer", "record_id": keep_id, "field": "merged_from",
                "before": None, "after": merge_id, "changed_at": now,
                "changed_by": caller.actor, "source": f"merge: {reason}"[:60],
            },
        ]
    )  # fmt: skip
    household, lexicon = household_of(uow, kept), load_lexicon(uow.connection)
    write_events(uow, [labourer_merged(caller, kept, household, merged, reason, lexicon)])
    return kept
