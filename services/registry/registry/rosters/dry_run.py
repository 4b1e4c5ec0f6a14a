"""A roster import that writes nothing (`start_roster_import` with `dry_run`): what an import of
the file would do, told before it is done.

The file is read and checked as for an import (the columns and sheets left unread, those that
look like data to keep and would refuse the import), every row is validated, and the valid rows
go through `registration.apply_people`, the very judgement an import makes, chunk by chunk:
each chunk inside a transaction that is rolled back, never committed. The people, households,
history and outbox events a chunk writes vanish with it; nothing else is written at all (no
import, no refused rows, no held conflict, no idempotency key). What is left of it is a log line
(who ran it, the file's SHA-256 and the counts: no name, ID number or row) and the counter
`sanbao_registry_roster_dry_runs_total`.

Its limits, said plainly:
- Counts are those of the database as it is now: another import or registration before the real
  import can change them.
- Each chunk of CHUNK rows is judged against what is stored, not against the chunks before it
  (they were rolled back). A person's outcome depends only on what is stored for their ID number
  and on their own row, so the counts are the import's; a household that a row of an earlier
  chunk would create is simply created again, in the later chunk's transaction, and dropped.
- While a chunk is judged it holds locks a real chunk would hold (on SQLite, the write lock);
  reading and validating the file take one of the process's reading slots (`background`), as
  an import's do; and the reply comes when every row is judged, within the call: a county's
  roster takes as long as its import's validation and application, so the caller waits that
  long (the CLI gives a dry run a longer timeout).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from registry import metrics
from registry.people import registration
from registry.rosters.repository import OUTCOMES
from registry.rosters.use_cases import (
    CHUNK,
    SLICE,
    RosterImporter,
    chunk_counts,
    rules_for,
    validate,
)
from registry.rosters.validation import Ref, error_rows, not_let_go, unread
from sanbao_common.context import Caller

log = logging.getLogger(__name__)

MAX_LISTED = 1000  # refused rows' problems listed in the reply at most (errors_total: all)


def dry_run(
    importer: RosterImporter,
    roster,
    filename: str,
    caller: Caller,
    scope: str,
    township: str | None,
    ignore_columns: list[str],
    sha256: str | None = None,
) -> dict:
    """What importing `roster` now would do, in an import's summary shape, with the unread
    columns that would refuse it (`needs_ignore_column`), the refused rows' problems and the
    rows that would be held (their sheet and row number only). Logged (`sha256`: the file's)
    and counted once done."""
    columns, sheets = unread(roster)
    started = datetime.now(UTC)
    rules = rules_for(importer.county, importer.settings, started)
    validation = importer.validation(roster, rules, township, scope)
    while importer.offload(validate, validation, SLICE):
        time.sleep(0)  # under nameko, let the process answer between slices
    context = registration.Context(
        caller=caller, key=importer.key, scope=scope, source="dry-run", hold_conflicts=True
    )
    counts = dict.fromkeys(OUTCOMES, 0)
    counts["refused_validating"] = validation.refused()
    problems = list(validation.problems)
    held: list[Ref] = []
    valid = validation.valid
    for position in range(0, len(valid), CHUNK):
        with importer.db.unit_of_work() as uow:
            outcome = registration.apply_people(
                uow, valid[position : position + CHUNK], context, register_only=False
            )
            # Never committed: leaving the block rolls back everything the chunk wrote.
        for name, number in chunk_counts(outcome).items():
            counts[name] += number
        problems += [(ref, problem) for ref, found in outcome.refused.items() for problem in found]
        held += list(outcome.held)
        time.sleep(0)
    errors = [
        {"sheet": e["sheet"] or None, "row_number": e["row_number"], "column": e["column"],
         "reason": e["reason"]}
        for e in error_rows("", problems)
    ]  # fmt: skip
    _trace(caller, sha256, scope, validation.total, len(valid), counts)
    return {
        "dry_run": True,
        "import_id": None,
        "filename": filename,
        "status": "dry_run",
        "total_rows": validation.total,
        "validated_rows": validation.total,
        "valid_rows": len(valid),
        "applied_rows": 0,
        **counts,
        "refused_rows": counts["refused_validating"] + counts["refused_applying"],
        "ignored_columns": columns,
        "ignored_sheets": sheets,
        "needs_ignore_column": not_let_go(columns, ignore_columns),
        "conflicts": [{"sheet": sheet, "row_number": row} for sheet, row in held],
        "errors": errors[:MAX_LISTED],
        "errors_total": len(errors),
        "township": township,
        "scope": scope,
        "started_by": caller.actor,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
    }


def _trace(caller: Caller, sha256, scope: str, total: int, valid: int, counts: dict) -> None:
    """The trace a dry run leaves: a log line (fields, no personal data) and the counter."""
    metrics.roster_dry_runs.inc()
    log.info(
        "roster dry run",
        extra={"event": "roster_dry_run", "actor": caller.actor, "sha256": sha256,
               "scope": scope, "total_rows": total, "valid_rows": valid, "counts": counts},
    )  # fmt: skip
