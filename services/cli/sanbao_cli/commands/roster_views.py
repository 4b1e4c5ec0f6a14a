"""How a roster import is shown on the command line: its summary (the same counts registry
stores and the metric counts), the columns and sheets it left unread, a dry run's findings,
and a progress bar that follows it while it validates and while it applies."""

from __future__ import annotations

import sys
import time

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sanbao_cli import output
from sanbao_cli.client import CliError
from sanbao_cli.commands.people_views import attributed, county_time
from sanbao_cli.session import Session

POLL_SECONDS = 0.5
# The summary's outcomes, as registry names them, and as a person reads them. Once an import is
# done they add up to its rows.
OUTCOMES = {
    "registered": "registered (new)",
    "updated": "updated",
    "confirmed": "confirmed (unchanged)",
    "refused_validating": "refused while validating",
    "refused_applying": "refused while applying",
    "held_conflicts": "held for the county",
}
ERRORS_SHOWN = 20  # a dry run's refused rows shown in the table (--json has them all)


def where(sheet: str | None, row: int) -> str:
    return f"{sheet}: row {row}" if sheet else f"row {row}"


def unread_columns(columns: list[dict]) -> str:
    """`sheet: header (looks like poverty)`, one a line."""
    return "\n".join(
        (f"{c['sheet']}: " if c.get("sheet") else "")
        + c["header"]
        + (f" (looks like {c['looks_like']})" if c.get("looks_like") else "")
        for c in columns
    )


def unread_sheets(sheets: list[dict]) -> str:
    return "\n".join(f"{s['sheet']}: {s['reason']}" for s in sheets)


def summary(status: dict) -> dict:
    """An import's status (or a dry run's reply) as a record a person reads."""
    validating = status["status"] == "validating"
    shown = {
        "import id": status.get("import_id"),
        "file": status["filename"],
        "status": status["status"],
        "township": status.get("township"),
        "rows": status["total_rows"],
        "validated": f"{status.get('validated_rows', 0)} of {status['total_rows']}"
        if validating
        else None,
        "applied": f"{status['applied_rows']} of {status['valid_rows']}"
        if status["status"] in ("applying", "failed")
        else None,
        **{label: status.get(name, 0) for name, label in OUTCOMES.items()},
        "unread columns": unread_columns(status.get("ignored_columns") or []),
        "unread sheets": unread_sheets(status.get("ignored_sheets") or []),
        "started": attributed(status.get("started_at"), status.get("started_by")),
        "finished": county_time(status.get("finished_at")),
        "failure": status.get("failure"),
    }
    return {name: value for name, value in shown.items() if value not in (None, "")}


def outcome_line(status: dict) -> str:
    """The summary in one sentence, every outcome named: they add up to the rows."""
    refused = status.get("refused_validating", 0) + status.get("refused_applying", 0)
    verb = "would be" if status.get("dry_run") else "were"
    return (
        f"of {status['total_rows']} row(s), {status.get('registered', 0)} {verb} registered, "
        f"{status.get('updated', 0)} updated, {status.get('confirmed', 0)} confirmed unchanged, "
        f"{refused} refused and {status.get('held_conflicts', 0)} held for the county to confirm"
    )


def show_dry_run(reply: dict, as_json: bool) -> None:
    """A dry run's findings: the summary, what would refuse the import, the rows held and the
    refused rows' reasons (the first ERRORS_SHOWN)."""

    def table() -> None:
        output.record("roster dry run: nothing was written", summary(reply))
        blocking = reply.get("needs_ignore_column") or []
        if blocking:
            options = " ".join(f"--ignore-column {c['header']}" for c in blocking)
            output.note(
                "the import would be refused: these unread columns look like data to keep:\n"
                f"{unread_columns(blocking)}\nrename them to a header registry reads "
                f"(docs/rosters.md), or let them go with {options}"
            )
        held = reply.get("conflicts") or []
        if held:
            output.rows(
                "rows to hold for the county",
                ["sheet", "row"],
                [[c.get("sheet"), c["row_number"]] for c in held],
            )
        errors = reply.get("errors") or []
        if errors:
            output.rows(
                f"refused rows (the first {min(len(errors), ERRORS_SHOWN)} of "
                f"{reply.get('errors_total', len(errors))} problems; --json lists more)",
                ["sheet", "row", "column", "reason"],
                [
                    [e.get("sheet"), e["row_number"], e["column"], e["reason"]]
                    for e in errors[:ERRORS_SHOWN]
                ],
            )
        output.note(f"dry run: {outcome_line(reply)}")

    output.emit(reply, as_json, table=table)


def follow(session: Session, status: dict, as_json: bool = False) -> dict:
    """Polls the import with a progress bar until it is done or failed: rows validated, then
    rows applied. With --json the bar goes to stderr."""
    import_id = status["import_id"]
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    ]
    console = output.errors if as_json else output.console
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("validating rows", total=status["total_rows"] or None)
            while True:
                if status["status"] == "validating":
                    progress.update(task, completed=status.get("validated_rows", 0))
                elif status["status"] == "applying":
                    progress.update(
                        task,
                        description="applying rows",
                        total=status["valid_rows"],
                        completed=status["applied_rows"],
                    )
                if status["status"] not in ("validating", "applying"):
                    return status
                time.sleep(POLL_SECONDS)
                status = session.stack.call("registry", "roster_import_status", import_id)
    except CliError as exc:
        raise CliError(
            exc.code,
            f"{exc.message}. The import goes on in registry: follow it with "
            f"`sanbao roster status {import_id}`",
        ) from None
    except KeyboardInterrupt:
        output.error(
            "INTERRUPTED",
            f"stopped following import {import_id}; it goes on in registry: "
            f"`sanbao roster status {import_id}`",
        )
        sys.exit(130)
