"""Storage of labourers inside a unit of work's connection."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.engine import Connection

from registry.adapters.tables import labourers
from registry.domain.model import Labourer

# Built once: every registration runs them.
_INSERT = insert(labourers)
_PERSON_IDS = select(labourers.c.id_number, labourers.c.person_id).where(
    labourers.c.id_number.in_(bindparam("id_numbers", expanding=True))
)


def _labourer(row) -> Labourer:
    data = dict(row._mapping)
    # SQLite hands timestamps back naive; they were stored as UTC.
    if data["registered_at"].tzinfo is None:
        data["registered_at"] = data["registered_at"].replace(tzinfo=UTC)
    return Labourer(**data)


class LabourerRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    def add_many(self, new: list[Labourer]) -> None:
        self.connection.execute(_INSERT, [labourer.__dict__ for labourer in new])

    def get(self, person_id: str) -> Labourer | None:
        row = self.connection.execute(
            select(labourers).where(labourers.c.person_id == person_id)
        ).first()
        return _labourer(row) if row else None

    def person_ids_by_id_number(self, id_numbers: list[str]) -> dict[str, str]:
        """The person id registered under each of these ID numbers that is registered."""
        rows = self.connection.execute(_PERSON_IDS, {"id_numbers": list(set(id_numbers))})
        return dict(rows.all())

    def count(self, under: str | None = None) -> int:
        query = select(func.count()).select_from(labourers)
        if under:
            query = query.where(labourers.c.village_code.startswith(under))
        return self.connection.execute(query).scalar_one()
