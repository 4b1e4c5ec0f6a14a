"""Placements and their follow-up (后续跟踪) from the command line: `sanbao placement
start|follow-up|end|show|list|due`. An arrived labourer is placed with the batch's employer at a
start date and wage; followed up 1, 3 and 6 months after the start; a return (or another ending)
ends the placement and frees the labourer. The degree of organisation is `sanbao degree`
(`sanbao_cli.commands.degree`). Wages are typed in yuan a month and shown in yuan."""

from __future__ import annotations

import click

from dispatch_contract.placements import (
    END_REASONS,
    FOLLOW_UP_MONTHS,
    FOLLOW_UP_OUTCOMES,
    OVERDUE,
    PLACEMENT_STATUSES,
)
from sanbao_cli import output
from sanbao_cli.commands.batches import DATE, day, yuan
from sanbao_cli.names import OrgNames
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import KEY_OPTION
from sanbao_cli.session import Session, call_command


def show_placement(session: Session, found: dict, as_json: bool, title: str = "placement"):
    """A placement as dispatch replies (with --json, the reply itself), its follow-up schedule
    and the follow-ups recorded."""

    def table():
        names = OrgNames(session)
        output.record(
            title,
            {
                "placement_id": found["placement_id"],
                "person": f"{found['name']} ({found['person_id']}, {found['id_number_masked']})",
                "village": found["village_code"],
                "poor": found["poor"],
                "agent": found.get("agent_id"),
                "employer": f"{found['employer_name']} ({found['employer_id']})",
                "place": f"{found['place_scope']} {found['place']}",
                "hr_company": f"{names(found['hr_company'])} ({found['hr_company']})",
                "batch_id": found["batch_id"],
                "order_id": found["order_id"],
                "agreement": f"{found['agreement_id']}, version {found['agreement_version']}",
                "starts_on": found["starts_on"],
                "wage (yuan a month)": yuan(found["wage_fen"]),
                "current wage": yuan(found["current_wage_fen"]),
                "status": found["status"],
                "ended_on": found.get("ended_on"),
                "end_reason": found.get("end_reason"),
                "end_note": found.get("end_note"),
                "version": found["version"],
            },
        )
        recorded = {f["month"]: f for f in found.get("follow_ups") or []}
        output.rows(
            "follow-ups",
            ["month", "due on", "contacted on", "outcome", "wage (yuan)", "note", "by"],
            [_follow_up_row(s, recorded.get(s["month"])) for s in found.get("schedule") or []],
        )

    output.emit(found, as_json, table)


def _follow_up_row(scheduled: dict, done: dict | None) -> list:
    if done is None:
        return [scheduled["month"], scheduled["due_on"], "", "", "", "", ""]
    return [done["month"], done["due_on"], done["contacted_on"], done["outcome"],
            yuan(done.get("wage_fen")), done.get("note"), done.get("recorded_by")]  # fmt: skip


@click.group()
def placement():
    """Placements of arrived labourers (安置就业) and their follow-up at 1, 3 and 6 months."""


@placement.command("start")
@click.argument("batch_id")
@click.argument("person_id")
@click.option("--start", "starts_on", type=DATE, required=True, help="First day, YYYY-MM-DD.")
@click.option("--wage", required=True, help="Monthly wage in yuan (4800.00).")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def placement_start(session: Session, batch_id, person_id, starts_on, wage, idempotency_key,
                    as_json):  # fmt: skip
    """Place an arrived member of a batch in work with the employer of the batch's order (the
    batch's HR company records it)."""
    request = {"batch_id": batch_id, "person_id": person_id, "starts_on": day(starts_on),
               "wage": wage}  # fmt: skip
    result = call_command(session, "dispatch", "start_placement", request, key=idempotency_key)
    show_placement(session, result, as_json, "placement started")


@placement.command("follow-up")
@click.argument("placement_id")
@click.option("--month", type=click.Choice([str(m) for m in FOLLOW_UP_MONTHS]), required=True)
@click.option("--outcome", type=click.Choice(FOLLOW_UP_OUTCOMES), required=True,
              help="employed: still at work there (give --wage); not_reached: nobody answered. "
              "Someone who left: `sanbao placement end`.")  # fmt: skip
@click.option("--wage", help="The monthly wage now, in yuan (with --outcome employed).")
@click.option("--on", "on", type=DATE, required=True,
              help="The day the labourer was contacted, YYYY-MM-DD.")  # fmt: skip
