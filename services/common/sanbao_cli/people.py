"""People and rosters from the command line: register, show, change, confirm, search, count and
merge labourers; import a township's roster (花名册) and follow it; export one; write an example."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from registry_contract.vocabularies import EMPLOYMENT_STATUSES, INPUT_COLUMNS
from sanbao_cli import output
from sanbao_cli.client import CliError
from sanbao_cli.directory import KEY_OPTION
from sanbao_cli.main import Session, call_command, cli
from sanbao_cli.params import ID_NUMBER, PHONE, VILLAGE, _Validated
from sanbao_common.money import format_yuan
from sanbao_common.validators import parse_division_code

COUNTY_TIME = ZoneInfo("Asia/Shanghai")
POLL_SECONDS = 0.5
MAX_ROSTER_BYTES = 64 * 1024 * 1024  # what registry accepts in one import
SEARCH_PAGE = 1000  # registry's largest page, for --all
FORMATS = click.Choice(["xlsx", "csv"])
# The four clears (四清) of a labourer, as registry names them.
ASPECTS = {
    "employment": "employment (就业)",
    "skills": "skills (技能)",
    "intention": "intention (意愿)",
    "training": "training (培训)",
}
_STATUS_WORDS = {code: code for code in EMPLOYMENT_STATUSES} | {
    label: code for code, label in EMPLOYMENT_STATUSES.items()
}
# The roster columns `labourer update --set` takes (all but the ID number).
UPDATE_COLUMNS = tuple(column for column in INPUT_COLUMNS if column != "id_number")
ID_HEADER = "身份证号"  # the ID number column of an export
_GROUP = re.compile(r"(?P<village>\d{12})-(?P<n>\d{1,2})", re.ASCII)

AREA = _Validated("division-code", parse_division_code)


class _GroupType(click.ParamType):
    name = "village-group"

    def convert(self, value, param, ctx):
        match = _GROUP.fullmatch(value.strip())
        if not match or not 1 <= int(match["n"]) <= 99:
            self.fail("a village code, '-' and the group number, e.g. 532501001201-3", param, ctx)
        return f"{match['village']}-{int(match['n']):02d}"


class _StatusType(click.ParamType):
    name = "status"

    def convert(self, value, param, ctx):
        code = _STATUS_WORDS.get(value.strip())
        if code is None:
            choices = ", ".join(f"{c} ({w})" for c, w in EMPLOYMENT_STATUSES.items())
            self.fail(f"one of {choices}", param, ctx)
        return code


# -- how a labourer is shown ---------------------------------------------------------------------


def _when(text: str | None) -> str:
    """An ISO time as the county reads it (Beijing time, to the minute)."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return moment.astimezone(COUNTY_TIME).strftime("%Y-%m-%d %H:%M")


def _yes(flag) -> str:
    return "" if flag is None else ("yes" if flag else "no")


def _skills(skills) -> str:
    parts = []
    for skill in skills or []:
        if isinstance(skill, str):
            parts.append(skill)
            continue
        inside = [
            t for t in (skill.get("level"), "持证" if skill.get("certificate") else None) if t
        ]
        parts.append(skill["name"] + (f"({','.join(inside)})" if inside else ""))
    return "；".join(parts)


