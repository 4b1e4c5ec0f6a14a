"""Township rosters (花名册) from the command line: import one (or try it: --dry-run) and follow
it, its refused and held rows, the identity conflicts held for the county (`roster_conflicts`),
export labourers as one, write an example to start from. How an import is shown is
`roster_views`."""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
from contextlib import contextmanager
from pathlib import Path

import click
from click.core import ParameterSource
from rich.markup import escape

from registry_contract.rosters import MAX_ROSTER_BYTES, ROSTER_PART_BYTES
from sanbao_cli import output
from sanbao_cli.client import CliError
from sanbao_cli.commands import roster_conflicts, roster_views
from sanbao_cli.params import AREA, KEY_OPTION
from sanbao_cli.session import Session, repeatable

FORMATS = click.Choice(["xlsx", "csv"])
ID_HEADER = "身份证号"  # the ID number column of an export
# A dry run answers once every row is judged, within the call (a county's roster: minutes), so
# unless --timeout (or SANBAO_TIMEOUT) says otherwise it is waited for this long, not 10 s.
DRY_RUN_TIMEOUT = 600.0


def _decoded(reply: dict) -> bytes:
    try:
        return base64.b64decode(reply["content_base64"], validate=True)
    except (KeyError, TypeError, binascii.Error) as exc:
        raise CliError("BAD_REPLY", f"registry sent a file that is not base64: {exc}") from None


def _write(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise CliError("WRITE_FAILED", f"cannot write {path}: {exc.strerror or exc}") from None


def _format_for(path: str | None, fmt: str | None) -> str:
    """The format asked for, else the one the file's extension names, else xlsx."""
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".") if path else ""
    return suffix if suffix in ("xlsx", "csv") else "xlsx"


def _save_errors(session: Session, import_id: str, fmt: str, path: Path) -> int:
    reply = session.stack.call("registry", "roster_import_errors", import_id, fmt)
    _write(path, _decoded(reply))
    return reply["rows"]


@click.group()
def roster():
    """Township rosters (花名册): import (or try one: --dry-run) and follow, the rows held for
    the county (conflicts), export, and an example to start from."""


@roster.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--errors-to",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the refused and held rows and why (default: FILE's name with "
    ".errors.xlsx, next to it).",
)
@click.option(
    "--format",
    "fmt",
    type=FORMATS,
    help="Of the error file (default: --errors-to's extension, else xlsx).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check the file and show what the import would do (registered, updated, confirmed, "
    "refused, held; unread columns and sheets), writing nothing.",
)
@click.option(
    "--ignore-column",
    "ignore_columns",
    multiple=True,
    metavar="HEADER",
    help="A column left unread although it looks like data to keep (e.g. 是否建档立卡户): "
    "without it such a file is refused. Repeat for each such column.",
)
@click.option(
    "--township",
    metavar="NAME_OR_CODE",
    help="The township of rows that name none, for village names to resolve in.",
)
@KEY_OPTION
@output.JSON_OPTION
@click.pass_obj
def roster_import(
    session: Session, file: Path, errors_to, fmt, dry_run, ignore_columns, township,
    idempotency_key, as_json,
):  # fmt: skip
    """Import a township's roster (CSV, XLSX or XLS): every row is checked first, then the valid
    ones are applied while a progress bar follows them; refused rows, and rows held for the
    county to confirm (an ID number registered under another name or elsewhere), go to an error
    file. A large roster may need a longer --timeout (given before `roster`); a dry run is
    waited for up to 600 s unless --timeout is given."""
    fmt = _format_for(str(errors_to) if errors_to else None, fmt)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CliError("READ_FAILED", f"cannot read {file}: {exc.strerror or exc}") from None
    if len(data) > MAX_ROSTER_BYTES:
        raise CliError(
            "ROSTER_TOO_LARGE",
            f"{file} is {len(data) / 2**20:.1f} MiB; registry takes a roster of up to "
            f"{MAX_ROSTER_BYTES // 2**20} MiB at a time: split it by township and import "
            "each part (nothing was sent)",
        )
    options = {"dry_run": True} if dry_run else {}
    options |= {"ignore_columns": list(ignore_columns)} if ignore_columns else {}
    options |= {"township": township} if township else {}
    # Named after the idempotency key: repeating the command with it sends the same upload.
    upload_id = f"{idempotency_key}.upload"
    doing = "checking every row (nothing is written)" if dry_run else "checking the file"
    with (
        (output.errors if as_json else output.console).status(
            f"sending {escape(file.name)} and {doing}"
        ),
        repeatable(idempotency_key),
    ):
        sha256 = upload_parts(
            lambda method, *args: session.stack.call("registry", method, *args), upload_id, data
        )
        with _answering(session, dry_run) as stack:
            status = stack.call(
                "registry", "start_roster_import", file.name, None, idempotency_key,
                upload_id=upload_id, sha256=sha256, **options,
            )  # fmt: skip
    if dry_run:
        roster_views.show_dry_run(status, as_json)
        return
    output.note(f"import {status['import_id']} started", as_json)
    status = roster_views.follow(session, status, as_json)
    output.emit(
        status,
        as_json,
        table=lambda: output.record(
            f"roster import {status['status']}", roster_views.summary(status)
        ),
    )
    _after_import(session, status, file, errors_to, fmt, as_json)


