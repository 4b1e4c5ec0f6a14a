"""Storage of batches, their members and substitutions inside a unit of work's connection, and
the booking that holds a person for one batch (`candidates.booked_by`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from dispatch.adapters.batch_tables import batch_members, batch_substitutions, batches
from dispatch.adapters.placement_tables import placements
from dispatch.adapters.tables import candidates
from dispatch.batches.domain import Batch, Cost, Member, Substitution
from dispatch.batches.errors import BatchChanged

_MEMBER_UPDATES = (
    "status", "seat", "share_fen", "invited_on", "responded_on", "responded_by", "released_reason",
)  # fmt: skip


def _batch(row) -> Batch:
    data = dict(row._mapping)
    for name in ("formed_at", "approved_at"):
        if data[name] is not None and data[name].tzinfo is None:  # SQLite drops the offset
            data[name] = data[name].replace(tzinfo=UTC)
    data["costs"] = tuple(Cost(**cost) for cost in data["costs"] or ())
    return Batch(**data)


def _batch_row(batch: Batch) -> dict:
    row = asdict(batch)
    row["costs"] = [asdict(cost) for cost in batch.costs]
    return row


class BatchRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    # -- batches -----------------------------------------------------------------------------

    def add(self, batch: Batch) -> None:
        self.connection.execute(insert(batches), [_batch_row(batch)])

    def get(self, batch_id: str, lock: bool = False) -> Batch | None:
        query = select(batches).where(batches.c.batch_id == batch_id)
        if lock:
            query = query.with_for_update()
        row = self.connection.execute(query).first()
        return _batch(row) if row is not None else None

    def save(self, batch: Batch, read_version: int) -> None:
        """The batch's new state, only over the version it was read at: of two concurrent
        changes the second is refused (BatchChanged) and rolls back."""
        row = _batch_row(batch)
        del row["batch_id"]
        changed = self.connection.execute(
            update(batches)
            .where(batches.c.batch_id == batch.batch_id, batches.c.version == read_version)
            .values(**row)
        ).rowcount
        if changed != 1:
            raise BatchChanged(batch_id=batch.batch_id)

    def find(
        self,
        order_id: str | None = None,
        status: str | None = None,
        hr_company: str | None = None,
        statuses: tuple[str, ...] | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[Batch]:
        """Batches by id (`after` one, at most `limit`: pages for a resync)."""
        query = select(batches).order_by(batches.c.batch_id)
        for column, value in (
            (batches.c.order_id, order_id),
            (batches.c.status, status),
            (batches.c.hr_company, hr_company),
        ):
            if value is not None:
                query = query.where(column == value)
        if statuses is not None:
            query = query.where(batches.c.status.in_(statuses))
        if after is not None:
            query = query.where(batches.c.batch_id > after)
        if limit is not None:
            query = query.limit(limit)
        return [_batch(row) for row in self.connection.execute(query)]

    # -- members and substitutions -----------------------------------------------------------

    def members(self, batch_ids: list[str]) -> dict[str, list[Member]]:
        found: dict[str, list[Member]] = {batch_id: [] for batch_id in batch_ids}
        if not batch_ids:
            return found
        rows = self.connection.execute(
            select(batch_members)
            .where(batch_members.c.batch_id.in_(batch_ids))
            .order_by(batch_members.c.batch_id, batch_members.c.invited_seq)
        )
        for row in rows:
            found[row.batch_id].append(Member(**row._mapping))
        return found

    def add_members(self, members: list[Member]) -> None:
        if members:
            self.connection.execute(insert(batch_members), [asdict(m) for m in members])

    def update_members(self, members: list[Member]) -> None:
        if not members:
            return
        self.connection.execute(
            update(batch_members)
            .where(
                batch_members.c.batch_id == bindparam("b_batch_id"),
                batch_members.c.person_id == bindparam("b_person_id"),
            )
            .values({name: bindparam(name) for name in _MEMBER_UPDATES}),
            [
                dict(
                    {name: getattr(m, name) for name in _MEMBER_UPDATES},
                    b_batch_id=m.batch_id,
                    b_person_id=m.person_id,
                )
                for m in members
            ],
        )

    def substitutions(self, batch_ids: list[str]) -> dict[str, list[Substitution]]:
        found: dict[str, list[Substitution]] = {batch_id: [] for batch_id in batch_ids}
        if not batch_ids:
            return found
        rows = self.connection.execute(
            select(batch_substitutions)
            .where(batch_substitutions.c.batch_id.in_(batch_ids))
            .order_by(batch_substitutions.c.batch_id, batch_substitutions.c.seq)
        )
        for row in rows:
            found[row.batch_id].append(Substitution(**row._mapping))
        return found

    def add_substitution(self, substitution: Substitution) -> None:
        self.connection.execute(insert(batch_substitutions), [asdict(substitution)])

    # -- the pool and bookings ---------------------------------------------------------------

    def candidates(self, person_ids: list[str]) -> dict[str, dict]:
        """What an invitation copies of each person in the pool (active or merged)."""
        rows = self.connection.execute(
            select(
                candidates.c.person_id, candidates.c.name, candidates.c.id_number_masked,
                candidates.c.village_code, candidates.c.agent_id, candidates.c.status,
                candidates.c.booked_by,
            ).where(candidates.c.person_id.in_(set(person_ids)))
        )  # fmt: skip
        return {row.person_id: dict(row._mapping) for row in rows}

    def held_under_merged(self, person_ids: list[str]) -> dict[str, list[str]]:
        """person id -> the records merged into theirs that a batch or placement holds (the
        person is held under them)."""
        found: dict[str, list[str]] = {}
        if person_ids:
            c = candidates.c
            rows = self.connection.execute(
                select(c.merged_into, c.person_id)
                .where(c.merged_into.in_(set(person_ids)), c.booked_by.is_not(None))
                .order_by(c.person_id)
            )
            for row in rows:
                found.setdefault(row.merged_into, []).append(row.person_id)
        return found

    def book(self, person_id: str, batch_id: str) -> bool:
        """Hold the person for the batch, only if nobody holds them, under this record or one
        merged into it: of two concurrent callers the second waits for the first and then finds
        the person held. A merge writes the kept record's row, so a booking waits for a merge
        under way and then (a new statement, after the row's lock) sees the merged record."""
        c, merged = candidates.c, candidates.alias("merged")
        held_under_merged = (
            select(merged.c.person_id)
            .where(merged.c.merged_into == person_id, merged.c.booked_by.is_not(None))
            .exists()
        )
        booked = self.connection.execute(
            update(candidates)
            .where(
                c.person_id == person_id,
                c.status == "active",
                c.booked_by.is_(None),
                ~held_under_merged,
            )
            .values(booked_by=batch_id)
        ).rowcount
        # Booked and yet held under a merged record (merged meanwhile): the caller refuses, and
        # its transaction rolls the booking back.
        return booked == 1 and not self.held_under_merged([person_id])

    def release(self, person_ids: list[str], batch_id: str) -> None:
        """Let these people go, where this batch (and nothing since) holds them."""
        if person_ids:
            self.connection.execute(
                update(candidates)
                .where(
                    candidates.c.person_id.in_(set(person_ids)),
                    candidates.c.booked_by == batch_id,
                )
                .values(booked_by=None)
            )

    def release_one(self, person_id: str, batch_id: str) -> bool:
        """Let the person go, only if this batch holds them now (not a placement since)."""
        return (
            self.connection.execute(
                update(candidates)
                .where(candidates.c.person_id == person_id, candidates.c.booked_by == batch_id)
                .values(booked_by=None)
            ).rowcount
            == 1
        )

    def placed_from(self, batch_id: str, person_id: str) -> str | None:
        """The placement of the person from this batch, if any (placed, ended or not)."""
        return self.connection.execute(
            select(placements.c.placement_id).where(
                placements.c.batch_id == batch_id, placements.c.person_id == person_id
            )
        ).scalar()

    def held_for_order(self, order_id: str) -> int:
        """People the order's batches hold, and the order's active placements."""
        held = self.connection.execute(
            select(func.count())
            .select_from(candidates)
            .where(
                candidates.c.booked_by.in_(
                    select(batches.c.batch_id).where(batches.c.order_id == order_id)
                )
            )
        ).scalar_one()
        held += self.connection.execute(
            select(func.count())
            .select_from(placements)
            .where(and_(placements.c.order_id == order_id, placements.c.status == "active"))
        ).scalar_one()
        return held
