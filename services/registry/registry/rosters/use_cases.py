"""Importing a township's roster: staged, validated, applied in chunks, resumable. Exporting
labourers in the same columns is `exporting`.

1. `read` and `stage`: the file is read in a child process within the roster limits
   (`sandbox`, `limits`), outside any transaction; one that cannot be read as a whole (format,
   encoding, header, a limit) is refused with nothing written, and so is one whose unread
   columns look like data to keep and were not let go (`validation.refuse_unread`). Otherwise
   the file itself is stored, sealed, to be validated and applied in the background, with the
   columns and sheets left unread.
2. `apply`: every row is validated, a slice at a time (the import's `validated_rows` moves), and
   the refused ones (sheet, row number, column, reason) stored with the counts in one
   transaction; then the valid rows go through `registration.apply_people` in chunks, each
   chunk one transaction that also moves the import's progress and adds its outcomes to the
   summary. A row naming a registered person under another name, in another township or
   outside the importer's area is held for the county (`conflicts`). Once done, total_rows =
   registered + updated + confirmed + refused_validating + refused_applying + held_conflicts.
   A registry that dies mid-import resumes at the first uncommitted chunk when it starts
   again: the rows found valid are recorded with the validation (`valid_refs`), and a resumed
   import applies exactly those from its position, whatever the village list or the settings
   became meanwhile; a row that no longer validates is refused while applying (`valid_rows`),
   so every row still ends as one outcome. An operator who repeats the import gets the same end
   state, because a row identical to what is stored only confirms it. Each start of `apply` is
   counted before any work, so an import whose every attempt kills the process (out of memory,
   say) is marked failed after ROSTER_IMPORT_MAX_ATTEMPTS instead of being resumed at every
   start of registry.
3. `dry_run`: the same reading, checks and judgement, and nothing written (`dry_run` module).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidTag

from registry import metrics
from registry.exceptions import ImportNotFound, RosterRefused
from registry.people import registration
from registry.people.domain import Rules
from registry.people.parsing import Parser
from registry.people.villages import VillageBook
from registry.rosters import conflicts
from registry.rosters.exporting import (  # noqa: F401  (their old home: tests import them here)
    EXPORT_COLUMNS,
    TEXT_COLUMNS,
    export_headers,
    export_rows,
)
from registry.rosters.limits import (
    DEFAULT_MAX_ATTEMPTS,
    MAX_ATTEMPTS_SETTING,
    RosterLimits,
    RosterUnreadable,
)
from registry.rosters.reading import Roster
from registry.rosters.repository import OUTCOMES, RosterImportRepository
from registry.rosters.sandbox import read_in_child
from registry.rosters.valid_rows import ValidRows, runs_of
from registry.rosters.validation import Validation, error_rows, unread
from sanbao_common.context import Caller
from sanbao_common.crypto import DataKey
from sanbao_common.db import DatabaseHandle

CHUNK = 1000  # rows per transaction: fewer commits (each an fsync), short write locks
SLICE = 2000  # rows validated between two moves of the progress
COUNTY_TIME = ZoneInfo("Asia/Shanghai")
# An import is "validating", then "applying" (a chunk at a time), then "done"; or "failed".
STATUSES = ("validating", "applying", "done", "failed")
# The file (sealed: ID numbers and phones in full) and which of its rows were valid are kept
# only while a restarted registry may need them to resume; a finished import keeps its name,
# hash, counts and refused rows.
FILE_DROPPED = {"content": b"", "valid_refs": None}


def read(data: bytes, filename: str, limits: RosterLimits) -> Roster:
    """The roster, read in a child process within `limits`, or RosterRefused when the file as a
    whole cannot be read (the reason code at the end of the English message)."""
    try:
        return read_in_child(data, filename, limits)
    except RosterUnreadable as exc:
        raise RosterRefused(
            message_en=f"{exc.message_en} ({exc.reason_code})", message_zh=exc.message_zh
        ) from None


def validate(validation: Validation, rows: int) -> bool:
    """Judge up to `rows` more rows of a roster (on a native thread: see `offload`); whether
    any are left."""
    return validation.step(rows)


def rules_for(county: str, settings: dict, started_at: datetime) -> Rules:
    return Rules(
        county=county,
        today=started_at.astimezone(COUNTY_TIME).date(),
        working_age_min=settings["WORKING_AGE_MIN"],
        working_age_max=settings["WORKING_AGE_MAX"],
    )


def chunk_counts(outcome: registration.Outcome) -> dict[str, int]:
    """A chunk's outcomes by the summary's names."""
    return {
        "registered": len(outcome.registered),
        "updated": len(outcome.updated),
        "confirmed": len(outcome.confirmed),
        "refused_applying": len(outcome.refused),
        "held_conflicts": len(outcome.held),
    }


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
        self.limits = RosterLimits.from_settings(settings)
        self.max_attempts = settings.get(MAX_ATTEMPTS_SETTING, DEFAULT_MAX_ATTEMPTS)
        # How reading and validating a file run: the service hands them to a native thread,
        # so that a 100,000-row workbook does not stall its other work for a minute.
        self.offload = offload

    def read(self, data: bytes, filename: str) -> Roster:
        return self.offload(read, data, filename, self.limits)

    def parser(self, rules: Rules, township: str | None, scope: str | None) -> Parser:
        """The parser an import's rows go through. `township` (the import's option, a name or a
        code) is the township of rows that do not name one, for village names to resolve in;
        names resolve only within `scope`, the importer's area (registry.people.villages)."""
        with self.db.reader() as uow:
            villages = VillageBook.load(uow.connection, scope)
        return Parser(rules, villages, township)

    def validation(
        self, roster: Roster, rules: Rules, township: str | None, scope: str | None
    ) -> Validation:
        return Validation(roster, self.parser(rules, township, scope))

    def _opened(self, content: bytes) -> bytes:
        """A staged file, unsealed (or in clear: staged before the upgrade that sealed them)."""
        try:
            return self.key.open_bytes(content)
        except (ValueError, InvalidTag):  # AES-GCM's tag tells the two apart
            return bytes(content)

    def answered(self, idempotency_key: str) -> bool:
        """Whether a command already stored its reply under this key: a retry, which needs the
        file neither read nor staged again."""
        with self.db.reader() as uow:
            return RosterImportRepository(uow.connection).answered(idempotency_key)

    def stage(
        self,
        uow,
        data: bytes,
        filename: str,
        caller: Caller,
        scope: str,
        roster: Roster,
        township: str | None = None,
    ) -> dict:
        """Store a roster already `read` (and checked: `validation.refuse_unread`) for `apply`,
        inside `uow` (the caller commits, with the command's idempotency key)."""
        import_id = str(uuid.uuid4())
        ignored_columns, ignored_sheets = unread(roster)
        RosterImportRepository(uow.connection).add(
            {
                "import_id": import_id,
                "filename": filename[-200:],
                "content": self.key.seal_bytes(data),  # ID numbers and phones in full
                "content_sha256": hashlib.sha256(data).hexdigest(),
                "status": "validating",
                "total_rows": roster.data_rows,
                "validated_rows": 0,
                "valid_rows": 0,
                "applied_rows": 0,
                **dict.fromkeys(OUTCOMES, 0),
                "ignored_columns": ignored_columns,
                "ignored_sheets": ignored_sheets,
                "township": township,
                "started_at": datetime.now(UTC),
                "finished_at": None,
                "started_by": caller.actor,
                "scope": scope,
                "attempts": 0,
            }
        )
        return self._status(uow, import_id)

    def apply(
        self,
        import_id: str,
        caller: Caller,
        roster: Roster | None = None,
        progress: Callable[[dict], None] | None = None,
    ) -> dict:
        """Validate every row (once: refused rows are recorded with the counts), then apply the
        valid rows from where the import stopped, a chunk per transaction. `roster` saves
        reading the stored file again in the process that has just staged it."""
        state, attempts = self._attempt(import_id)
        if state["status"] not in ("validating", "applying"):
            return state
        if attempts > self.max_attempts:
            self.fail(import_id, self._gave_up(attempts - 1, state["status"]))
            return self.status(import_id)
        if roster is None:
            with self.db.reader() as uow:
                content = RosterImportRepository(uow.connection).content(import_id)
            roster = self.read(self._opened(content), state["filename"])
        rules = rules_for(self.county, self.settings, state["started_at"])
        validation = self.validation(roster, rules, state["township"], state["scope"])
        recording = state["status"] == "validating"
        while self.offload(validate, validation, SLICE):
            if recording:
                self._validated(import_id, validation.total)
            time.sleep(0)  # under nameko, let the process answer between slices
        if recording and not self._record_validation(import_id, validation):
            return self.status(import_id)  # another process got there first
        context = registration.Context(
            caller=caller,
            key=self.key,
            scope=state["scope"],
            source=f"import:{import_id}",
            hold_conflicts=True,
        )
        with self.db.reader() as uow:
            refs = RosterImportRepository(uow.connection).valid_refs(import_id)
        if refs is None:  # validated before the valid rows were kept: as it resumed then
            refs = [ref for ref, _ in validation.valid]
        rows = ValidRows(refs, validation)
        position = state["applied_rows"]
        while position < len(refs):
            end = min(position + CHUNK, len(refs))
            if not self._apply_chunk(import_id, context, rows, position, end):
                break
            position = end
            time.sleep(0)  # under nameko, let the process answer between chunks
            if progress:
                progress({"applied_rows": position, "valid_rows": len(refs)})
        return self.status(import_id)

    def _attempt(self, import_id: str) -> tuple[dict, int]:
        """The import's state and, for an unfinished one, its attempts counting this one, which
        is committed before anything else is done: a process killed during it still counts it."""
        with self.db.unit_of_work() as uow:
            state = self._status(uow, import_id)
            if state["status"] not in ("validating", "applying"):
                return state, 0
            attempts = RosterImportRepository(uow.connection).count_attempt(import_id)
            uow.commit()
        return state, attempts

    def _gave_up(self, attempts: int, status: str) -> str:
        """Why an import is failed that no attempt finished: the limit, and what likely hit it."""
        most = self.max_attempts
        return (
            f"gave up after {attempts} attempts, the most ROSTER_IMPORT_MAX_ATTEMPTS ({most})"
            f" allows: the registry process stopped during each (the last while {status}),"
            f" for instance killed for lack of memory / 已尝试 {attempts} 次，达到上限"
            f"（ROSTER_IMPORT_MAX_ATTEMPTS = {most}）：每次导入过程中 registry 进程都停止了"
            "（例如因内存不足被终止）"
        )

    def _validated(self, import_id: str, rows: int) -> None:
        """The validation's progress, for `roster_import_status` to show."""
        with self.db.unit_of_work() as uow:
            RosterImportRepository(uow.connection).move(
                import_id, {"validated_rows": rows}, status="validating"
            )
            uow.commit()

    def _record_validation(self, import_id: str, validation: Validation) -> bool:
        """The counts and the refused rows, once; False if another process recorded them."""
        valid, refused = validation.valid, validation.refused()
        with self.db.unit_of_work() as uow:
            repository = RosterImportRepository(uow.connection)
            values = {
                "status": "applying" if valid else "done",
                "total_rows": validation.total,
                "validated_rows": validation.total,
                "valid_rows": len(valid),
                "refused_validating": refused,
                "valid_refs": runs_of([ref for ref, _ in valid]),
                "finished_at": None if valid else datetime.now(UTC),
                **({} if valid else FILE_DROPPED),
            }
            if not repository.move(import_id, values, status="validating"):
                return False
            repository.add_errors(error_rows(import_id, validation.problems))
            uow.commit()
        metrics.roster_rows.labels("refused_validating").inc(refused)
        return True

    def _apply_chunk(
        self, import_id: str, context, rows: ValidRows, position: int, end: int
    ) -> bool:
        """The valid rows `position` to `end` applied in one transaction that also moves the
        import's progress; False if another process (a second replica resuming it) moved it
        first."""
        done = end >= len(rows.refs)
        with self.db.unit_of_work() as uow:
            repository = RosterImportRepository(uow.connection)
            # Claim the chunk first: another process applying the same import finds the
            # progress moved and stops.
            progressed = {
                "applied_rows": end,
                "status": "done" if done else "applying",
                "finished_at": datetime.now(UTC) if done else None,
                **(FILE_DROPPED if done else {}),
            }
            if not repository.move(import_id, progressed, applied_rows=position):
                return False
            chunk, gone = rows.chunk(position, end)
            outcome = registration.apply_people(uow, chunk, context, register_only=False)
            refused = [(ref, found) for ref, each in outcome.refused.items() for found in each]
            refused += gone
            people = dict(chunk)
            held = [(ref, people[ref], person_id) for ref, person_id in outcome.held.items()]
            conflicts.hold(uow.connection, self.key, import_id, held, context.caller.actor)
            # The importer learns that a row is held, and nothing of whom its ID number names.
            refused += [(ref, conflicts.held_problem()) for ref, _, _ in held]
            repository.add_errors(error_rows(import_id, refused))
            counts = chunk_counts(outcome)
            counts["refused_applying"] += len({ref for ref, _ in gone})
            repository.count_applied(import_id, counts)
            uow.commit()
        for outcome_name, number in counts.items():
            metrics.roster_rows.labels(outcome_name).inc(number)
        return True

    def fail(self, import_id: str, reason: str) -> None:
        with self.db.unit_of_work() as uow:
            RosterImportRepository(uow.connection).move(
                import_id,
                {
                    "status": "failed",
                    "failure": reason[:2000],
                    "finished_at": datetime.now(UTC),
                    **FILE_DROPPED,
                },
            )
            uow.commit()

    def unfinished(self) -> list[dict]:
        with self.db.reader() as uow:
            return RosterImportRepository(uow.connection).unfinished()

    def count_by_status(self) -> dict[str, int]:
        """Every status, with how many imports are in it."""
        with self.db.reader() as uow:
            found = RosterImportRepository(uow.connection).count_by_status()
        return {status: found.get(status, 0) for status in STATUSES}

    def status(self, import_id: str) -> dict:
        with self.db.reader() as uow:
            return self._status(uow, import_id)

    def _status(self, uow, import_id: str) -> dict:
        state = RosterImportRepository(uow.connection).state(import_id)
        if state is None:
            raise ImportNotFound(import_id=import_id)
        return state

    def errors(self, import_id: str) -> list[dict]:
        with self.db.reader() as uow:
            self._status(uow, import_id)
            return RosterImportRepository(uow.connection).errors(import_id)