def _text(value) -> str:
    """A history value or list as one cell."""
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "；".join(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _id_shown(person: dict) -> str:
    return person.get("id_number") or person["id_number_masked"]


def show_labourer(title: str, person: dict) -> None:
    """A labourer as registry replies: the record, then the four clears and their dates."""
    wage = person.get("expected_wage_fen")
    household = " ".join(
        part
        for part in (
            person.get("household_number"),
            f"(id {person['household_id']})" if person.get("household_id") else None,
        )
        if part
    )
    data = {
        "person id": person["person_id"],
        "name": person["name"],
        "ID number": person.get("id_number"),
        "ID number (masked)": person["id_number_masked"],
        "phone": person.get("phone"),
        "phone (masked)": person.get("phone_masked"),
        "sex": person.get("sex"),
        "birth year": person.get("birth_year"),
        "village": person["village_code"],
        "village group": person.get("village_group"),
        "household": household,
        "relation to head": person.get("relation_to_head"),
        "poor (建档立卡)": _yes(person.get("poor"))
        + (f" ({person['poverty_file_number']})" if person.get("poverty_file_number") else ""),
        "agent": person.get("agent_id"),
        "status": person.get("status")
        + (f" into {person['merged_into']}" if person.get("merged_into") else ""),
        "employment": EMPLOYMENT_STATUSES.get(person.get("employment_status"), "")
        + (f", {person['employment_place']}" if person.get("employment_place") else ""),
        "skills": _skills(person.get("skills")),
        "wants to go to": "；".join(person.get("intention_regions") or []),
        "industries": "；".join(person.get("intention_industries") or []),
        "expected wage (yuan/month)": format_yuan(wage, grouping=True) if wage else None,
        "earliest start": person.get("earliest_start"),
        "training wanted": "；".join(person.get("training_intention") or []),
        "willing to go out": _yes(person.get("willing_to_go")),
        "registered": _by(person.get("registered_at"), person.get("registered_by")),
        "version": person.get("version"),
    }
    output.record(title, {k: v for k, v in data.items() if v not in (None, "")})
    clears = person.get("four_clears")
    if clears is None:
        return
    stale = person.get("stale")
    output.rows(
        "four clears (四清)",
        ["aspect", "last changed", "by"],
        [
            [
                label,
                _when(clears.get(aspect, {}).get("changed_at")),
                clears.get(aspect, {}).get("by"),
            ]
            for aspect, label in ASPECTS.items()
        ]
        + [
            [
                "confirmed" + (" — STALE: check and confirm again" if stale else ""),
                _when(person.get("confirmed_at")),
                person.get("confirmed_by"),
            ]
        ],
    )


def _by(at: str | None, by: str | None) -> str:
    return " by ".join(part for part in (_when(at), by) if part)


SEARCH_COLUMNS = [
    "person id", "name", "ID number", "village group", "household", "poor", "employment",
    "skills", "willing", "confirmed", "stale",
]  # fmt: skip


def _search_row(person: dict) -> list:
    return [
        person["person_id"],
        person["name"],
        _id_shown(person),
        person.get("village_group") or person["village_code"],
        person.get("household_number") or "",
        _yes(person.get("poor")),
        EMPLOYMENT_STATUSES.get(person.get("employment_status"), ""),
        _skills(person.get("skills")),
        _yes(person.get("willing_to_go")),
        _when(person.get("confirmed_at"))[:10],
        "STALE" if person.get("stale") else "",
    ]


# -- labourers -----------------------------------------------------------------------------------


@cli.group()
def labourer():
    """Rural labourers in the registry: register, show, change, confirm, search, count, merge."""


@labourer.command("register")
@click.option("--name", required=True, help="Name as on the ID card, e.g. 李秀英.")
@click.option("--id-number", required=True, type=ID_NUMBER, help="18-character resident ID number.")
@click.option("--village", required=True, type=VILLAGE, help="12-digit village division code.")
@click.option("--phone", type=PHONE, help="Mainland mobile number.")
@KEY_OPTION
@click.pass_obj
def labourer_register(session: Session, name, id_number, village, phone, idempotency_key):
    """Register one labourer."""
    person = {"name": name, "id_number": id_number, "village_code": village, "phone": phone}
    result = call_command(session, "registry", "register_labourer", person, key=idempotency_key)
    show_labourer("registered", result)


@labourer.command("show")
@click.argument("person_id")
@click.pass_obj
def labourer_show(session: Session, person_id):
    """Show one labourer by person id, with the four clears and when each last changed."""
    show_labourer("labourer", session.stack.call("registry", "get_labourer", person_id))


@labourer.command("update")
@click.argument("person_id")
@click.option(
    "--set",
    "changes",
    multiple=True,
    required=True,
    metavar="COLUMN=VALUE",
    help="A roster column and its new value, as a roster cell holds it (repeatable; an empty "
    f"value clears it). Columns: {', '.join(UPDATE_COLUMNS)}. The ID number cannot change: "
    "merge the records instead.",
)
@KEY_OPTION
@click.pass_obj
def labourer_update(session: Session, person_id, changes, idempotency_key):
    """Change what is recorded of a labourer; every change becomes history, and the four clears
    count as confirmed."""
    parsed: dict[str, str] = {}
    for change in changes:
        column, sep, value = change.partition("=")
        column = column.strip()
        if not sep or not column:
            raise click.BadParameter(f"{change!r} is not COLUMN=VALUE", param_hint="--set")
        if column in parsed:
            raise click.BadParameter(f"{column} is set twice", param_hint="--set")
        parsed[column] = value.strip()
    reply = call_command(
        session, "registry", "update_labourer", person_id, parsed, key=idempotency_key
    )
    show_labourer("updated", reply)


@labourer.command("confirm")
@click.argument("person_id")
@KEY_OPTION
@click.pass_obj
def labourer_confirm(session: Session, person_id, idempotency_key):
    """Record that the labourer's four clears were checked and are still true."""
    reply = call_command(session, "registry", "confirm_four_clears", person_id, key=idempotency_key)
    show_labourer("four clears confirmed", reply)


@labourer.command("history")
@click.argument("person_id")
@click.pass_obj
def labourer_history(session: Session, person_id):
    """Every change to a labourer, oldest first."""
    entries = session.stack.call("registry", "labourer_history", person_id)
    output.rows(
        f"history of {person_id} ({len(entries)})",
        ["when", "field", "before", "after", "by", "source"],
        [
            [
                _when(e["changed_at"]),
                e["field"],
                _text(e["before"]),
                _text(e["after"]),
                e["changed_by"],
                e["source"],
            ]
            for e in entries
        ],
    )


@labourer.command("disclose")
@click.argument("person_id")
@click.option("--reason", required=True, help="Why the full numbers are needed (recorded).")
@click.pass_obj
def labourer_disclose(session: Session, person_id, reason):
    """Auditors: show one person's ID number and phone in full. Who, when and why is recorded
    before anything is shown (`sanbao labourer disclosures`)."""
    if len(reason.strip()) < 4:
        raise click.BadParameter("say why the full numbers are needed", param_hint="--reason")
    shown = session.stack.call("registry", "disclose_labourer", person_id, reason)
    disclosure = shown["disclosure"]
    output.record(
        f"disclosed to {disclosure['disclosed_to']}",
        {
            "person id": shown["person_id"],
            "name": shown["name"],
            "village": shown["village_code"],
            "ID number": shown["id_number"],
            "phone": shown["phone"],
            "reason": disclosure["reason"],
            "recorded at": _when(disclosure["disclosed_at"]),
        },
    )


@labourer.command("disclosures")
@click.option("--person", "person_id", help="Only this person's.")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@click.pass_obj
def labourer_disclosures(session: Session, person_id, limit):
    """Who was shown which person's full ID number and phone, when and why; newest first."""
    found = session.stack.call("registry", "list_disclosures", person_id, limit)
    output.rows(
        f"disclosures ({len(found)})",
        ["when", "person", "to", "organisation", "reason"],
        [
            [
                _when(d["disclosed_at"]),
                d["person_id"],
                d["disclosed_to"],
                d["organisation_id"],
                d["reason"],
            ]
            for d in found
        ],
    )


def _measure_rows(title: str, measures: list) -> None:
    output.rows(
        title,
        ["measure", "person", "kind", "description", "owner", "due", "status", "note"],
        [
            [
                m["measure_id"],
                m["person_id"],
                m["kind"],
                m["description"],
                m["owner"],
                (m["due_date"] or "") + (" OVERDUE" if m["overdue"] else ""),
                m["status"],
                m["note"] or "",
            ]
            for m in measures
        ],
    )


@labourer.group("plan")
def labourer_plan():
    """One person, one measure: the plan of measures a registered-poor labourer carries."""


@labourer_plan.command("add")
@click.argument("person_id")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(["training", "referral", "placement", "subsidy"]),
    help="What the measure is.",
)
@click.option("--description", required=True, help="What will be done, e.g. 电工中级培训.")
@click.option("--owner", required=True, help="Who carries it out, e.g. 县人社局培训股.")
@click.option("--due", "due_date", help="Due date, YYYY-MM-DD.")
@KEY_OPTION
@click.pass_obj
def plan_add(session: Session, person_id, kind, description, owner, due_date, idempotency_key):
    """Plan a measure for a labourer of a registered-poor household."""
    measure = {"kind": kind, "description": description, "owner": owner, "due_date": due_date}
    reply = call_command(session, "registry", "add_measure", person_id, measure,
                         key=idempotency_key)  # fmt: skip
    _measure_rows("measure planned", [reply])


