"""Storage of the candidate pool inside a unit of work's connection."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from dispatch.adapters.tables import candidates
from dispatch.domain.model import Candidate

_FIELDS = [c.name for c in candidates.columns if c.name != "updated_at"]


class CandidateRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    def get(self, person_id: str) -> Candidate | None:
        row = self.connection.execute(
            select(*[candidates.c[name] for name in _FIELDS]).where(
                candidates.c.person_id == person_id
            )
        ).first()
        return Candidate(**row._mapping) if row else None

    def save(self, candidate: Candidate, *, is_new: bool) -> None:
        values = dict(candidate.__dict__, updated_at=datetime.now(UTC))
        if is_new:
            self.connection.execute(insert(candidates).values(**values))
        else:
            self.connection.execute(
                update(candidates)
                .where(candidates.c.person_id == candidate.person_id)
                .values(**values)
            )

    def count(self) -> int:
        return self.connection.execute(select(func.count()).select_from(candidates)).scalar_one()