@contextmanager
def _answering(session: Session, dry_run: bool):
    """The client that waits for `start_roster_import`: for a dry run whose timeout nobody
    chose, one of its own waiting DRY_RUN_TIMEOUT; else the session's."""
    root = click.get_current_context().find_root()
    if not dry_run or root.get_parameter_source("timeout") != ParameterSource.DEFAULT:
        yield session.stack
        return
    with session.client(max(session.timeout, DRY_RUN_TIMEOUT)) as client:
        yield client


def _after_import(session: Session, status: dict, file: Path, errors_to, fmt, as_json) -> None:
    """The refused and held rows written to a file, the outcome in a sentence, or the failure."""
    refused, held = status["refused_rows"], status.get("held_conflicts", 0)
    if refused or held:
        target = errors_to or file.with_name(f"{file.stem}.errors.{fmt}")
        _save_errors(session, status["import_id"], fmt, target)
        output.note(
            f"{refused} row(s) refused and {held} held for the county: the reasons, row by "
            f"row, are in {target}. Correct the refused rows and import the file again (rows "
            "already applied only confirm); held rows wait for a county user (`sanbao roster "
            "conflicts`).",
            as_json,
        )
    if status["status"] == "failed":
        raise CliError(
            "ROSTER_IMPORT_FAILED",
            f"import {status['import_id']} failed after {status['applied_rows']} of "
            f"{status['valid_rows']} rows: {status.get('failure') or 'no reason given'}",
        )
    output.note(f"done: {roster_views.outcome_line(status)}", as_json)


def upload_parts(call, upload_id: str, data: bytes) -> str:
    """Send a roster file to registry in parts (`call(method, *args)` calls registry); the
    SHA-256 that `start_roster_import` checks the parts against."""
    for number, start in enumerate(range(0, len(data), ROSTER_PART_BYTES)):
        part = base64.b64encode(data[start : start + ROSTER_PART_BYTES]).decode()
        call("upload_roster_part", upload_id, number, part)
    return hashlib.sha256(data).hexdigest()


@roster.command("status")
@click.argument("import_id")
@output.JSON_OPTION
@click.pass_obj
def roster_status(session: Session, import_id, as_json):
    """Where a roster import is: rows validated and applied; registered, updated, confirmed,
    refused (while validating, while applying), held for the county; columns and sheets left
    unread. Once done, the outcomes add up to the rows."""
    status = session.stack.call("registry", "roster_import_status", import_id)
    output.emit(
        status,
        as_json,
        table=lambda: output.record(
            f"roster import {status['status']}", roster_views.summary(status)
        ),
    )