@labourer_plan.command("update")
@click.argument("measure_id")
@click.option(
    "--status", type=click.Choice(["in_progress", "done", "cancelled"]), help="Move it on."
)
@click.option("--owner", help="A new owner.")
@click.option("--due", "due_date", help="A new due date, YYYY-MM-DD.")
@click.option("--description", help="A new description.")
@click.option("--note", help="A note; required when cancelling (why).")
@KEY_OPTION
@click.pass_obj
def plan_update(session: Session, measure_id, idempotency_key, **changes):
    """Move a measure on or re-plan it; every change becomes history."""
    changes = {name: value for name, value in changes.items() if value is not None}
    if not changes:
        raise click.UsageError("say what changes: --status, --owner, --due, --description, --note")
    reply = call_command(session, "registry", "update_measure", measure_id, changes,
                         key=idempotency_key)  # fmt: skip
    _measure_rows("measure changed", [reply])


@labourer_plan.command("list")
@click.option("--person", "person_id", help="One labourer's plan (default: your whole area).")
@click.option("--overdue", is_flag=True, help="Only measures past their due date, not done.")
@click.pass_obj
def plan_list(session: Session, person_id, overdue):
    """Measures of one labourer, or of your area."""
    measures = session.stack.call("registry", "list_measures", person_id, overdue)
    _measure_rows(f"measures ({len(measures)})", measures)


