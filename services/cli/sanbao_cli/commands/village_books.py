"""The money side of settlement from the command line: `sanbao settlement distribution
list|show|again` (what settlement asked the fund to pay out as the HR company's and bureaus'
payments arrived, and what became of it) and `sanbao settlement village-books
record|approve|reject|show` (a village cooperative's income from those distributions and its
uses: agents' rewards, public works, working costs, each recorded by one of its operators and
approved by another). Amounts are typed in yuan and shown in yuan."""

from __future__ import annotations

import click

from sanbao_cli import output
from sanbao_cli.commands.batches import yuan
from sanbao_cli.commands.settlement_statements import OUT_OPTION, PERIOD, fen_text, write_out
from sanbao_cli.names import OrgNames
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import KEY_OPTION
from sanbao_cli.session import Session, call_command

USES = ("agent_rewards", "public_works", "working_costs")

# -- distributions -----------------------------------------------------------------------------


@click.group("distribution")
def distribution():
    """Distributions: as the fund matches a payment to a receivable settlement asked for, it
    asks the fund to pay each cooperative (and the HR company, for subsidies) its share of what
    was paid — one outflow proposal, dual-signed, on behalf of the county cooperative's operator
    who closed the period."""


LIST_COLUMNS = ["distribution", "period", "kind", "statement", "paid of receivable", "yuan",
                "payees", "status", "proposal", "reason"]  # fmt: skip


@distribution.command("list")
@click.option("--period", type=PERIOD, help="Only this period's (YYYY-MM).")
@click.option("--statement", "statement_ref", help="Only this receivable's (a statement id, or "
              "<statement id>:d<n> for a dispute found owed).")  # fmt: skip
@JSON_OPTION
@click.pass_obj
def distribution_list(session: Session, period, statement_ref, as_json):
    """The distributions you may see, each with its status (requested, proposed, paid,
    rejected, refused, expired)."""
    found = session.stack.call("settlement", "list_distributions", period, statement_ref)
    values = [
        [d["distribution_id"], d["period"], d["kind"], d["statement_ref"],
         f"{yuan(d['paid_fen'])} / {yuan(d['receivable_fen'])}", yuan(d["amount_fen"]),
         len(d["lines"]), d["status"], d["proposal_id"], _reason(d["reason"])]
        for d in found["distributions"]
    ]  # fmt: skip
    title = (f"distributions ({len(values)}): {yuan(found['total_fen'])} yuan asked, "
             f"{yuan(found['paid_fen'])} paid")  # fmt: skip
    output.emit(found, as_json, lambda: output.rows(title, LIST_COLUMNS, values))


def _reason(reason) -> str | None:
    if isinstance(reason, dict):
        return f"[{reason.get('code')}] {reason.get('message_en') or ''}".strip()
    return reason


def show_distribution(session: Session, found: dict, as_json: bool, title: str) -> None:
    def table():
        names = OrgNames(session)
        proposer = found["proposer"]
        output.record(title, {
            "distribution_id": found["distribution_id"],
            "period": found["period"],
            "kind": found["kind"],
            "agreement (joint account)": found["agreement_id"],
            "receivable": f"{found['statement_ref']} ({found['receivable_id']})",
            "paid of receivable": f"{yuan(found['paid_fen'])} of {yuan(found['receivable_fen'])}",
            "asked (yuan)": yuan(found["amount_fen"]),
            "status": found["status"],
            "reason": _reason(found["reason"]),
            "proposal": found["proposal_id"],
            "replaces": found["replaces"],
            "proposer": f"{proposer['username']} ({names(proposer['organisation_id'])})",
            "expires_at": found["expires_at"],
            "asked times": found["asked"],
            "village income posted": found["income_posted"],
        })  # fmt: skip
        output.rows(
            "lines",
            ["#", "payee", "payee id", "yuan", "purpose", "reference"],
            [[line["line_no"], names(line["payee_id"]), line["payee_id"],
              yuan(line["amount_fen"]), line["purpose"], line["reference"]]
             for line in found["lines"]],
        )  # fmt: skip

    output.emit(found, as_json, table)


@distribution.command("show")
@click.argument("distribution_id")
@JSON_OPTION
@click.pass_obj
def distribution_show(session: Session, distribution_id, as_json):
    """One distribution and its lines (payee, amount, purpose, reference)."""
    found = session.stack.call("settlement", "get_distribution", distribution_id)
    show_distribution(session, found, as_json, "distribution")


@distribution.command("again")
@click.argument("distribution_id")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def distribution_again(session: Session, distribution_id, idempotency_key, as_json):
    """Ask the fund again for a distribution it refused, the signatories rejected or that
    expired unsigned (the county cooperative): you become its proposer, so you cannot sign it."""
    found = call_command(session, "settlement", "request_distribution_again", distribution_id,
                         key=idempotency_key)  # fmt: skip
    show_distribution(session, found, as_json, "distribution asked for again")


# -- village books -----------------------------------------------------------------------------


@click.group("village-books")
def village_books():
    """A village cooperative's books (double entry): its income from distributions and its
    uses — agents' rewards, village public works, working costs — each recorded by one of its
    operators with a reference and approved by another; the balance never negative."""


def _use_record(use: dict) -> dict:
    return {
        "use_id": use["use_id"], "village cooperative": use["village_org_id"], "use": use["use"],
        "yuan": yuan(use["amount_fen"]), "reference": use["reference"], "note": use["note"],
        "agent": use["agent_id"], "period": use["period"], "status": use["status"],
        "recorded": f"{use['recorded_at']} by {use['recorded_by']}",
        "decided": f"{use['decided_at']} by {use['decided_by']}" if use["decided_by"] else None,
        "reason": use["reason"], "entry": use["entry_id"],
    }  # fmt: skip


