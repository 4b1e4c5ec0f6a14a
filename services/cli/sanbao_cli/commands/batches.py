"""Batches (输送批次) from the command line: `sanbao batch form|invite|answer|costs|approve|
substitute|advance|depart|arrive|release|cancel|show|list`.

The HR company forms a batch for one of its orders and invites matched labourers; each one's
answer is recorded by their agent or cooperative; the county cooperative approves it, which
freezes the roster (seats), checks everyone's age and asks the fund for the advance on the
agreement's joint account; the batch departs once the advance is paid, with its no-shows, and
arrives; someone the employer turns away on arrival is released from it. Amounts are typed in
yuan and shown in yuan; dates are the county's, YYYY-MM-DD."""

from __future__ import annotations

import click

from dispatch_contract.batches import BATCH_STATUSES, COST_KINDS, COST_PER, RESPONSES
from sanbao_cli import output
from sanbao_cli.commands.people_views import county_time
from sanbao_cli.names import OrgNames
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import KEY_OPTION
from sanbao_cli.session import Session, call_command
from sanbao_common.money import format_yuan

DATE = click.DateTime(formats=["%Y-%m-%d"])


def day(value) -> str | None:
    """A click date as the services take it (YYYY-MM-DD)."""
    return None if value is None else value.date().isoformat()


def yuan(fen: int | None) -> str:
    return "" if fen is None else format_yuan(fen, grouping=True)


def parse_costs(ctx, param, values) -> list[dict]:
    """--cost KIND:PER:YUAN (transport:person:350.00, meals:batch:600): one cost item each."""
    costs = []
    for text in values:
        parts = [part.strip() for part in text.split(":")]
        if len(parts) != 3 or parts[0] not in COST_KINDS or parts[1] not in COST_PER:
            raise click.BadParameter(
                f"{text!r} is not KIND:PER:YUAN, with KIND one of {', '.join(COST_KINDS)} and "
                f"PER person or batch (e.g. transport:person:350.00) / 费用格式应为 "
                "类别:person或batch:金额（元），如 transport:person:350.00",
                ctx=ctx,
                param=param,
            )
        costs.append({"kind": parts[0], "per": parts[1], "amount": parts[2]})
    return costs


COST_OPTION = click.option(
    "--cost",
    "costs",
    multiple=True,
    callback=parse_costs,
    metavar="KIND:PER:YUAN",
    help=f"A cost item: KIND one of {', '.join(COST_KINDS)}; PER person (each labourer) or "
    "batch (shared among the seats); the amount in yuan. Repeat for each item.",
)
ON_OPTION = click.option("--on", "on", type=DATE, required=True, help="The date, YYYY-MM-DD.")

MEMBER_COLUMNS = ["seat", "name", "person id", "ID number", "village", "agent", "status",
                  "share (yuan)", "invited", "answered", "released because"]  # fmt: skip


def show_batch(session: Session, batch: dict, as_json: bool, title: str = "batch") -> None:
    """A batch as dispatch replies (with --json, the reply itself): the batch, its members (by
    seat once approved), its costs and its substitutions."""

    def table():
        names = OrgNames(session)
        advance = batch.get("advance") or {}
        output.record(
            title,
            {
                "batch_id": batch["batch_id"],
                "order": f"{batch.get('title') or ''} ({batch['order_id']})",
                "employer": batch.get("employer_name"),
                "place": " ".join(x for x in (batch.get("place_scope"), batch.get("place")) if x),
                "hr_company": f"{names(batch['hr_company'])} ({batch['hr_company']})",
                "agreement_id": batch.get("agreement_id"),
                "status": batch["status"],
                "advance (yuan)": yuan(batch.get("advance_fen")),
                "advance status": advance.get("status") or "",
                "advance proposal": advance.get("proposal_id"),
                "advance note": advance.get("reason"),
                "formed": _when(batch.get("formed_at"), batch.get("formed_by")),
                "approved": _when(batch.get("approved_at"), batch.get("approved_by")),
                "departed_on": batch.get("departed_on"),
                "arrived_on": batch.get("arrived_on"),
                "cancelled": batch.get("cancelled_reason"),
                "version": batch.get("version"),
            },
        )
        members = sorted(batch.get("members") or [], key=_seat_order)
        output.rows(f"members ({len(members)})", MEMBER_COLUMNS, [_member_row(m) for m in members])
        if batch.get("costs"):
            output.rows(
                "costs",
                ["kind", "per", "yuan"],
                [[c["kind"], c["per"], yuan(c["amount_fen"])] for c in batch["costs"]],
            )
        if batch.get("substitutions"):
            output.rows(
                "substitutions",
                ["seat", "out", "in", "reason", "on", "by"],
                [[s["seat"], s["out_person_id"], s["in_person_id"], s["reason"], s["on"],
                  s.get("by")] for s in batch["substitutions"]],
            )  # fmt: skip

    output.emit(batch, as_json, table)