@labourer_plan.command("history")
@click.argument("measure_id")
@click.pass_obj
def plan_history(session: Session, measure_id):
    """Every change to a measure, oldest first."""
    entries = session.stack.call("registry", "measure_history", measure_id)
    output.rows(
        f"history of measure {measure_id} ({len(entries)})",
        ["when", "field", "before", "after", "by"],
        [
            [_when(e["changed_at"]), e["field"], _text(e["before"]), _text(e["after"]),
             e["changed_by"]]
            for e in entries
        ],
    )  # fmt: skip


@labourer.command("search")
@click.option("--area", type=AREA, help="A county, township or village code within your area.")
@click.option("--group", type=_GroupType(), help="A village group, e.g. 532501001201-3.")
@click.option("--agent", "agent_id", help="The agent's user id.")
@click.option("--household", "household_id", help="A household id (from `labourer show`).")
@click.option(
    "--poor/--not-poor",
    default=None,
    help="Only people of poor (建档立卡) households, or only of others.",
)
@click.option(
    "--status",
    type=_StatusType(),
    help="Employment status: at_home, in_county, in_province, outside_province, unemployed, "
    "unable_to_work (or the roster's words, e.g. 省外务工).",
)
@click.option(
    "--willing/--not-willing",
    default=None,
    help="Only those willing to go out to work (and not working), or only the others.",
)
@click.option("--skill", help="A skill's name, e.g. 电工.")
@click.option(
    "--stale", is_flag=True, help="Only those whose four clears are due to be confirmed again."
)
@click.option(
    "--limit",
    type=click.IntRange(1, SEARCH_PAGE),
    default=100,
    show_default=True,
    help="Rows per page.",
)
@click.option(
    "--after", metavar="PERSON_ID", help="The next page: the person id the last page said."
)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Every match, fetched a page after another (ignores --limit).",
)
@click.pass_obj
def labourer_search(
    session: Session,
    area,
    group,
    agent_id,
    household_id,
    poor,
    status,
    willing,
    skill,
    stale,
    limit,
    after,
    everything,
):  # fmt: skip
    """Labourers of your area matching every filter given, in person-id order."""
    filters = {
        "area": area,
        "village_group": group,
        "agent_id": agent_id,
        "household_id": household_id,
        "poor": poor,
        "employment_status": status,
        "willing_to_go": willing,
        "skill": skill,
        "stale": True if stale else None,
    }
    filters = {name: value for name, value in filters.items() if value is not None}
    found: list[dict] = []
    size = SEARCH_PAGE if everything else limit
    while True:
        page = session.stack.call("registry", "search_labourers", filters, after, size)
        found += page["labourers"]
        after = page["next"]
        if after is None or not everything:
            break
    output.rows(
        f"labourers ({len(found)}{', more' if after else ''})",
        SEARCH_COLUMNS,
        [_search_row(person) for person in found],
    )
    if after:
        output.console.print(
            f"more: repeat with --after {escape(after)} for the next page, or with --all",
            highlight=False,
        )