@click.option("--note")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def placement_follow_up(session: Session, placement_id, month, outcome, wage, on, note,
                        idempotency_key, as_json):  # fmt: skip
    """Record the follow-up at 1, 3 or 6 months, once it has fallen due: the day the labourer
    was contacted, what was found and the wage now."""
    follow_up = {"month": int(month), "contacted_on": day(on), "outcome": outcome, "wage": wage,
                 "note": note}  # fmt: skip
    result = call_command(session, "dispatch", "record_follow_up", placement_id, follow_up,
                          key=idempotency_key)  # fmt: skip
    show_placement(session, result, as_json, f"{month}-month follow-up recorded")


@placement.command("end")
@click.argument("placement_id")
@click.option("--on", "on", type=DATE, required=True,
              help="The first day no longer at work there, YYYY-MM-DD.")  # fmt: skip
@click.option("--reason", type=click.Choice(END_REASONS), required=True,
              help="returned: back home. Whatever the reason, registry's four clears go back to "
              "what they said before the placement when it ends.")  # fmt: skip
@click.option("--note")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def placement_end(session: Session, placement_id, on, reason, note, idempotency_key, as_json):
    """End a placement: the labourer is free for another batch."""
    result = call_command(session, "dispatch", "end_placement", placement_id, day(on), reason,
                          key=idempotency_key, note=note)  # fmt: skip
    show_placement(session, result, as_json, f"placement ended: {reason}")


@placement.command("show")
@click.argument("placement_id")
@JSON_OPTION
@click.pass_obj
def placement_show(session: Session, placement_id, as_json):
    """One placement and its follow-ups."""
    show_placement(session, session.stack.call("dispatch", "get_placement", placement_id), as_json)


LIST_COLUMNS = ["placement id", "name", "village", "poor", "employer", "scope", "starts",
                "wage (yuan)", "current", "follow-ups", "status"]  # fmt: skip


@placement.command("list")
@click.option("--batch", "batch_id", help="Only this batch's.")
@click.option("--person", "person_id", help="Only this person's.")
@click.option("--status", type=click.Choice(PLACEMENT_STATUSES))
@click.option("--hr-company", help="Only this HR company's (org id).")
@JSON_OPTION
@click.pass_obj
def placement_list(session: Session, batch_id, person_id, status, hr_company, as_json):
    """Placements (an HR company's people see their own company's)."""
    found = session.stack.call("dispatch", "list_placements", hr_company, status, batch_id,
                               person_id)  # fmt: skip
    values = [
        [p["placement_id"], p["name"], p["village_code"], p["poor"], p["employer_name"],
         p["place_scope"], p["starts_on"], yuan(p["wage_fen"]), yuan(p["current_wage_fen"]),
         ", ".join(str(f["month"]) for f in p.get("follow_ups") or []), p["status"]]
        for p in found["placements"]
    ]  # fmt: skip
    output.emit(found, as_json, lambda: output.rows(
        f"placements ({len(values)})", LIST_COLUMNS, values
    ))  # fmt: skip


DUE_COLUMNS = ["placement id", "name", "village", "employer", "HR company", "starts", "month",
               "due on", "state"]  # fmt: skip


@placement.command("due")
@click.option("--overdue", is_flag=True, help="Only those past the grace days.")
@click.option("--hr-company", help="Only this HR company's (org id; yours if you are in one).")
@JSON_OPTION
@click.pass_obj
def placement_due(session: Session, overdue, hr_company, as_json):
    """Follow-ups of active placements that have fallen due and are not recorded: due (within
    the grace days after their date) or overdue (past them; only those with --overdue)."""
    found = session.stack.call(
        "dispatch", "list_follow_ups", OVERDUE if overdue else None, hr_company
    )
    state = f"{'overdue' if overdue else 'due'} on {found['as_of']}"

    def table():
        names = OrgNames(session)
        values = [
            [f["placement_id"], f["name"], f.get("village_code"), f.get("employer_name"),
             names(f.get("hr_company")), f.get("starts_on"), f["month"], f["due_on"], f["state"]]
            for f in found["follow_ups"]
        ]  # fmt: skip
        output.rows(f"follow-ups {state} ({len(values)})", DUE_COLUMNS, values)

    output.emit(found, as_json, table)


COMMANDS = (placement,)
