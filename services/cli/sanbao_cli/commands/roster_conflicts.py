"""`sanbao roster conflicts`: the roster rows held as identity conflicts (an ID number already
registered under another name, in another township or outside the importer's area), for a
county-level user to list, confirm (the row is applied, as them) or reject (it is dropped)."""

from __future__ import annotations

import click

from sanbao_cli import output
from sanbao_cli.commands.people_views import county_time
from sanbao_cli.params import KEY_OPTION
from sanbao_cli.session import Session, call_command

WHY = {
    "name": "another name",
    "township": "another township",
    "outside_importer_area": "outside the importer's area",
}
STATUSES = click.Choice(["held", "confirmed", "rejected", "superseded", "all"])
STALE = "the person changed since: reject (or import the row again)"


def _change(conflict: dict, field: str) -> str:
    before = conflict["stored"][field]
    after = (conflict.get("row") or {}).get(field)
    return before if after in (None, before) else f"{before} → {after}"


def _id_shown(conflict: dict) -> str:
    return conflict.get("id_number") or conflict["id_number_masked"]


def _where(conflict: dict) -> str:
    row = f"row {conflict['row_number']}"
    return (
        f"{conflict['filename']}, {conflict['sheet']}: {row}"
        if conflict.get("sheet")
        else (f"{conflict['filename']}, {row}")
    )


def _listed(conflicts: list[dict], status: str) -> None:
    output.rows(
        f"identity conflicts ({status})",
        ["conflict id", "status", "held", "from", "ID number", "name", "village", "why",
         "changes"],
        [
            [
                c["conflict_id"],
                c["status"],
                f"{county_time(c['held_at'])} by {c['held_by']}",
                _where(c),
                _id_shown(c),
                _change(c, "name"),
                _change(c, "village_code"),
                ", ".join(WHY.get(w, w) for w in c["why"]),
                ", ".join(c["changes"]) + (f" ({STALE})" if c.get("changed_since_held") else ""),
            ]
            for c in conflicts
        ],
    )  # fmt: skip


def _resolved(conflict: dict) -> None:
    if "stored" not in conflict:  # a repeated request's reply: the row's details are gone
        output.record(
            f"identity conflict {conflict['status']}",
            {
                "conflict id": conflict["conflict_id"],
                "person id": conflict["person_id"],
                "outcome": conflict.get("outcome"),
                "superseded": ", ".join(conflict.get("superseded") or []) or "none",
                "resolved": f"{county_time(conflict['resolved_at'])} by {conflict['resolved_by']}",
            },
        )
        return
    output.record(
        f"identity conflict {conflict['status']}",
        {
            "conflict id": conflict["conflict_id"],
            "from": _where(conflict),
            "person id": conflict["person_id"],
            "ID number": _id_shown(conflict),
            "name": _change(conflict, "name"),
            "village": _change(conflict, "village_code"),
            "changes": ", ".join(conflict["changes"]),
            "outcome": conflict.get("outcome"),
            "superseded": ", ".join(conflict.get("superseded") or []) or "none",
            "resolved": f"{county_time(conflict['resolved_at'])} by {conflict['resolved_by']}",
        },
    )


@click.group(invoke_without_command=True)
@click.pass_context
def conflicts(ctx):
    """Rows held as identity conflicts: list them (the default), confirm or reject one.
    County-level users only."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(conflicts_list)


@conflicts.command("list")
@click.option("--status", type=STATUSES, default="held", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@output.JSON_OPTION
@click.pass_obj
def conflicts_list(session: Session, status="held", limit=100, as_json=False):
    """Held rows (or those confirmed, rejected or superseded), oldest first: the stored and the
    new name and village, why each was held, what would change."""
    found = session.stack.call(
        "registry", "list_roster_conflicts", None if status == "all" else status, limit
    )
    output.emit(found, as_json, table=lambda: _listed(found, status))
    if not found:
        output.note(f"no {'' if status == 'all' else status + ' '}identity conflicts", as_json)


def _resolve(session: Session, conflict_id: str, decision: str, key: str, as_json: bool):
    reply = call_command(
        session, "registry", "resolve_roster_conflict", conflict_id, decision, key=key
    )
    output.emit(reply, as_json, table=lambda: _resolved(reply))


@conflicts.command("confirm")
@click.argument("conflict_id")
@KEY_OPTION
@output.JSON_OPTION
@click.pass_obj
def conflicts_confirm(session: Session, conflict_id, idempotency_key, as_json):
    """Apply a held row as you: the person is renamed or moved as the row says (refused if the
    person changed since it was held). Other rows held for the person are closed as superseded."""
    _resolve(session, conflict_id, "confirm", idempotency_key, as_json)


@conflicts.command("reject")
@click.argument("conflict_id")
@KEY_OPTION
@output.JSON_OPTION
@click.pass_obj
def conflicts_reject(session: Session, conflict_id, idempotency_key, as_json):
    """Drop a held row: the stored person stays as they are."""
    _resolve(session, conflict_id, "reject", idempotency_key, as_json)
