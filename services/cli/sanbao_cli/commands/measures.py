"""A registered-poor labourer's plan of measures (一人一举措), as `sanbao labourer plan`."""

from __future__ import annotations

import click

from sanbao_cli import output
from sanbao_cli.commands.people_views import county_time, history_cell
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import KEY_OPTION
from sanbao_cli.session import Session, call_command


def _measure_rows(title: str, measures: list, as_json: bool = False) -> None:
    output.emit(measures, as_json, lambda: output.rows(
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
    ))  # fmt: skip


@click.group("plan")
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
@JSON_OPTION
@click.pass_obj
def plan_add(
    session: Session, person_id, kind, description, owner, due_date, idempotency_key, as_json
):
    """Plan a measure for a labourer of a registered-poor household."""
    measure = {"kind": kind, "description": description, "owner": owner, "due_date": due_date}
    reply = call_command(session, "registry", "add_measure", person_id, measure,
                         key=idempotency_key)  # fmt: skip
    if as_json:
        output.emit(reply, True)
    else:
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
@JSON_OPTION
@click.pass_obj
def plan_update(session: Session, measure_id, idempotency_key, as_json, **changes):
    """Move a measure on or re-plan it; every change becomes history."""
    changes = {name: value for name, value in changes.items() if value is not None}
    if not changes:
        raise click.UsageError("say what changes: --status, --owner, --due, --description, --note")
    reply = call_command(session, "registry", "update_measure", measure_id, changes,
                         key=idempotency_key)  # fmt: skip
    if as_json:
        output.emit(reply, True)
    else:
        _measure_rows("measure changed", [reply])


@labourer_plan.command("list")
@click.option("--person", "person_id", help="One labourer's plan (default: your whole area).")
@click.option("--overdue", is_flag=True, help="Only measures past their due date, not done.")
@JSON_OPTION
@click.pass_obj
def plan_list(session: Session, person_id, overdue, as_json):
    """Measures of one labourer, or of your area."""
    measures = session.stack.call("registry", "list_measures", person_id, overdue)
    _measure_rows(f"measures ({len(measures)})", measures, as_json)


@labourer_plan.command("history")
@click.argument("measure_id")
@JSON_OPTION
@click.pass_obj
def plan_history(session: Session, measure_id, as_json):
    """Every change to a measure, oldest first."""
    entries = session.stack.call("registry", "measure_history", measure_id)
    output.emit(entries, as_json, lambda: output.rows(
        f"history of measure {measure_id} ({len(entries)})",
        ["when", "field", "before", "after", "by"],
        [
            [
                county_time(e["changed_at"]),
                e["field"],
                history_cell(e["before"]),
                history_cell(e["after"]),
                e["changed_by"],
            ]
            for e in entries
        ],
    ))  # fmt: skip
