"""Storage of labourers inside a unit of work's connection."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from registry.adapters.tables import labourers
from registry.domain.model import Labourer


def _labourer(row) -> Labourer:
    data = dict(row._mapping)
    # SQLite hands timestamps back naive; they were stored as UTC.
    if data["registered_at"].tzinfo is None:
        data["registered_at"] = data["registered_at"].replace(tzinfo=UTC)
    return Labourer(**data)


class LabourerRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, labourer: Labourer) -> None:
        self.connection.execute(insert(labourers).values(**labourer.__dict__))

    def get(self, person_id: str) -> Labourer | None:
        row = self.connection.execute(
            select(labourers).where(labourers.c.person_id == person_id)
        ).first()
        return _labourer(row) if row else None

    def find_by_id_number(self, id_number: str) -> Labourer | None:
        row = self.connection.execute(
            select(labourers).where(labourers.c.id_number == id_number)
        ).first()
        return _labourer(row) if row else None

    def count(self) -> int:
        return self.connection.execute(select(func.count()).select_from(labourers)).scalar_one()