def _when(at, by) -> str:
    return " by ".join(x for x in (county_time(at), by) if x)


def _seat_order(member: dict):
    seat = member.get("seat")
    return (seat is None, seat or 0)


def _member_row(m: dict) -> list:
    return [m.get("seat"), m["name"], m["person_id"], m.get("id_number_masked"),
            m.get("village_code"), m.get("agent_id"), m["status"], yuan(m.get("share_fen")),
            m.get("invited_on"), m.get("responded_on"), m.get("released_reason")]  # fmt: skip


@click.group()
def batch():
    """Batches of labourers sent to an order (输送批次): formed by the HR company, answered by
    each labourer, approved by the county cooperative, advanced, departed and arrived."""


@batch.command("form")
@click.argument("order_id")
@click.option("--person", "people", multiple=True, help="A person to invite (or later: invite).")
@COST_OPTION
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def batch_form(session: Session, order_id, people, costs, idempotency_key, as_json):
    """Form a batch for an open order of your HR company, inviting these people (person ids,
    from `sanbao order match`), with its cost estimate."""
    request = {"order_id": order_id, "people": list(people), "costs": costs}
    result = call_command(session, "dispatch", "form_batch", request, key=idempotency_key)
    show_batch(session, result, as_json, "batch formed")


@batch.command("invite")
@click.argument("batch_id")
@click.option("--person", "people", multiple=True, required=True, help="A person to invite.")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def batch_invite(session: Session, batch_id, people, idempotency_key, as_json):
    """Invite more people to a batch that is still forming."""
    result = call_command(
        session, "dispatch", "invite_to_batch", batch_id, list(people), key=idempotency_key
    )
    show_batch(session, result, as_json, "invited")


@batch.command("answer")
@click.argument("batch_id")
@click.argument("person_id")
@click.argument("response", type=click.Choice(RESPONSES))
@ON_OPTION
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def batch_answer(session: Session, batch_id, person_id, response, on, idempotency_key, as_json):
    """Record a labourer's answer to the invitation (their agent or cooperative), and the day
    they gave it."""
    result = call_command(
        session, "dispatch", "record_response", batch_id, person_id, response, day(on),
        key=idempotency_key,
    )  # fmt: skip
    show_batch(session, result, as_json, f"answer recorded: {response}")


@batch.command("costs")
@click.argument("batch_id")
@COST_OPTION
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def batch_costs(session: Session, batch_id, costs, idempotency_key, as_json):
    """Replace a forming batch's cost estimate (no --cost: no costs, hence no advance)."""
    result = call_command(session, "dispatch", "set_batch_costs", batch_id, costs,
                          key=idempotency_key)  # fmt: skip
    show_batch(session, result, as_json, "costs set")


@batch.command("approve")
@click.argument("batch_id")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def batch_approve(session: Session, batch_id, idempotency_key, as_json):
    """Approve a batch (the county cooperative): its confirmed people get seats, registry checks
    their ages against the order's limits, and the fund is asked for the advance, which you
    cannot sign yourself."""
    result = call_command(session, "dispatch", "approve_batch", batch_id, key=idempotency_key)
    show_batch(session, result, as_json, "batch approved")


@batch.command("substitute")
@click.argument("batch_id")
@click.option("--out", "out_person_id", required=True, help="The person leaving their seat.")
@click.option("--in", "in_person_id", required=True, help="The person taking it.")
@click.option("--reason", required=True)
@click.option("--on", "on", type=DATE, required=True, help="The day the newcomer confirmed.")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def batch_substitute(session: Session, batch_id, out_person_id, in_person_id, reason, on,
                     idempotency_key, as_json):  # fmt: skip
    """Give an approved batch's seat to someone else (recorded as a substitution; the newcomer
    takes over the seat's share of the advance)."""
    result = call_command(
        session, "dispatch", "substitute_in_batch", batch_id, out_person_id, in_person_id,
        reason, day(on), key=idempotency_key,
    )  # fmt: skip
    show_batch(session, result, as_json, "substituted")


