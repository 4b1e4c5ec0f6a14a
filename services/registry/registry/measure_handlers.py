"""registry's use cases about measures (一人一举措), inside the unit of work they are given."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import insert, select, update

from registry import handlers
from registry.adapters.people_repository import PeopleRepository
from registry.adapters.tables import labourers, measures
from registry.domain import measures as rules
from registry.exceptions import MeasureNotFound
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork


def _measure(row) -> dict:
    measure = dict(row._mapping)
    for name in ("created_at", "changed_at"):
        if measure[name].tzinfo is None:
            measure[name] = measure[name].replace(tzinfo=UTC)
    return measure


def add_measure(uow: UnitOfWork, labourer: dict, fields: dict, caller: Caller) -> dict:
    rules.check_new(fields, labourer, handlers.household_of(uow, labourer))
    now = datetime.now(UTC)
    measure = {
        "measure_id": str(uuid.uuid4()),
        "person_id": labourer["person_id"],
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
    uow.connection.execute(insert(measures), measure)
    return measure


def get_measure(uow: UnitOfWork, measure_id: str) -> dict:
    row = uow.connection.execute(
        select(measures).where(measures.c.measure_id == measure_id)
    ).first()
    if row is None:
        raise MeasureNotFound(measure_id=measure_id)
    return _measure(row)


def change_measure(uow: UnitOfWork, measure: dict, changes: dict, caller: Caller) -> dict:
    """A measure moved on (status), re-planned (owner, due date, description) or annotated;
    every change is history of the measure."""
    diff = rules.check_change(measure, changes)
    if not diff:
        return measure
    now = datetime.now(UTC)
    values = {name: after for name, (_, after) in diff.items()}
    values.update(version=measure["version"] + 1, changed_at=now, changed_by=caller.actor)
    uow.connection.execute(
        update(measures).where(measures.c.measure_id == measure["measure_id"]).values(values)
    )
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
    query = (
        select(measures)
        .join(labourers, labourers.c.person_id == measures.c.person_id)
        .order_by(measures.c.due_date, measures.c.created_at, measures.c.measure_id)
    )
    if person_id:
        query = query.where(measures.c.person_id == person_id)
    if area:
        query = query.where(labourers.c.village_code.startswith(area))
    if group:
        query = query.where(labourers.c.village_group == group)
    if overdue_on is not None:
        query = query.where(
            measures.c.status.in_(("planned", "in_progress")), measures.c.due_date < overdue_on
        )
    return [_measure(row) for row in uow.connection.execute(query)]