@village_books.command("record")
@click.option("--use", type=click.Choice(USES), required=True)
@click.option("--amount", required=True, help="Yuan (1200.00).")
@click.option("--reference", required=True, help="The voucher or decision it rests on.")
@click.option("--note")
@click.option("--agent", "agent_id", help="The agent rewarded (agent_rewards only).")
@click.option("--period", type=PERIOD, help="The period rewarded (YYYY-MM).")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def village_books_record(session: Session, use, amount, reference, note, agent_id, period,
                         idempotency_key, as_json):  # fmt: skip
    """Record a use of your village cooperative's income (an operator of it); another operator
    of the same cooperative approves it."""
    request = {"use": use, "amount": amount, "reference": reference, "note": note,
               "agent_id": agent_id, "period": period}  # fmt: skip
    kept = call_command(session, "settlement", "record_village_use", request, key=idempotency_key)
    output.emit(kept, as_json, lambda: output.record("use recorded, pending approval",
                                                     _use_record(kept)))  # fmt: skip


@village_books.command("approve")
@click.argument("use_id")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def village_books_approve(session: Session, use_id, idempotency_key, as_json):
    """Approve a use another operator of your village cooperative recorded: it is posted."""
    kept = call_command(session, "settlement", "approve_village_use", use_id, key=idempotency_key)
    output.emit(kept, as_json, lambda: output.record("use approved and posted", _use_record(kept)))


@village_books.command("reject")
@click.argument("use_id")
@click.option("--reason", required=True)
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def village_books_reject(session: Session, use_id, reason, idempotency_key, as_json):
    """Turn a pending use down, with the reason (its recorder may withdraw it so)."""
    kept = call_command(session, "settlement", "reject_village_use", use_id, reason,
                        key=idempotency_key)  # fmt: skip
    output.emit(kept, as_json, lambda: output.record("use rejected", _use_record(kept)))


@village_books.command("show")
@click.argument("org_id")
@click.option("--period", type=PERIOD, help="Entries posted in this month only (by the day "
              "posted: a month's income paid the next month shows there), with opening "
              "balances.")  # fmt: skip
@OUT_OPTION
@JSON_OPTION
@click.pass_obj
def village_books_show(session: Session, org_id, period, out, as_json):
    """A village cooperative's books: balances, entries and uses (--out: as CSV or XLSX, for
    auditors)."""
    found = session.stack.call("settlement", "village_books", org_id, period)
    if out:
        write_out(out, village_rows(found), "village books", as_json)
        return

    def table():
        village = found["village"]
        output.record(f"books of {village['name']} ({village['division_code']})", {
            "bank (yuan)": yuan(found["bank_fen"]),
            "pending uses (yuan)": yuan(found["pending_fen"]),
            "available (yuan)": yuan(found["available_fen"]),
        })  # fmt: skip
        opening = found.get("opening") or {}
        output.rows("balances", ["account", "opening", "closing"],
                    [[a, yuan(opening.get(a)) if found.get("opening") else "", yuan(fen)]
                     for a, fen in found["balances"].items()])  # fmt: skip
        output.rows("entries", ["posted on", "kind", "reference", "account", "yuan", "by"],
                    _posting_rows(found["entries"]))  # fmt: skip
        output.rows("uses", ["use id", "use", "yuan", "reference", "status", "recorded by",
                             "decided by"],
                    [[u["use_id"], u["use"], yuan(u["amount_fen"]), u["reference"],
                      u["status"], u["recorded_by"], u["decided_by"]]
                     for u in found["uses"]])  # fmt: skip

    output.emit(found, as_json, table)


def _posting_rows(entries: list[dict]) -> list[list]:
    return [
        [e["posted_on"], e["kind"], e["reference"], p["account"], yuan(p["amount_fen"]),
         e["posted_by"]]
        for e in entries
        for p in e["postings"]
    ]  # fmt: skip


def village_rows(found: dict) -> list[list]:
    """The books as a spreadsheet: every cell that is a code, an id or an amount is text."""
    village = found["village"]
    opening = found.get("opening") or {}
    rows: list[list] = [
        ["village cooperative", village["name"], village["org_id"], village["division_code"]],
        ["period", found["period"] or "all"],
        [],
        ["account", "opening", "closing"],
        *[[a, fen_text(opening[a]) if a in opening else "", fen_text(fen)]
          for a, fen in found["balances"].items()],
        [],
        ["posted on", "entry", "kind", "source", "reference", "account", "debit", "credit", "by"],
    ]  # fmt: skip
    for e in found["entries"]:
        for p in e["postings"]:
            fen = p["amount_fen"]
            rows.append([e["posted_on"], e["entry_id"], e["kind"], e["source"], e["reference"],
                         p["account"], fen_text(fen) if fen > 0 else "",
                         fen_text(-fen) if fen < 0 else "", e["posted_by"]])  # fmt: skip
    rows += [[], ["use id", "use", "amount", "reference", "agent", "period", "status",
                  "recorded by", "recorded at", "decided by", "decided at", "reason"]]  # fmt: skip
    for u in found["uses"]:
        rows.append([u["use_id"], u["use"], fen_text(u["amount_fen"]), u["reference"],
                     u["agent_id"], u["period"], u["status"], u["recorded_by"], u["recorded_at"],
                     u["decided_by"], u["decided_at"], u["reason"]])  # fmt: skip
    return rows


COMMANDS = (distribution, village_books)
