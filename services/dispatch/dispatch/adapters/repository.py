"""Storage of the candidate pool inside a unit of work's connection."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from dispatch.adapters.tables import candidates
from dispatch.domain.model import Candidate

_FIELDS = [c.name for c in candidates.columns if c.name != "updated_at"]
_KEPT = ("person_id", "booked_by", "merged_into")


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
                # Never booked_by: a booking is dispatch's own (dispatch.batches), made by a
                # conditional update a registry event applied meanwhile must not overwrite.
                # Nor merged_into: `link_merged` sets it.
                .values({name: bindparam(name) for name in _FIELDS if name not in _KEPT})
                .values(updated_at=now),
                [dict(c.__dict__, key=c.person_id) for c in changed],
            )

    def count(self) -> int:
        """Candidates still in the pool (merged records are tombstones, not candidates)."""
        return self.connection.execute(
            select(func.count()).select_from(candidates).where(candidates.c.status == "active")
        ).scalar_one()

    def link_merged(self, merged_id: str, kept_id: str) -> str:
        """`merged_id` was merged into `kept_id`: the tombstone (and every record merged into
        it before) points at the last record of the chain, which is returned."""
        c = candidates.c
        final, seen = kept_id, {merged_id}
        while final not in seen:
            seen.add(final)
            row = self.connection.execute(
                select(c.status, c.merged_into).where(c.person_id == final)
            ).first()
            if row is None or row.status != "merged" or row.merged_into is None:
                break
            final = row.merged_into
        if final == merged_id:  # a cycle: registry never merges a record back
            return kept_id
        for where in (c.person_id == merged_id, c.merged_into == merged_id):
            self.connection.execute(update(candidates).where(where).values(merged_into=final))
        return final

    def holders(self, kept_id: str) -> dict[str, str]:
        """person id -> what holds them (a batch or placement id), of the kept record and every
        record merged into it that is held."""
        c = candidates.c
        rows = self.connection.execute(
            select(c.person_id, c.booked_by).where(
                or_(c.person_id == kept_id, c.merged_into == kept_id), c.booked_by.is_not(None)
            )
        )
        return {row.person_id: row.booked_by for row in rows}
