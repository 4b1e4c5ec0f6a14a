"""Labourers from the command line: register, show, change, confirm, look up their history and
disclosures, search, count and merge them (their plans of measures: `measures`)."""

from __future__ import annotations

import re

import click
from rich.markup import escape

from registry_contract.vocabularies import EMPLOYMENT_STATUSES, INPUT_COLUMNS
from sanbao_cli import output
from sanbao_cli.commands import measures
from sanbao_cli.commands.people_views import (
    SEARCH_COLUMNS,
    county_time,
    history_cell,
    search_row,
    show_labourer,
)
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import AREA, ID_NUMBER, KEY_OPTION, PHONE, VILLAGE
from sanbao_cli.session import Session, call_command

SEARCH_PAGE = 1000  # registry's largest page, for --all
_STATUS_WORDS = {code: code for code in EMPLOYMENT_STATUSES} | {
    label: code for code, label in EMPLOYMENT_STATUSES.items()
}
# The roster columns `labourer update --set` takes (all but the ID number).
UPDATE_COLUMNS = tuple(column for column in INPUT_COLUMNS if column != "id_number")
_GROUP = re.compile(r"(?P<village>\d{12})-(?P<n>\d{1,2})", re.ASCII)


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


@click.group()
def labourer():
    """Rural labourers in the registry: register, show, change, confirm, search, count, merge."""


@labourer.command("register")
@click.option("--name", required=True, help="Name as on the ID card, e.g. 李秀英.")
@click.option("--id-number", required=True, type=ID_NUMBER, help="18-character resident ID number.")
@click.option("--village", required=True, type=VILLAGE, help="12-digit village division code.")
@click.option("--phone", type=PHONE, help="Mainland mobile number.")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def labourer_register(session: Session, name, id_number, village, phone, idempotency_key, as_json):
    """Register one labourer."""
    person = {"name": name, "id_number": id_number, "village_code": village, "phone": phone}
    result = call_command(session, "registry", "register_labourer", person, key=idempotency_key)
    _show("registered", result, as_json)


def _show(title: str, person: dict, as_json: bool) -> None:
    output.emit(person, as_json, lambda: show_labourer(title, person))


@labourer.command("show")
@click.argument("person_id")
@JSON_OPTION
@click.pass_obj
def labourer_show(session: Session, person_id, as_json):
    """Show one labourer by person id, with the four clears and when each last changed."""
    _show("labourer", session.stack.call("registry", "get_labourer", person_id), as_json)


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
@JSON_OPTION
@click.pass_obj
def labourer_update(session: Session, person_id, changes, idempotency_key, as_json):
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
    _show("updated", reply, as_json)


@labourer.command("confirm")
@click.argument("person_id")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def labourer_confirm(session: Session, person_id, idempotency_key, as_json):
    """Record that the labourer's four clears were checked and are still true."""
    reply = call_command(session, "registry", "confirm_four_clears", person_id, key=idempotency_key)
    _show("four clears confirmed", reply, as_json)


@labourer.command("history")
@click.argument("person_id")
@JSON_OPTION
@click.pass_obj
def labourer_history(session: Session, person_id, as_json):
    """Every change to a labourer, oldest first."""
    entries = session.stack.call("registry", "labourer_history", person_id)
    output.emit(entries, as_json, lambda: output.rows(
        f"history of {person_id} ({len(entries)})",
        ["when", "field", "before", "after", "by", "source"],
        [
            [
                county_time(e["changed_at"]),
                e["field"],
                history_cell(e["before"]),
                history_cell(e["after"]),
                e["changed_by"],
                e["source"],
            ]
            for e in entries
        ],
    ))  # fmt: skip


