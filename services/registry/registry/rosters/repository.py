"""Storage of roster imports (the staged file, progress, refused rows) inside a unit of work's
connection."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from registry.adapters.tables import idempotency_keys, roster_import_errors, roster_imports
from registry.rosters.valid_rows import refs_of
from registry.rosters.validation import Ref

STATUS_COLUMNS = (
    "import_id", "filename", "status", "total_rows", "validated_rows", "valid_rows",
    "applied_rows", "registered", "updated", "confirmed", "refused_validating",
    "refused_applying", "held_conflicts", "ignored_columns", "ignored_sheets", "township",
    "failure", "started_at", "finished_at", "started_by", "scope",
)  # fmt: skip
# What became of a roster's rows: once an import is done, they add up to its total_rows. The
# same names in the import's status, the reply of a dry run and the rows metric.
OUTCOMES = (
    "registered", "updated", "confirmed", "refused_validating", "refused_applying",
    "held_conflicts",
)  # fmt: skip


class RosterImportRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, values: dict) -> None:
        self.connection.execute(insert(roster_imports), values)

    def content(self, import_id: str) -> bytes:
        return self.connection.execute(
            select(roster_imports.c.content).where(roster_imports.c.import_id == import_id)
        ).scalar_one()

    def valid_refs(self, import_id: str) -> list[Ref] | None:
        """The rows found valid when the import's validation was recorded, in file order; None
        for an import recorded before they were kept (or finished)."""
        runs = self.connection.execute(
            select(roster_imports.c.valid_refs).where(roster_imports.c.import_id == import_id)
        ).scalar_one()
        return None if runs is None else refs_of(runs)

    def count_attempt(self, import_id: str) -> int:
        """One more attempt at the import; how many there have been, this one included."""
        self.connection.execute(
            update(roster_imports)
            .where(roster_imports.c.import_id == import_id)
            .values(attempts=roster_imports.c.attempts + 1)
        )
        return self.connection.execute(
            select(roster_imports.c.attempts).where(roster_imports.c.import_id == import_id)
        ).scalar_one()

    def answered(self, idempotency_key: str) -> bool:
        """Whether a command's reply is stored under the key (the kit's idempotency table)."""
        found = self.connection.execute(
            select(idempotency_keys.c.key).where(idempotency_keys.c.key == idempotency_key)
        )
        return found.first() is not None

    def move(self, import_id: str, values: dict, **expected) -> bool:
        """Set `values` on the import if its columns still hold `expected` (a claim: another
        process that got there first leaves nothing to claim); whether it did."""
        conditions = [roster_imports.c[name] == value for name, value in expected.items()]
        moved = self.connection.execute(
            update(roster_imports)
            .where(roster_imports.c.import_id == import_id, *conditions)
            .values(values)
        ).rowcount
        return moved == 1

    def count_applied(self, import_id: str, counts: dict[str, int]) -> None:
        """Add a chunk's outcomes (registered, updated, confirmed, refused_applying,
        held_conflicts) to the import's."""
        c = roster_imports.c
        self.connection.execute(
            update(roster_imports)
            .where(c.import_id == import_id)
            .values({name: c[name] + number for name, number in counts.items()})
        )

    def add_errors(self, errors: list[dict]) -> None:
        if errors:
            self.connection.execute(insert(roster_import_errors), errors)

    def unfinished(self) -> list[dict]:
        rows = self.connection.execute(
            select(roster_imports.c.import_id, roster_imports.c.started_by).where(
                roster_imports.c.status.in_(("validating", "applying"))
            )
        )
        return [dict(row._mapping) for row in rows]

    def count_by_status(self) -> dict[str, int]:
        rows = self.connection.execute(
            select(roster_imports.c.status, func.count()).group_by(roster_imports.c.status)
        )
        return dict(rows.all())

    def state(self, import_id: str) -> dict | None:
        """The import's progress and summary, with how many rows were refused in all."""
        row = self.connection.execute(
            select(*(roster_imports.c[name] for name in STATUS_COLUMNS)).where(
                roster_imports.c.import_id == import_id
            )
        ).first()
        if row is None:
            return None
        state = dict(row._mapping)
        for name in ("started_at", "finished_at"):
            if state[name] is not None and state[name].tzinfo is None:
                state[name] = state[name].replace(tzinfo=UTC)
        state["refused_rows"] = state["refused_validating"] + state["refused_applying"]
        return state

    def errors(self, import_id: str) -> list[dict]:
        rows = self.connection.execute(
            select(roster_import_errors)
            .where(roster_import_errors.c.import_id == import_id)
            .order_by(
                roster_import_errors.c.sheet,
                roster_import_errors.c.row_number,
                roster_import_errors.c.column,
            )
        )
        return [dict(row._mapping, sheet=row.sheet or None) for row in rows]