@roster.command("errors")
@click.argument("import_id")
@click.option("--format", "fmt", type=FORMATS, help="Default: -o's extension, else xlsx.")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Default: the roster's name with .errors.xlsx, here.",
)
@output.JSON_OPTION
@click.pass_obj
def roster_errors(session: Session, import_id, fmt, out, as_json):
    """Write an import's refused and held rows ((sheet,) row, column, reason) to a file to open
    in Excel."""
    fmt = _format_for(str(out) if out else None, fmt)
    if out is None:
        status = session.stack.call("registry", "roster_import_status", import_id)
        out = Path(f"{Path(status['filename']).stem or import_id}.errors.{fmt}")
    reply = session.stack.call("registry", "roster_import_errors", import_id, fmt)
    if not reply["rows"]:
        shown = {"import_id": import_id, "problems": 0, "file": None}
        output.emit(shown, as_json, title="roster import errors: none")
        return
    _write(out, _decoded(reply))
    shown = {"import_id": import_id, "problems": reply["rows"], "file": str(out)}
    output.emit(shown, as_json, title="roster import errors written")


def _masked(content: bytes, fmt: str) -> tuple[int, int]:
    """How many of an export's ID numbers are masked, of how many."""
    if fmt == "csv":
        rows = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    else:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)
        rows = book.active.iter_rows(values_only=True)
    header = next(rows, None)
    if not header or ID_HEADER not in header:
        return 0, 0
    column = list(header).index(ID_HEADER)
    masked = total = 0
    for row in rows:
        value = row[column] if column < len(row) else None
        if value:
            total += 1
            masked += "*" in str(value)
    return masked, total


@roster.command("export")
@click.option("--area", type=AREA, help="A county, township or village code within your area.")
@click.option("--format", "fmt", type=FORMATS, help="Default: -o's extension, else xlsx.")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Default: labourers-<area>.<format>, here.",
)
@output.JSON_OPTION
@click.pass_obj
def roster_export(session: Session, area, fmt, out, as_json):
    """Export labourers as a roster in the import template's columns (correct it, import it
    again). ID numbers and phones are masked where your role and area do not allow more."""
    fmt = _format_for(str(out) if out else None, fmt)
    out = out or Path(f"labourers-{area or session.county}.{fmt}")
    filters = {"area": area} if area else {}
    reply = session.stack.call("registry", "export_labourers", filters, fmt)
    content = _decoded(reply)
    _write(out, content)
    masked, total = _masked(content, fmt)
    if total == 0:
        ids = "none in the file"
    elif masked == total:
        ids = "masked (your role or area does not show them in full)"
    elif masked == 0:
        ids = "in full: keep the file safe"
    else:
        ids = f"{total - masked} in full, {masked} masked: keep the file safe"
    shown = {"file": str(out), "rows": reply["rows"], "id_numbers": total, "masked": masked}
    output.emit(
        shown,
        as_json,
        table=lambda: output.record(
            "roster exported", {"file": str(out), "rows": reply["rows"], "ID numbers": ids}
        ),
    )


@roster.command("template")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("roster-example.xlsx"),
    show_default=True,
    help="A .xlsx or .csv file (chosen by the extension).",
)
@click.option("--rows", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same rows.")
@output.JSON_OPTION
@click.pass_obj
def roster_template(session: Session, out: Path, rows, seed, as_json):
    """Write an example roster in the template's columns, of fictitious people of the county
    (valid ID numbers), to copy the layout from or to try an import with."""
    from sanbao_common.sample_rosters import generate_roster_rows, roster_bytes

    fmt = _format_for(str(out), None)
    title = f"{session.county} 农村劳动力花名册（示例，人员均为虚构）"
    content = roster_bytes(
        generate_roster_rows(rows, county=session.county, seed=seed), fmt, title=title
    )
    _write(out, content)
    output.emit({"file": str(out), "rows": rows}, as_json, title="example roster written")


roster.add_command(roster_conflicts.conflicts)
COMMANDS = (roster,)