@labourer.command("disclose")
@click.argument("person_id")
@click.option("--reason", required=True, help="Why the full numbers are needed (recorded).")
@JSON_OPTION
@click.pass_obj
def labourer_disclose(session: Session, person_id, reason, as_json):
    """Auditors: show one person's ID number and phone in full. Who, when and why is recorded
    before anything is shown (`sanbao labourer disclosures`)."""
    if len(reason.strip()) < 4:
        raise click.BadParameter("say why the full numbers are needed", param_hint="--reason")
    shown = session.stack.call("registry", "disclose_labourer", person_id, reason)
    disclosure = shown["disclosure"]
    output.emit(shown, as_json, lambda: output.record(
        f"disclosed to {disclosure['disclosed_to']}",
        {
            "person id": shown["person_id"],
            "name": shown["name"],
            "village": shown["village_code"],
            "ID number": shown["id_number"],
            "phone": shown["phone"],
            "reason": disclosure["reason"],
            "recorded at": county_time(disclosure["disclosed_at"]),
        },
    ))  # fmt: skip


@labourer.command("disclosures")
@click.option("--person", "person_id", help="Only this person's.")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@JSON_OPTION
@click.pass_obj
def labourer_disclosures(session: Session, person_id, limit, as_json):
    """Who was shown which person's full ID number and phone, when and why; newest first."""
    found = session.stack.call("registry", "list_disclosures", person_id, limit)
    output.emit(found, as_json, lambda: output.rows(
        f"disclosures ({len(found)})",
        ["when", "person", "to", "organisation", "reason"],
        [
            [
                county_time(d["disclosed_at"]),
                d["person_id"],
                d["disclosed_to"],
                d["organisation_id"],
                d["reason"],
            ]
            for d in found
        ],
    ))  # fmt: skip


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
@JSON_OPTION
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
    as_json,
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
    output.emit({"labourers": found, "next": after}, as_json, lambda: output.rows(
        f"labourers ({len(found)}{', more' if after else ''})",
        SEARCH_COLUMNS,
        [search_row(person) for person in found],
    ))  # fmt: skip
    if after and not as_json:
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
@JSON_OPTION
@click.pass_obj
def labourer_counts(session: Session, by, area, as_json):
    """Dashboard counts per village or township: labour force, poor labour force, willing to go
    out, transferred (working away from home: in the prefecture outside the county, in the
    province outside the prefecture, outside the province) and, apart, working in the county."""
    filters = {"area": area} if area else {}
    rows = session.stack.call("registry", "labourer_counts", by, filters)
    names = [
        "labour_force",
        "poor_labour_force",
        "willing_to_go",
        "transferred",
        "poor_transferred",
        "employed_in_county",
        "poor_employed_in_county",
    ]
    if as_json:
        output.emit(rows, True)
        return
    totals = [sum(row[name] for row in rows) for name in names]
    output.rows(
        f"labourers by {by}" + (f" in {area}" if area else ""),
        [
            by,
            "labour force",
            "poor",
            "willing to go",
            "transferred (away)",
            "poor transferred",
            "working in county",
            "poor in county",
        ],
        [[row["area"], *(row[name] for name in names)] for row in rows] + [["total", *totals]],
    )


@labourer.command("count")
@JSON_OPTION
@click.pass_obj
def labourer_count(session: Session, as_json):
    """How many labourers the registry holds in your area."""
    output.emit(session.stack.call("registry", "count_labourers"), as_json, title="registry")


@labourer.command("merge")
@click.argument("keep_id")
@click.argument("merged_id")
@click.option("--reason", required=True, help="Why these two records are one person.")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def labourer_merge(session: Session, keep_id, merged_id, reason, idempotency_key, as_json):
    """Fold MERGED_ID, found to be the same person, into KEEP_ID (MERGED_ID stays, marked)."""
    if not reason.strip():
        raise click.BadParameter("say why these are one person", param_hint="--reason")
    reply = call_command(
        session, "registry", "merge_labourers", keep_id, merged_id, reason, key=idempotency_key
    )
    _show(f"{merged_id} merged into", reply, as_json)


labourer.add_command(measures.labourer_plan)

COMMANDS = (labourer,)
