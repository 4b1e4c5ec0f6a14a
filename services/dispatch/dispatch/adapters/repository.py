"""Storage of the candidate pool inside a unit of work's connection."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from dispatch.adapters.tables import candidates
from dispatch.domain.model import Candidate

_FIELDS = [c.name for c in candidates.columns if c.name != "updated_at"]


class CandidateRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    def get_many(self, person_ids: list[str]) -> dict[str, Candidate]:
        rows = self.connection.execute(
            select(*[candidates.c[name] for name in _FIELDS]).where(
                candidates.c.person_id.in_(set(person_ids))
            )
        )
        return {row.person_id: Candidate(**row._mapping) for row in rows}

    def save_many(self, new: list[Candidate], changed: list[Candidate]) -> None:
        now = datetime.now(UTC)
        if new:
            self.connection.execute(
                insert(candidates), [dict(c.__dict__, updated_at=now) for c in new]
            )
        if changed:
            self.connection.execute(
                update(candidates)
                .where(candidates.c.person_id == bindparam("key"))
                .values({name: bindparam(name) for name in _FIELDS if name != "person_id"})
                .values(updated_at=now),
                [dict(c.__dict__, key=c.person_id) for c in changed],
            )

    def count(self) -> int:
        """Candidates still in the pool (merged records are tombstones, not candidates)."""
        return self.connection.execute(
            select(func.count()).select_from(candidates).where(candidates.c.status == "active")
        ).scalar_one()