@labourer.command("counts")
@click.option(
    "--by",
    type=click.Choice(["village", "township"]),
    default="village",
    show_default=True,
)
@click.option("--area", type=AREA, help="A county, township or village code within your area.")
@click.pass_obj
def labourer_counts(session: Session, by, area):
    """Dashboard counts per village or township: labour force, poor labour force, willing to go
    out, transferred (working away)."""
    filters = {"area": area} if area else {}
    rows = session.stack.call("registry", "labourer_counts", by, filters)
    names = [
        "labour_force",
        "poor_labour_force",
        "willing_to_go",
        "transferred",
        "poor_transferred",
    ]
    totals = [sum(row[name] for row in rows) for name in names]
    output.rows(
        f"labourers by {by}" + (f" in {area}" if area else ""),
        [by, "labour force", "poor", "willing to go", "transferred", "poor transferred"],
        [[row["area"], *(row[name] for name in names)] for row in rows] + [["total", *totals]],
    )


@labourer.command("count")
@click.pass_obj
def labourer_count(session: Session):
    """How many labourers the registry holds in your area."""
    output.record("registry", session.stack.call("registry", "count_labourers"))


@labourer.command("merge")
@click.argument("keep_id")
@click.argument("merged_id")
@click.option("--reason", required=True, help="Why these two records are one person.")
@KEY_OPTION
@click.pass_obj
def labourer_merge(session: Session, keep_id, merged_id, reason, idempotency_key):
    """Fold MERGED_ID, found to be the same person, into KEEP_ID (MERGED_ID stays, marked)."""
    if not reason.strip():
        raise click.BadParameter("say why these are one person", param_hint="--reason")
    reply = call_command(
        session, "registry", "merge_labourers", keep_id, merged_id, reason, key=idempotency_key
    )
    show_labourer(f"{merged_id} merged into", reply)


# -- rosters -------------------------------------------------------------------------------------


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


def _summary(status: dict) -> dict:
    shown = {
        "import id": status["import_id"],
        "file": status["filename"],
        "status": status["status"],
        "rows": status["total_rows"],
        "valid rows": status["valid_rows"],
        "applied": f"{status['applied_rows']} of {status['valid_rows']}",
        "registered (new)": status["registered"],
        "updated": status["updated"],
        "confirmed (unchanged)": status["confirmed"],
        "refused rows": status["refused_rows"],
        "started": _by(status.get("started_at"), status.get("started_by")),
        "finished": _when(status.get("finished_at")),
        "failure": status.get("failure"),
    }
    return {name: value for name, value in shown.items() if value not in (None, "")}


def _save_errors(session: Session, import_id: str, fmt: str, path: Path) -> int:
    reply = session.stack.call("registry", "roster_import_errors", import_id, fmt)
    _write(path, _decoded(reply))
    return reply["rows"]


def _follow(session: Session, status: dict) -> dict:
    """Polls the import with a progress bar until it is done or failed."""
    import_id = status["import_id"]
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    ]
    try:
        with Progress(*columns, console=output.console, transient=False) as progress:
            task = progress.add_task("validating rows", total=None)
            while True:
                if status["status"] == "applying":
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


@cli.group()
def roster():
    """Township rosters (花名册): import, follow, export, and an example to start from."""


