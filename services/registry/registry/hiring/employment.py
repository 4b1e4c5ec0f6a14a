"""A person's four clears from dispatch's placements: `placement_started` makes the employment
aspect show the placement (employment status = its place scope, employment place = its place,
source = the placement id); `placement_ended` sets them back to what they said before it, unless
the township has recorded the person's employment since (then its record stands). Each change is
history and a new version published as `labourer_updated`, like any other change of a person.

What the aspect said before is kept per placement (`placement_employment`), so an end restores
exactly that however many follow-ups came between; the state there says how far it got, so a
redelivered, late or replayed event never applies a start or an end twice."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select, update

from registry.adapters.tables import labourers, placement_employment
from registry.directory.vocabulary_use_cases import load_lexicon
from registry.events import registry_event
from registry.hiring import visibility
from registry.hiring.payloads import Placement
from registry.people import use_cases as people
from registry.people.domain import Person
from registry.people.events import labourer_state
from registry.people.repository import PeopleRepository
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events

EMPLOYMENT_FIELDS = ("employment_status", "employment_place", "employment_source")


def apply_placement(uow: UnitOfWork, placement: Placement, caller: Caller) -> None:
    """One placement's state, if newer than what registry has applied of it."""
    if not visibility.advance(uow, placement.record):
        return
    placement_id = placement.record.record_id
    row = uow.connection.execute(
        select(placement_employment).where(placement_employment.c.placement_id == placement_id)
    ).first()
    if placement.active:
        if row is None:
            _start(uow, placement, caller)
    elif row is None:
        # Ended before its start reached registry: the start, when it comes, is older and ignored.
        _keep(uow, placement_id, placement.person_id, "ended", None)
    elif row.state == "applied":
        _end(uow, row, caller)


def _keep(uow: UnitOfWork, placement_id: str, person_id: str, state: str, before) -> None:
    uow.connection.execute(
        insert(placement_employment).values(
            placement_id=placement_id,
            person_id=person_id,
            state=state,
            before_status=before.employment_status if before else None,
            before_place=before.employment_place if before else None,
            before_source=before.employment_source if before else None,
            changed_at=datetime.now(UTC),
        )
    )


def _set_state(uow: UnitOfWork, placement_id: str, state: str) -> None:
    uow.connection.execute(
        update(placement_employment)
        .where(placement_employment.c.placement_id == placement_id)
        .values(state=state, changed_at=datetime.now(UTC))
    )


def _start(uow: UnitOfWork, placement: Placement, caller: Caller) -> None:
    placement_id = placement.record.record_id
    person = PeopleRepository(uow.connection).get(placement.person_id)
    if person is None or person.status != "active":
        _keep(uow, placement_id, placement.person_id, "no_person", None)
        return
    _keep(uow, placement_id, placement.person_id, "applied", person)
    wanted = {
        "employment_status": placement.place_scope,
        "employment_place": placement.place,
        "employment_source": placement_id,
    }
    change_employment(uow, person, wanted, caller, f"placement:{placement_id}")


def _end(uow: UnitOfWork, row, caller: Caller) -> None:
    _pass_on_before(uow, row)
    person = PeopleRepository(uow.connection).get(row.person_id)
    if (
        person is None
        or person.status != "active"  # merged: the tombstone is left as it was
        or person.employment_source != row.placement_id
    ):
        _set_state(uow, row.placement_id, "superseded")  # the township's record stands
        return
    wanted = {
        "employment_status": row.before_status,
        "employment_place": row.before_place,
        "employment_source": row.before_source,
    }
    change_employment(uow, person, wanted, caller, f"placement:{row.placement_id}")
    _set_state(uow, row.placement_id, "restored")


def _pass_on_before(uow: UnitOfWork, row) -> None:
    """A placement that started over this one (its start heard first, or this one's end heard
    late: start and end come by separate queues) kept this one's employment as what came before
    it; it inherits what came before this one, so that its own end never brings back a placement
    that has ended."""
    uow.connection.execute(
        update(placement_employment)
        .where(
            placement_employment.c.person_id == row.person_id,
            placement_employment.c.state == "applied",
            placement_employment.c.before_source == row.placement_id,
        )
        .values(
            before_status=row.before_status,
            before_place=row.before_place,
            before_source=row.before_source,
            changed_at=datetime.now(UTC),
        )
    )


def change_employment(
    uow: UnitOfWork, person: Person, wanted: dict, caller: Caller, source: str
) -> None:
    """Set the employment aspect to `wanted`: history, a new version (only over the version
    read: a concurrent change makes the batch try again), and a `labourer_updated`."""
    diff = {
        name: (getattr(person, name), value)
        for name, value in wanted.items()
        if getattr(person, name) != value
    }
    if not diff:
        return
    now = datetime.now(UTC)
    changed = {name: after for name, (_, after) in diff.items()}
    record = person.with_changes(
        **changed, employment_at=now, employment_by=caller.actor, version=person.version + 1
    )
    written = uow.connection.execute(
        update(labourers)
        .where(labourers.c.person_id == person.person_id, labourers.c.version == person.version)
        .values(**changed, employment_at=now, employment_by=caller.actor, version=record.version)
    ).rowcount
    if written != 1:
        raise visibility.ConcurrentApply(person.person_id)
    repository = PeopleRepository(uow.connection)
    repository.record_history(
        [
            {
                "record_kind": "labourer",
                "record_id": person.person_id,
                "field": name,
                "before": before,
                "after": after,
                "changed_at": now,
                "changed_by": caller.actor,
                "source": source[:60],
            }
            for name, (before, after) in sorted(diff.items())
        ]
    )
    state = labourer_state(record, people.household_of(uow, record), load_lexicon(uow.connection))
    state["changed"] = sorted(diff)
    write_events(uow, [registry_event("labourer_updated", caller, {"people": [state]})])
