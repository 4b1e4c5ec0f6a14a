"""Storage of measures inside a unit of work's connection (their history is people's history,
`PeopleRepository.record_history`)."""

from __future__ import annotations

from datetime import UTC, date

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from registry.adapters.tables import labourers, measures


def _measure(row) -> dict:
    measure = dict(row._mapping)
    for name in ("created_at", "changed_at"):
        if measure[name].tzinfo is None:
            measure[name] = measure[name].replace(tzinfo=UTC)
    return measure


class MeasureRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, measure: dict) -> None:
        self.connection.execute(insert(measures), measure)

    def get(self, measure_id: str) -> dict | None:
        row = self.connection.execute(
            select(measures).where(measures.c.measure_id == measure_id)
        ).first()
        return _measure(row) if row else None

    def change(self, measure_id: str, values: dict) -> None:
        self.connection.execute(
            update(measures).where(measures.c.measure_id == measure_id).values(values)
        )

    def listed(
        self, *, person_id: str | None, area: str | None, group: str | None,
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
        return [_measure(row) for row in self.connection.execute(query)]
