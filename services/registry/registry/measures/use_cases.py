"""registry's use cases about measures (一人一举措), inside the unit of work they are given."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from registry.exceptions import MeasureNotFound
from registry.measures import domain as rules
from registry.measures.repository import MeasureRepository
from registry.people.domain import Person
from registry.people.repository import PeopleRepository
from registry.people.use_cases import household_of
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork


def add_measure(uow: UnitOfWork, labourer: Person, fields: dict, caller: Caller) -> dict:
    rules.check_new(fields, labourer, household_of(uow, labourer))
    now = datetime.now(UTC)
    measure = {
        "measure_id": str(uuid.uuid4()),
        "person_id": labourer.person_id,
        "kind": fields["kind"],
        "description": fields["description"],
        "owner": fields["owner"],
        "due_date": fields.get("due_date"),
        "status": "planned",
        "note": None,
        "version": 1,
        "created_at": now,
        "created_by": caller.actor,
        "changed_at": now,
        "changed_by": caller.actor,
    }
    MeasureRepository(uow.connection).add(measure)
    return measure


def get_measure(uow: UnitOfWork, measure_id: str) -> dict:
    measure = MeasureRepository(uow.connection).get(measure_id)
    if measure is None:
        raise MeasureNotFound(measure_id=measure_id)
    return measure


def change_measure(uow: UnitOfWork, measure: dict, changes: dict, caller: Caller) -> dict:
    """A measure moved on (status), re-planned (owner, due date, description) or annotated;
    every change is history of the measure."""
    diff = rules.check_change(measure, changes)
    if not diff:
        return measure
    now = datetime.now(UTC)
    values = {name: after for name, (_, after) in diff.items()}
    values.update(version=measure["version"] + 1, changed_at=now, changed_by=caller.actor)
    MeasureRepository(uow.connection).change(measure["measure_id"], values)
    PeopleRepository(uow.connection).record_history(
        [
            {
                "record_kind": "measure",
                "record_id": measure["measure_id"],
                "field": name,
                "before": before.isoformat() if isinstance(before, date) else before,
                "after": after.isoformat() if isinstance(after, date) else after,
                "changed_at": now,
                "changed_by": caller.actor,
                "source": "rpc",
            }
            for name, (before, after) in diff.items()
        ]
    )
    return dict(measure, **values)


def list_measures(
    uow: UnitOfWork, *, person_id: str | None, area: str | None, group: str | None,
    overdue_on: date | None,
) -> list[dict]:  # fmt: skip
    """A person's plan, or the measures of an area (overdue ones only with `overdue_on`)."""
    return MeasureRepository(uow.connection).listed(
        person_id=person_id, area=area, group=group, overdue_on=overdue_on
    )