@batch.command("advance")
@click.argument("batch_id")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def batch_advance(session: Session, batch_id, idempotency_key, as_json):
    """Ask the fund for the batch's advance again, after it was refused, rejected or expired."""
    result = call_command(session, "dispatch", "request_batch_advance", batch_id,
                          key=idempotency_key)  # fmt: skip
    show_batch(session, result, as_json, "advance asked again")


@batch.command("depart")
@click.argument("batch_id")
@ON_OPTION
@click.option("--no-show", "no_shows", multiple=True, help="A person who did not come.")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def batch_depart(session: Session, batch_id, on, no_shows, idempotency_key, as_json):
    """Record an approved batch's departure (once its advance is paid), with its no-shows; a
    no-show's share of the advance becomes a claim in the fund (`sanbao fund claims`)."""
    result = call_command(
        session, "dispatch", "record_departure", batch_id, day(on), list(no_shows),
        key=idempotency_key,
    )  # fmt: skip
    show_batch(session, result, as_json, "batch departed")


@batch.command("arrive")
@click.argument("batch_id")
@ON_OPTION
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def batch_arrive(session: Session, batch_id, on, idempotency_key, as_json):
    """Record a departed batch's arrival; its people can then be placed (`sanbao placement
    start`)."""
    result = call_command(session, "dispatch", "record_arrival", batch_id, day(on),
                          key=idempotency_key)  # fmt: skip
    show_batch(session, result, as_json, "batch arrived")


@batch.command("release")
@click.argument("batch_id")
@click.argument("person_id")
@click.option("--reason", required=True, help="Why the person was not placed.")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def batch_release(session: Session, batch_id, person_id, reason, idempotency_key, as_json):
    """Let an arrived member go without a placement (the employer turned them away): they are
    free for another batch."""
    result = call_command(session, "dispatch", "release_from_batch", batch_id, person_id,
                          reason, key=idempotency_key)  # fmt: skip
    show_batch(session, result, as_json, "released from the batch")


@batch.command("cancel")
@click.argument("batch_id")
@click.option("--reason", required=True)
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def batch_cancel(session: Session, batch_id, reason, idempotency_key, as_json):
    """Cancel a forming or approved batch: its people are free again."""
    result = call_command(session, "dispatch", "cancel_batch", batch_id, reason,
                          key=idempotency_key)  # fmt: skip
    show_batch(session, result, as_json, "batch cancelled")


@batch.command("show")
@click.argument("batch_id")
@JSON_OPTION
@click.pass_obj
def batch_show(session: Session, batch_id, as_json):
    """One batch, its members, costs and substitutions."""
    show_batch(session, session.stack.call("dispatch", "get_batch", batch_id), as_json)


LIST_COLUMNS = ["batch id", "order", "title", "employer", "HR company", "people", "advance",
                "advance status", "status"]  # fmt: skip


@batch.command("list")
@click.option("--order", "order_id", help="Only this order's.")
@click.option("--status", type=click.Choice(BATCH_STATUSES))
@JSON_OPTION
@click.pass_obj
def batch_list(session: Session, order_id, status, as_json):
    """Batches (an HR company's people see their own company's)."""
    found = session.stack.call("dispatch", "list_batches", order_id, status)

    def table():
        names = OrgNames(session)
        values = [
            [b["batch_id"], b["order_id"], b.get("title"), b.get("employer_name"),
             names(b["hr_company"]), _people(b), yuan(b.get("advance_fen")),
             (b.get("advance") or {}).get("status"), b["status"]]
            for b in found["batches"]
        ]  # fmt: skip
        output.rows(f"batches ({len(values)})", LIST_COLUMNS, values)

    output.emit(found, as_json, table)


def _people(batch: dict) -> str:
    """How many people, by member status (3 confirmed, 1 declined)."""
    counts: dict[str, int] = {}
    for member in batch.get("members") or []:
        counts[member["status"]] = counts.get(member["status"], 0) + 1
    return ", ".join(f"{n} {status}" for status, n in counts.items())


COMMANDS = (batch,)
