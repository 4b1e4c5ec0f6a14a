"""Rosters in and out: importing a township's roster (staged, chunked, resumable) and exporting
labourers in the import template's columns, so that a township can correct an export and import
it again. Importing:

1. `read` and `stage`: the file is read in a child process within the roster limits
   (`sandbox`, `limits`), outside any transaction; one that cannot be read as a whole (format,
   encoding, header, ID numbers stored as numbers, a limit) is refused with nothing written;
   otherwise the file itself is stored, sealed, to be validated and applied in the background.
2. `apply`: every row is validated, and the refused ones (row number, column, reason) stored
   with the count of valid ones in one transaction; then the valid rows go through
   `registration.apply_people` in chunks, each chunk one transaction that also moves the import's
   progress. A registry that dies mid-import resumes at the first uncommitted chunk when it
   starts again; an operator who repeats the import gets
   the same end state, because a row identical to what is stored only confirms it. Each start
   of `apply` is counted before any work, so an import whose every attempt kills the process
   (out of memory, say) is marked failed after ROSTER_IMPORT_MAX_ATTEMPTS instead of being
   resumed at every start of registry.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidTag

from registry.exceptions import ImportNotFound, RosterRefused
from registry.people import registration
from registry.people.domain import PersonInput, RowProblem, Rules, skills_text
from registry.people.parsing import Parser
from registry.people.repository import Criteria, PeopleRepository
from registry.rosters.limits import (
    DEFAULT_MAX_ATTEMPTS,
    MAX_ATTEMPTS_SETTING,
    RosterLimits,
    RosterUnreadable,
)
from registry.rosters.reading import Roster
from registry.rosters.repository import RosterImportRepository
from registry.rosters.sandbox import read_in_child
from registry_contract.rosters import header_for
from registry_contract.vocabularies import EMPLOYMENT_STATUSES
from sanbao_common.context import Caller
from sanbao_common.crypto import DataKey
from sanbao_common.db import DatabaseHandle, UnitOfWork
from sanbao_common.money import format_yuan

CHUNK = 1000  # rows per transaction: fewer commits (each an fsync), short write locks
COUNTY_TIME = ZoneInfo("Asia/Shanghai")
# An import is "validating", then "applying" (a chunk at a time), then "done"; or "failed".
STATUSES = ("validating", "applying", "done", "failed")
# The file (sealed: ID numbers and phones in full) is kept only while a restarted registry may
# need it to resume; a finished import keeps its name, hash, counts and refused rows.
FILE_DROPPED = {"content": b""}


def read(data: bytes, filename: str, limits: RosterLimits) -> Roster:
    """The roster, read in a child process within `limits`, or RosterRefused when the file as a
    whole cannot be read (the reason code at the end of the English message)."""
    try:
        return read_in_child(data, filename, limits)
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
        self.limits = RosterLimits.from_settings(settings)
        self.max_attempts = settings.get(MAX_ATTEMPTS_SETTING, DEFAULT_MAX_ATTEMPTS)
        # How reading and validating a file run: the service hands them to a native thread,
        # so that a 100,000-row workbook does not stall its other work for a minute.
        self.offload = offload

    def read(self, data: bytes, filename: str) -> Roster:
        return self.offload(read, data, filename, self.limits)

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
        self, uow, data: bytes, filename: str, caller: Caller, scope: str, roster: Roster
    ) -> dict:
        """Store a roster already `read` for `apply`, inside `uow` (the caller commits, with
        the command's idempotency key)."""
        import_id = str(uuid.uuid4())
        RosterImportRepository(uow.connection).add(
            {
                "import_id": import_id,
                "filename": filename[-200:],
                "content": self.key.seal_bytes(data),  # ID numbers and phones in full
                "content_sha256": hashlib.sha256(data).hexdigest(),
                "status": "validating",
                "total_rows": roster.data_rows,
                "valid_rows": 0,
                "applied_rows": 0,
                "registered": 0,
                "updated": 0,
                "confirmed": 0,
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
        """Validate every row (once: refused rows are recorded with the count of valid ones),
        then apply the valid rows from where the import stopped, a chunk per transaction.
        `roster` saves reading the stored file again in the process that has just staged it."""
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
        total, valid, problems = self.offload(validate, roster, rules)
        if state["status"] == "validating" and not self._record_validation(
            import_id, total, valid, problems
        ):
            return self.status(import_id)  # another process got there first
        context = registration.Context(
            caller=caller, key=self.key, scope=state["scope"], source=f"import:{import_id}"
        )
        position = state["applied_rows"]
        while position < len(valid):
            end = min(position + CHUNK, len(valid))
            if not self._apply_chunk(import_id, context, valid, position, end):
                break
            position = end
            time.sleep(0)  # under nameko, let the process answer between chunks
            if progress:
                progress({"applied_rows": position, "valid_rows": len(valid)})
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

    def _record_validation(self, import_id: str, total: int, valid: list, problems: list) -> bool:
        """The counts and the refused rows, once; False if another process recorded them."""
        with self.db.unit_of_work() as uow:
            repository = RosterImportRepository(uow.connection)
            values = {
                "status": "applying" if valid else "done",
                "total_rows": total,
                "valid_rows": len(valid),
                "finished_at": None if valid else datetime.now(UTC),
                **({} if valid else FILE_DROPPED),
            }
            if not repository.move(import_id, values, status="validating"):
                return False
            repository.add_errors(_error_rows(import_id, problems))
            uow.commit()
        return True

    def _apply_chunk(self, import_id: str, context, valid: list, position: int, end: int) -> bool:
        """Rows `position` to `end` applied in one transaction that also moves the import's
        progress; False if another process (a second replica resuming it) moved it first."""
        done = end >= len(valid)
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
            outcome = registration.apply_people(
                uow, valid[position:end], context, register_only=False
            )
            repository.add_errors(
                _error_rows(
                    import_id, [(row, p) for row, found in outcome.refused.items() for p in found]
                )
            )
            repository.count_applied(
                import_id, len(outcome.registered), len(outcome.updated), len(outcome.confirmed)
            )
            uow.commit()
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


# -- exporting -----------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "name", "id_number", "phone", "village_code", "village_group", "household_number",
    "relation_to_head", "poor", "poverty_file_number", "employment_status", "employment_place",
    "skills", "intention_regions", "intention_industries", "expected_wage", "earliest_start",
    "training_intention", "agent",
)  # fmt: skip
# ID numbers and phones are written as text, so Excel keeps every digit.
TEXT_COLUMNS = {EXPORT_COLUMNS.index("id_number"), EXPORT_COLUMNS.index("phone")}
_BATCH = 500


def export_headers() -> list[str]:
    return [header_for(column) for column in EXPORT_COLUMNS]


def export_rows(
    uow: UnitOfWork, criteria: Criteria, key: DataKey, sees_unmasked
) -> tuple[list[list], int]:
    """The labourers matching `criteria` as rows of EXPORT_COLUMNS; ID numbers and phones in
    full where `sees_unmasked(village_code)`, masked elsewhere."""
    repository = PeopleRepository(uow.connection)
    usernames = repository.usernames()
    rows: list[list] = []
    batch: list[dict] = []

    def flush() -> None:
        households = repository.households_by_id(
            sorted({r.household_id for r in batch if r.household_id})
        )
        for record in batch:
            household = households.get(record.household_id)
            unmasked = sees_unmasked(record.village_code)
            phone = record.phone_sealed
            rows.append(
                [
                    record.name,
                    key.decrypt(record.id_sealed) if unmasked else record.id_masked,
                    (key.decrypt(phone) if unmasked else record.phone_masked) if phone else "",
                    record.village_code,
                    str(int(record.village_group[-2:])) if record.village_group else "",
                    household.household_number if household else "",
                    record.relation_to_head or "",
                    ("是" if household.poor else "否") if household else "",
                    (household.poverty_file_number or "") if household else "",
                    EMPLOYMENT_STATUSES.get(record.employment_status, ""),
                    record.employment_place or "",
                    skills_text(record.skills),
                    "；".join(record.intention_regions),
                    "；".join(record.intention_industries),
                    format_yuan(record.expected_wage_fen) if record.expected_wage_fen else "",
                    record.earliest_start.isoformat() if record.earliest_start else "",
                    "；".join(record.training_intention),
                    usernames.get(record.agent_id, "") if record.agent_id else "",
                ]
            )
        batch.clear()
        time.sleep(0)  # under nameko, let the process answer between batches

    for record in repository.stream(criteria, batch=_BATCH):
        batch.append(record)
        if len(batch) == _BATCH:
            flush()
    flush()
    return rows, len(rows)
