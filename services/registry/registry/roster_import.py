"""Importing a township's roster: staged, chunked, resumable.

1. `stage`: the file is read; one that cannot be read as a whole (format, encoding, header,
   ID numbers stored as numbers) is refused with nothing written; otherwise the file itself is
   stored, to be validated and applied in the background.
2. `apply`: every row is validated, and the refused ones (row number, column, reason) stored
   with the count of valid ones in one transaction; then the valid rows go through
   `handlers.apply_people` in chunks, each chunk one transaction that also moves the import's
   progress. A registry that dies mid-import resumes
   at the first uncommitted chunk when it starts again; an operator who repeats the import gets
   the same end state, because a row identical to what is stored only confirms it.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update

from registry import handlers
from registry.adapters.tables import roster_import_errors, roster_imports
from registry.domain.people import Parser, PersonInput, RowProblem, Rules
from registry.exceptions import ImportNotFound, RosterRefused
from registry.rosters.reading import Roster, RosterUnreadable, open_roster
from sanbao_common.context import Caller
from sanbao_common.crypto import DataKey
from sanbao_common.db import DatabaseHandle

CHUNK = 1000  # rows per transaction: fewer commits (each an fsync), short write locks
COUNTY_TIME = ZoneInfo("Asia/Shanghai")
# An import is "validating", then "applying" (a chunk at a time), then "done"; or "failed".
STATUSES = ("validating", "applying", "done", "failed")
# The file (ID numbers and phones in full) is kept only while a restarted registry may need it to
# resume; a finished import keeps its name, hash, counts and refused rows.
FILE_DROPPED = {"content": b""}
STATUS_COLUMNS = (
    "import_id", "filename", "status", "total_rows", "valid_rows", "applied_rows", "registered",
    "updated", "confirmed", "failure", "started_at", "finished_at", "started_by", "scope",
)  # fmt: skip


def read(data: bytes, filename: str) -> Roster:
    """The roster, or RosterRefused when the file as a whole cannot be read."""
    try:
        return open_roster(data, filename)
    except RosterUnreadable as exc:
        raise RosterRefused(
            message_en=f"{exc.message_en} ({exc.reason_code})", message_zh=exc.message_zh
        ) from None


def validate(roster: Roster, rules: Rules):
    """The valid people of a roster, in file order, and the problems of the others."""
    parser = Parser(rules)
    valid: list[tuple[int, PersonInput]] = []
    problems: list[tuple[int, RowProblem]] = []
    first_row_of: dict[str, int] = {}
    total = 0
    present = tuple(roster.columns)
    for row_number, row in roster.rows():
        total += 1
        # A column the file has but a row leaves blank clears that value; a column the file
        # does not have leaves it as it is.
        for column in present:
            row.setdefault(column, "")
        person, found = parser.parse(row)
        if person is not None:
            earlier = first_row_of.setdefault(person.id_number, row_number)
            if earlier != row_number:
                found = [
                    RowProblem(
                        "id_number",
                        f"与第{earlier}行身份证号重复",
                        f"same ID number as row {earlier}",
                    )
                ]
                person = None
        if person is None:
            problems.extend((row_number, problem) for problem in found)
        else:
            valid.append((row_number, person))
    return total, valid, problems


def _error_rows(import_id: str, problems: list[tuple[int, RowProblem]]) -> list[dict]:
    merged: dict[tuple[int, str], str] = {}
    for row_number, problem in problems:
        key = (row_number, problem.column)
        merged[key] = f"{merged[key]}；{problem.reason_zh}" if key in merged else problem.reason_zh
    return [
        {"import_id": import_id, "row_number": row, "column": column, "reason": reason}
        for (row, column), reason in merged.items()
    ]


def rules_for(county: str, settings: dict, started_at: datetime) -> Rules:
    return Rules(
        county=county,
        today=started_at.astimezone(COUNTY_TIME).date(),
        working_age_min=settings["WORKING_AGE_MIN"],
        working_age_max=settings["WORKING_AGE_MAX"],
    )


class RosterImporter:
    """Imports rosters into one registry database."""

    def __init__(
        self,
        db: DatabaseHandle,
        key: DataKey,
        county: str,
        settings: dict,
        offload: Callable = lambda function, *args: function(*args),
    ):
        self.db, self.key, self.county, self.settings = db, key, county, settings
        # How reading and validating a file run: the service hands them to a native thread,
        # so that a 100,000-row workbook does not stall its other work for a minute.
        self.offload = offload

    def read(self, data: bytes, filename: str) -> Roster:
        return self.offload(read, data, filename)

    def stage(
        self, uow, data: bytes, filename: str, caller: Caller, scope: str, roster: Roster
    ) -> dict:
        """Store a roster already `read` for `apply`, inside `uow` (the caller commits, with
        the command's idempotency key)."""
        started_at = datetime.now(UTC)
        import_id = str(uuid.uuid4())
        uow.connection.execute(
            insert(roster_imports),
            {
                "import_id": import_id,
                "filename": filename[-200:],
                "content": data,
                "content_sha256": hashlib.sha256(data).hexdigest(),
                "status": "validating",
                "total_rows": roster.data_rows,
                "valid_rows": 0,
                "applied_rows": 0,
                "registered": 0,
                "updated": 0,
                "confirmed": 0,
                "started_at": started_at,
                "finished_at": None,
                "started_by": caller.actor,
                "scope": scope,
            },
        )
        return self._status(uow, import_id)

    def apply(
        self,
        import_id: str,
        caller: Caller,
        roster: Roster | None = None,
        progress: Callable[[dict], None] | None = None,
    ) -> dict:
        """Validate every row (once: refused rows are recorded with the count of valid ones),
        then apply the valid rows from where the import stopped, a chunk per transaction.
        `roster` saves reading the stored file again in the process that has just staged it."""
        with self.db.reader() as uow:
            state = self._status(uow, import_id)
            if state["status"] not in ("validating", "applying"):
                return state
            if roster is None:
                content = uow.connection.execute(
                    select(roster_imports.c.content).where(roster_imports.c.import_id == import_id)
                ).scalar_one()
        if roster is None:
            roster = self.read(content, state["filename"])
        rules = rules_for(self.county, self.settings, state["started_at"])
        total, valid, problems = self.offload(validate, roster, rules)
        if state["status"] == "validating":
            with self.db.unit_of_work() as uow:
                validated = uow.connection.execute(
                    update(roster_imports)
                    .where(
                        roster_imports.c.import_id == import_id,
                        roster_imports.c.status == "validating",
                    )
                    .values(
                        status="applying" if valid else "done",
                        total_rows=total,
                        valid_rows=len(valid),
                        finished_at=None if valid else datetime.now(UTC),
                        **({} if valid else FILE_DROPPED),
                    )
                ).rowcount
                if validated != 1:  # another process got there first
                    return self._status(uow, import_id)
                errors = _error_rows(import_id, problems)
                if errors:
                    uow.connection.execute(insert(roster_import_errors), errors)
                uow.commit()
        context = handlers.Context(
            caller=caller,
            key=self.key,
            scope=state["scope"],
            source=f"import:{import_id}",
        )
        position = state["applied_rows"]
        while position < len(valid):
            chunk = valid[position : position + CHUNK]
            end = position + len(chunk)
            done = end >= len(valid)
            with self.db.unit_of_work() as uow:
                # Claim the chunk first: another process applying the same import (a second
                # replica resuming it) finds the progress moved and stops.
                claimed = uow.connection.execute(
                    update(roster_imports)
                    .where(
                        roster_imports.c.import_id == import_id,
                        roster_imports.c.applied_rows == position,
                    )
                    .values(
                        applied_rows=end,
                        status="done" if done else "applying",
                        finished_at=datetime.now(UTC) if done else None,
                        **(FILE_DROPPED if done else {}),
                    )
                ).rowcount
                if claimed != 1:
                    break
                outcome = handlers.apply_people(uow, chunk, context, register_only=False)
                errors = _error_rows(
                    import_id,
                    [(row, p) for row, found in outcome.refused.items() for p in found],
                )
                if errors:
                    uow.connection.execute(insert(roster_import_errors), errors)
                uow.connection.execute(
                    update(roster_imports)
                    .where(roster_imports.c.import_id == import_id)
                    .values(
                        registered=roster_imports.c.registered + len(outcome.registered),
                        updated=roster_imports.c.updated + len(outcome.updated),
                        confirmed=roster_imports.c.confirmed + len(outcome.confirmed),
                    )
                )
                uow.commit()
            position = end
            time.sleep(0)  # under nameko, let the process answer between chunks
            if progress:
                progress({"applied_rows": position, "valid_rows": len(valid)})
        with self.db.reader() as uow:
            return self._status(uow, import_id)

    def fail(self, import_id: str, reason: str) -> None:
        with self.db.unit_of_work() as uow:
            uow.connection.execute(
                update(roster_imports)
                .where(roster_imports.c.import_id == import_id)
                .values(
                    status="failed",
                    failure=reason[:2000],
                    finished_at=datetime.now(UTC),
                    **FILE_DROPPED,
                )
            )
            uow.commit()

    def unfinished(self) -> list[dict]:
        with self.db.reader() as uow:
            rows = uow.connection.execute(
                select(roster_imports.c.import_id, roster_imports.c.started_by).where(
                    roster_imports.c.status.in_(("validating", "applying"))
                )
            )
            return [dict(row._mapping) for row in rows]

    def count_by_status(self) -> dict[str, int]:
        """Every status, with how many imports are in it."""
        with self.db.reader() as uow:
            rows = uow.connection.execute(
                select(roster_imports.c.status, func.count()).group_by(roster_imports.c.status)
            )
            found = dict(rows.all())
        return {status: found.get(status, 0) for status in STATUSES}

    def status(self, import_id: str) -> dict:
        with self.db.reader() as uow:
            return self._status(uow, import_id)

    def _status(self, uow, import_id: str) -> dict:
        row = uow.connection.execute(
            select(*(roster_imports.c[name] for name in STATUS_COLUMNS)).where(
                roster_imports.c.import_id == import_id
            )
        ).first()
        if row is None:
            raise ImportNotFound(import_id=import_id)
        state = dict(row._mapping)
        for name in ("started_at", "finished_at"):
            if state[name] is not None and state[name].tzinfo is None:
                state[name] = state[name].replace(tzinfo=UTC)
        state["refused_rows"] = uow.connection.execute(
            select(func.count(roster_import_errors.c.row_number.distinct())).where(
                roster_import_errors.c.import_id == import_id
            )
        ).scalar_one()
        return state

    def errors(self, import_id: str) -> list[dict]:
        with self.db.reader() as uow:
            self._status(uow, import_id)
            rows = uow.connection.execute(
                select(roster_import_errors)
                .where(roster_import_errors.c.import_id == import_id)
                .order_by(roster_import_errors.c.row_number, roster_import_errors.c.column)
            )
            return [dict(row._mapping) for row in rows]
