"""Storage of distributions and their lines inside a unit of work's connection."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from settlement.adapters.money_tables import distribution_lines, distributions
from settlement.distributions.domain import Line
from settlement.distributions.errors import DistributionChanged


def _row(row) -> dict:
    data = dict(row._mapping)
    for name in ("expires_at", "requested_at", "updated_at"):
        if data[name] is not None and data[name].tzinfo is None:  # SQLite drops the offset
            data[name] = data[name].replace(tzinfo=UTC)
    return data


class DistributionRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, row: dict, lines: list[Line]) -> None:
        self.connection.execute(insert(distributions), [row])
        if not lines:  # one settlement refused: nothing asked
            return
        self.connection.execute(
            insert(distribution_lines),
            [
                {
                    "distribution_id": row["distribution_id"],
                    "line_no": n,
                    "statement_ref": row["statement_ref"],
                    "payee_id": line.payee_id,
                    "amount_fen": line.amount_fen,
                    "purpose": line.purpose,
                    "reference": line.reference,
                }
                for n, line in enumerate(lines, start=1)
            ],
        )

    def get(self, distribution_id: str, lock: bool = False) -> dict | None:
        query = select(distributions).where(distributions.c.distribution_id == distribution_id)
        if lock:
            query = query.with_for_update()
        row = self.connection.execute(query).first()
        return _row(row) if row is not None else None

    def by_key(self, request_key: str, lock: bool = False) -> dict | None:
        query = select(distributions).where(distributions.c.request_key == request_key)
        if lock:
            query = query.with_for_update()
        row = self.connection.execute(query).first()
        return _row(row) if row is not None else None

    def save(self, distribution: dict, read_version: int) -> dict:
        """The distribution's new state at the next version, only over the version it was read
        at (of two concurrent changes the second is refused and rolls back)."""
        changed = dict(distribution, version=read_version + 1)
        values = {k: v for k, v in changed.items() if k != "distribution_id"}
        count = self.connection.execute(
            update(distributions)
            .where(
                distributions.c.distribution_id == distribution["distribution_id"],
                distributions.c.version == read_version,
            )
            .values(**values)
        ).rowcount
        if count != 1:
            raise DistributionChanged(distribution_id=distribution["distribution_id"])
        return changed

    def find(self, period: str | None = None, statement_ref: str | None = None) -> list[dict]:
        query = select(distributions).order_by(
            distributions.c.period, distributions.c.statement_ref, distributions.c.requested_at,
            distributions.c.request_key,
        )  # fmt: skip
        if period is not None:
            query = query.where(distributions.c.period == period)
        if statement_ref is not None:
            query = query.where(distributions.c.statement_ref == statement_ref)
        return [_row(row) for row in self.connection.execute(query)]

    def lines(self, distribution_ids: list[str]) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {d: [] for d in distribution_ids}
        if not distribution_ids:
            return found
        query = (
            select(distribution_lines)
            .where(distribution_lines.c.distribution_id.in_(distribution_ids))
            .order_by(distribution_lines.c.distribution_id, distribution_lines.c.line_no)
        )
        for row in self.connection.execute(query):
            found[row.distribution_id].append(dict(row._mapping))
        return found

    def asked(self, statement_ref: str) -> dict[str, int]:
        """What was asked for each payee of a statement's receivable, over all its
        distributions (whatever became of them: a failed one is asked for again)."""
        query = (
            select(distribution_lines.c.payee_id, func.sum(distribution_lines.c.amount_fen))
            .where(distribution_lines.c.statement_ref == statement_ref)
            .group_by(distribution_lines.c.payee_id)
        )
        return {payee: int(total) for payee, total in self.connection.execute(query)}
