"""Storage of placements and their follow-ups inside a unit of work's connection, and what a
placement reads of batches, orders and the candidate pool when it starts.

Booking: a person's `candidates.booked_by` names the one open batch or placement holding them.
Starting a placement moves it from the batch to the placement, ending one clears it; both are
conditional updates (only from the holder expected), so a race leaves one winner."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from dispatch.adapters.batch_tables import batch_members, batches
from dispatch.adapters.order_tables import employers, job_orders
from dispatch.adapters.placement_tables import placement_follow_ups, placements
from dispatch.adapters.tables import candidates
from dispatch.placements.domain import FollowUp, Placement
from dispatch.placements.errors import (
    AlreadyPlaced,
    FollowUpRecorded,
    PlacementChanged,
    PlacementEnded,
)
from dispatch_contract.placements import ACTIVE

ARRIVED = "arrived"  # a batch member who reached the employer (dispatch.batches)


def _aware(data: dict) -> dict:
    """A row's values, its times in UTC (SQLite gives them back without their offset)."""
    for name, value in data.items():
        if isinstance(value, datetime) and value.tzinfo is None:
            data[name] = value.replace(tzinfo=UTC)
    return data


class PlacementRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    # -- what a start reads --------------------------------------------------------------------

    def arrived_member(self, batch_id: str, person_id: str) -> dict | None:
        """The batch (id, order, agreement, HR company, status, arrival date) and the member as
        the roster froze them, if the person is an arrived member of it; else None."""
        b, m = batches.c, batch_members.c
        row = self.connection.execute(
            select(
                b.batch_id,
                b.order_id,
                b.agreement_id,
                b.hr_company,
                b.arrived_on,
                m.person_id,
                m.name,
                m.id_number_masked,
                m.village_code,
                m.agent_id,
            )  # fmt: skip
            .select_from(batches.join(batch_members, b.batch_id == m.batch_id))
            .where(b.batch_id == batch_id, m.person_id == person_id, m.status == ARRIVED)
        ).first()
        return None if row is None else dict(row._mapping)

    def batch_company(self, batch_id: str) -> str | None:
        return self.connection.execute(
            select(batches.c.hr_company).where(batches.c.batch_id == batch_id)
        ).scalar()

    def order_place(self, order_id: str) -> dict:
        """The order's employer (id, name) and where the work is (place scope, place)."""
        row = self.connection.execute(
            select(
                job_orders.c.employer_id,
                employers.c.name.label("employer_name"),
                job_orders.c.place_scope,
                job_orders.c.place,
            )  # fmt: skip
            .select_from(
                job_orders.join(employers, job_orders.c.employer_id == employers.c.employer_id)
            )
            .where(job_orders.c.order_id == order_id)
        ).one()
        return dict(row._mapping)

    def candidate(self, person_id: str) -> dict | None:
        """The pool's copy of the person now (village, agent, poor flag, booking)."""
        c = candidates.c
        row = self.connection.execute(
            select(c.village_code, c.agent_id, c.poor, c.booked_by, c.status).where(
                c.person_id == person_id
            )
        ).first()
        return None if row is None else dict(row._mapping)

    # -- booking -------------------------------------------------------------------------------

    def move_booking(self, person_id: str, holder: str | None, to: str | None) -> bool:
        """The person's booking moved from `holder` to `to`, only if `holder` holds it now."""
        held = (
            candidates.c.booked_by.is_(None) if holder is None else candidates.c.booked_by == holder
        )
        return (
            self.connection.execute(
                update(candidates)
                .where(candidates.c.person_id == person_id, held)
                .values(booked_by=to)
            ).rowcount
            == 1
        )

    # -- placements ----------------------------------------------------------------------------

    def add(self, placement: Placement) -> None:
        """Stored, or AlreadyPlaced when the person was placed from this batch, even by a
        concurrent call (the unique key decides; this transaction then rolls back)."""
        row = asdict(placement)
        del row["follow_ups"]
        try:
            self.connection.execute(insert(placements), [row])
        except IntegrityError:
            raise AlreadyPlaced(
                batch_id=placement.batch_id, person_id=placement.person_id
            ) from None

    def placed_from(self, batch_id: str, person_id: str) -> str | None:
        return self.connection.execute(
            select(placements.c.placement_id).where(
                placements.c.batch_id == batch_id, placements.c.person_id == person_id
            )
        ).scalar()

    def get(self, placement_id: str) -> Placement | None:
        found = self._load(placements.c.placement_id == placement_id)
        return found[0] if found else None

    def _load(self, *conditions, after: str | None = None, limit: int | None = None) -> list:
        query = select(placements).where(*conditions).order_by(placements.c.placement_id)
        if after is not None:
            query = query.where(placements.c.placement_id > after)
        if limit is not None:
            query = query.limit(limit)
        rows = [_aware(dict(row._mapping)) for row in self.connection.execute(query)]
        follow_ups = self._follow_ups([row["placement_id"] for row in rows])
        return [
            Placement(**row, follow_ups=follow_ups.get(row["placement_id"], ())) for row in rows
        ]

    def _follow_ups(self, placement_ids: list[str]) -> dict[str, tuple[FollowUp, ...]]:
        found: dict[str, list[FollowUp]] = {}
        for start in range(0, len(placement_ids), 500):
            rows = self.connection.execute(
                select(placement_follow_ups)
                .where(placement_follow_ups.c.placement_id.in_(placement_ids[start : start + 500]))
                .order_by(placement_follow_ups.c.placement_id, placement_follow_ups.c.month)
            )
            for row in rows:
                data = _aware(dict(row._mapping))
                found.setdefault(data.pop("placement_id"), []).append(FollowUp(**data))
        return {key: tuple(value) for key, value in found.items()}

    def find(
        self,
        hr_company: str | None = None,
        status: str | None = None,
        batch_id: str | None = None,
        person_id: str | None = None,
        area: str | None = None,
        statuses: tuple[str, ...] | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[Placement]:
        """Placements by id, filtered (`area`: a division code the village code starts with)."""
        p = placements.c
        wanted = {p.hr_company: hr_company, p.status: status, p.batch_id: batch_id,
                  p.person_id: person_id}  # fmt: skip
        conditions = [column == value for column, value in wanted.items() if value is not None]
        if area is not None:
            conditions.append(p.village_code.startswith(area, autoescape=True))
        if statuses is not None:
            conditions.append(p.status.in_(statuses))
        return self._load(*conditions, after=after, limit=limit)

    def _save(self, placement: Placement, **values) -> None:
        """The placement's change, only over the version it was read at: of two concurrent
        changes, the second finds it changed and is refused."""
        changed = self.connection.execute(
            update(placements)
            .where(
                placements.c.placement_id == placement.placement_id,
                placements.c.version == placement.version - 1,
                placements.c.status == ACTIVE,
            )
            .values(version=placement.version, **values)
        ).rowcount
        if changed != 1:
            status = self.connection.execute(
                select(placements.c.status).where(
                    placements.c.placement_id == placement.placement_id
                )
            ).scalar()
            error = PlacementChanged if status == ACTIVE else PlacementEnded
            raise error(placement_id=placement.placement_id)

    def save_follow_up(self, placement: Placement, record: FollowUp) -> None:
        self._save(placement, current_wage_fen=placement.current_wage_fen)
        try:
            self.connection.execute(
                insert(placement_follow_ups),
                [dict(asdict(record), placement_id=placement.placement_id)],
            )
        except IntegrityError:
            raise FollowUpRecorded(
                placement_id=placement.placement_id, month=record.month
            ) from None

    def save_ended(self, placement: Placement) -> None:
        self._save(
            placement, status=placement.status, ended_on=placement.ended_on,
            end_reason=placement.end_reason, end_note=placement.end_note,
            ended_at=placement.ended_at, ended_by=placement.ended_by,
        )  # fmt: skip

    def facts(self) -> list[dict]:
        """Every placement as the degree of organisation counts it: person, scope, start, end."""
        p = placements.c
        rows = self.connection.execute(
            select(p.person_id, p.place_scope, p.starts_on, p.ended_on).order_by(p.placement_id)
        )
        return [dict(row._mapping) for row in rows]