@roster.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--errors-to",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the refused rows and why (default: FILE's name with .errors.xlsx, "
    "next to it).",
)
@click.option(
    "--format",
    "fmt",
    type=FORMATS,
    help="Of the error file (default: --errors-to's extension, else xlsx).",
)
@KEY_OPTION
@click.pass_obj
def roster_import(session: Session, file: Path, errors_to, fmt, idempotency_key):
    """Import a township's roster (CSV or XLSX): every row is checked first, then the valid ones
    are applied while a progress bar follows them; refused rows go to an error file to correct.
    A large roster may need a longer --timeout (given before `roster`)."""
    fmt = _format_for(str(errors_to) if errors_to else None, fmt)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CliError("READ_FAILED", f"cannot read {file}: {exc.strerror or exc}") from None
    if len(data) > MAX_ROSTER_BYTES:
        raise CliError(
            "ROSTER_TOO_LARGE",
            f"{file} is {len(data) / 2**20:.1f} MB; registry takes up to "
            f"{MAX_ROSTER_BYTES // 2**20} MB at a time: split it by township",
        )
    content = base64.b64encode(data).decode()
    with output.console.status(f"checking every row of {escape(file.name)}"):
        status = call_command(
            session, "registry", "start_roster_import", file.name, content, key=idempotency_key
        )
    output.console.print(f"import {status['import_id']} started", highlight=False)
    status = _follow(session, status)
    output.record(f"roster import {status['status']}", _summary(status))
    refused = status["refused_rows"]
    if refused:
        target = errors_to or file.with_name(f"{file.stem}.errors.{fmt}")
        _save_errors(session, status["import_id"], fmt, target)
        output.console.print(
            f"{refused} row(s) refused: the reasons, row by row, are in {escape(str(target))}. "
            "Correct those rows and import the file again (rows already applied only "
            "confirm).",
            highlight=False,
        )
    if status["status"] == "failed":
        raise CliError(
            "ROSTER_IMPORT_FAILED",
            f"import {status['import_id']} failed after {status['applied_rows']} of "
            f"{status['valid_rows']} rows: {status.get('failure') or 'no reason given'}",
        )
    if refused:
        output.console.print(
            f"done: {status['valid_rows']} row(s) applied, {refused} refused", highlight=False
        )


@roster.command("status")
@click.argument("import_id")
@click.pass_obj
def roster_status(session: Session, import_id):
    """Where a roster import is: rows applied, registered, updated, refused."""
    status = session.stack.call("registry", "roster_import_status", import_id)
    output.record(f"roster import {status['status']}", _summary(status))


@roster.command("errors")
@click.argument("import_id")
@click.option("--format", "fmt", type=FORMATS, help="Default: -o's extension, else xlsx.")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Default: the roster's name with .errors.xlsx, here.",
)
@click.pass_obj
def roster_errors(session: Session, import_id, fmt, out):
    """Write an import's refused rows (row, column, reason) to a file to open in Excel."""
    fmt = _format_for(str(out) if out else None, fmt)
    if out is None:
        status = session.stack.call("registry", "roster_import_status", import_id)
        out = Path(f"{Path(status['filename']).stem or import_id}.errors.{fmt}")
    reply = session.stack.call("registry", "roster_import_errors", import_id, fmt)
    if not reply["rows"]:
        output.record("roster import errors", {"import id": import_id, "refused rows": 0})
        return
    _write(out, _decoded(reply))
    output.record("roster import errors written", {"file": str(out), "problems": reply["rows"]})


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
@click.pass_obj
def roster_export(session: Session, area, fmt, out):
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
    output.record("roster exported", {"file": str(out), "rows": reply["rows"], "ID numbers": ids})


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
@click.pass_obj
def roster_template(session: Session, out: Path, rows, seed):
    """Write an example roster in the template's columns, of fictitious people of the county
    (valid ID numbers), to copy the layout from or to try an import with."""
    try:
        from registry.rosters.samples import generate_roster_rows, roster_bytes
    except ImportError:
        raise CliError(
            "NOT_AVAILABLE",
            "the example roster comes with registry's code, which is not installed here",
        ) from None
    fmt = _format_for(str(out), None)
    title = f"{session.county} 农村劳动力花名册（示例，人员均为虚构）"
    content = roster_bytes(
        generate_roster_rows(rows, county=session.county, seed=seed), fmt, title=title
    )
    _write(out, content)
    output.record("example roster written", {"file": str(out), "rows": rows})
