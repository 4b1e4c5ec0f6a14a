"""Money in and out of a joint account, as `sanbao fund` subcommands: inflows (an income credit
paying receivables, `fund_income`), outflow proposals paying directory organisations at the bank
accounts the directory gives them, their signatures, and advances settled against vouchers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from fund_contract.signing import PROPOSAL_FIELDS
from sanbao_cli import output
from sanbao_cli.commands.fund_income import Directory, parse_pays, payments_table
from sanbao_cli.keys import PASSPHRASE, load_key
from sanbao_cli.names import OrgNames
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import KEY_OPTION, duration
from sanbao_cli.session import Session, call_command
from sanbao_common.crypto import fingerprint, sign, statement_bytes
from sanbao_common.money import format_yuan

EXPIRES_IN = duration(timedelta(minutes=1), timedelta(days=30))


@click.command("inflow")
@click.argument("account_id")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(
        [
            "principal_deposit",
            "service_revenue",
            "policy_subsidy",
            "employer_subsidy",
            "advance_recovery",
            "shortfall_deposit",
        ]
    ),
)
@click.option("--amount", required=True, help="In yuan.")
@click.option("--bank-ref", required=True, help="The bank's reference of the credit.")
@click.option("--reference", help="For a recovery: the batch or labourer of the advance.")
@click.option(
    "--payer",
    help="Who paid an income credit: an organisation (id or name) or an employer's id "
    "(default for service revenue: the account's HR company).",
)
@click.option(
    "--pays",
    callback=parse_pays,
    metavar="oldest|nothing|ID,ID…",
    help="What an income credit pays: the payer's open receivables of its kind oldest first, "
    "nothing (income with nothing owed), or receivable ids. What is left is held as the "
    "payer's credit. Needed when receivables of the kind are open.",
)
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def fund_inflow(
    session: Session, account_id, kind, amount, bank_ref, reference, payer, pays,
    idempotency_key, as_json,
):  # fmt: skip
    """Record money that reached the joint account; an income credit pays receivables."""
    directory = Directory(session)
    inflow = {"kind": kind, "amount": amount, "bank_ref": bank_ref, "reference": reference}
    if payer is not None:
        inflow["payer"] = directory.org_id(payer, "--payer")
    if pays is not None:
        inflow["pays"] = pays
    reply = call_command(
        session, "fund", "record_inflow", account_id, inflow, key=idempotency_key,
        intent=None if payer is None else dict(inflow, payer=payer),
    )  # fmt: skip
    output.emit(reply, as_json, lambda: _show_inflow(reply, directory))


def _show_inflow(reply: dict, directory: Directory) -> None:
    payer = reply.get("payer")
    shown = {
        "kind": reply.get("kind"),
        "amount": format_yuan(reply["amount_fen"], grouping=True)
        if "amount_fen" in reply
        else None,
        "bank ref": reply.get("bank_ref"),
        "reference": reply.get("reference"),
        "payer": f"{directory(payer)} ({payer})" if directory.find(payer) else payer,
        "credit held": format_yuan(reply["credit_fen"], grouping=True)
        if reply.get("credit_fen")
        else None,
        "entry": reply.get("entry_id"),
    }
    output.record("recorded", {k: v for k, v in shown.items() if v is not None})
    if reply.get("matches"):
        output.rows(
            "receivables paid",
            ["receivable", "yuan"],
            [[m["receivable_id"], format_yuan(m["amount_fen"], grouping=True)]
             for m in reply["matches"]],
        )  # fmt: skip
    postings = reply.get("postings") or []
    if postings:
        output.rows(
            "postings",
            ["ledger account", "debit", "credit", "reference"],
            [
                [
                    p["account"],
                    format_yuan(p["amount_fen"], grouping=True) if p["amount_fen"] > 0 else "",
                    format_yuan(-p["amount_fen"], grouping=True) if p["amount_fen"] < 0 else "",
                    p.get("reference"),
                ]
                for p in postings
            ],
        )


@click.command("propose")
@click.argument("account_id")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(
        [
            "advance",
            "reimbursement",
            "distribution",
            "return_principal",
            "write_off",
            "credit_refund",
        ]
    ),
)
@click.option(
    "--line",
    "lines",
    multiple=True,
    required=True,
    metavar="PAYEE:AMOUNT:PURPOSE[:REF]",
    help="One payment (repeatable): the payee (an organisation of the directory, by id or "
    "name, paid to the bank account the directory gives it; for a write-off, who owed the "
    "advance), yuan, purpose and, for advances and write-offs, the batch or labourer.",
)
@click.option(
    "--expires-in",
    "expires_in",
    type=EXPIRES_IN,
    default="72h",
    show_default=True,
    help="How long it waits for signatures: minutes, hours or days, e.g. 30m, 2h, 1d (1m to 30d).",
)
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def fund_propose(session: Session, account_id, kind, lines, expires_in, idempotency_key, as_json):
    """Propose an outflow; it reserves its cash until paid, rejected or expired. Each line pays an
    organisation to the bank account the directory gives it, which the proposal shows and the
    signatories sign. Repeated with the same --idempotency-key (after a timeout, say), it sends
    the proposal it sent first, with the same expiry."""
    directory = Directory(session)
    parsed = []
    for line in lines:
        parts = line.split(":")
        if len(parts) not in (3, 4):
            raise click.BadParameter("PAYEE:AMOUNT:PURPOSE[:REFERENCE]", param_hint="--line")
        parsed.append(
            {
                # A write-off pays no one: its "payee" is who owed the advance, as typed.
                "payee": parts[0] if kind == "write_off" else directory.org_id(parts[0], "--line"),
                "amount": parts[1],
                "purpose": parts[2],
                "reference": parts[3] if len(parts) == 4 else None,
            }
        )
    asked = {"kind": kind, "lines": lines, "expires_in_seconds": expires_in.total_seconds()}
    proposal = {
        "kind": kind,
        "lines": parsed,
        "expires_at": (datetime.now(UTC) + expires_in).isoformat(),
    }
    reply = call_command(
        session, "fund", "propose_outflow", account_id, proposal, key=idempotency_key,
        intent=asked,
    )  # fmt: skip

    def table():
        output.record(
            "proposed",
            {
                "proposal": reply["proposal_id"],
                "status": reply["status"],
                "amount": format_yuan(reply["amount_fen"], grouping=True),
                "expires": reply["expires_at"],
            },
        )
        payments_table("pays", reply["lines"], directory)

    output.emit(reply, as_json, table)


@click.command("sign")
@click.argument("proposal_id")
@click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Your personal signing key.",
)
@PASSPHRASE
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def fund_sign(session: Session, proposal_id, key_file, passphrase, idempotency_key, as_json):
    """Approve an outflow with your own key (the proposal is shown first, to read)."""
    proposal = session.stack.call("fund", "get_outflow", proposal_id)
    statement = {k: proposal[k] for k in PROPOSAL_FIELDS}
    names = OrgNames(session)
    if not as_json:
        output.record(
            "you are approving",
            {
                "proposal": statement["proposal_id"],
                "kind": statement["kind"],
                "account": statement["account_id"],
                "amount": format_yuan(statement["amount_fen"], grouping=True),
                "expires": statement["expires_at"],
                "proposed by": proposer_text(proposal, names),
                "signed by": names.all(proposal.get("signed_by")) or "nobody yet",
                "waiting for": names.all(proposal.get("waiting_for")),
            },
        )
        payments_table("it pays (payee, and the bank account the money goes to)",
                       statement["lines"], names)  # fmt: skip
    personal = load_key(key_file, passphrase)
    reply = call_command(
        session,
        "fund",
        "sign_outflow",
        proposal_id,
        fingerprint(personal),
        sign(personal, statement_bytes(statement)),
        key=idempotency_key,
    )
    output.emit(reply, as_json, lambda: output.record(
        "signed", {"status": reply["status"], "signed by": names.all(reply["signed_by"])}
    ))  # fmt: skip


def proposer_text(proposal: dict, names: OrgNames) -> str:
    """Who proposed it (the person, of which organisation), and the service that asked for it
    under which key, if one did."""
    who = proposal.get("proposed_by") or "?"
    if proposal.get("proposer_org"):
        who += f" ({names(proposal['proposer_org'])})"
    request = proposal.get("request")
    if request:
        who += f", asked by {request['source']}: {request['request_key']}"
    return who


@click.command("reject")
@click.argument("proposal_id")
@click.option("--reason", required=True)
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def fund_reject(session: Session, proposal_id, reason, idempotency_key, as_json):
    """Reject an outflow (frees what it reserved)."""
    reply = call_command(
        session, "fund", "reject_outflow", proposal_id, reason, key=idempotency_key
    )
    output.emit(reply, as_json, lambda: output.record(
        "rejected", {"status": reply["status"], "reason": reply["reason"]}
    ))  # fmt: skip


@click.command("settle")
@click.argument("account_id")
@click.option("--reference", required=True, help="The batch or labourer of the advance.")
@click.option(
    "--voucher",
    "vouchers",
    multiple=True,
    required=True,
    metavar="NUMBER:DATE:AMOUNT:KIND",
    help="Repeatable; kind: transport, medical_exam, training, meals, other.",
)
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def fund_settle(session: Session, account_id, reference, vouchers, idempotency_key, as_json):
    """Settle an advance against vouchers (reimbursement accounting)."""
    parsed = []
    for voucher in vouchers:
        parts = voucher.split(":")
        if len(parts) != 4:
            raise click.BadParameter("NUMBER:DATE:AMOUNT:KIND", param_hint="--voucher")
        parsed.append(dict(zip(("number", "date", "amount", "kind"), parts, strict=True)))
    reply = call_command(
        session, "fund", "settle_advance", account_id, reference, parsed, key=idempotency_key
    )
    output.emit(reply, as_json, lambda: output.record(
        "settled",
        {
            "settled": format_yuan(reply["settled_fen"], grouping=True),
            "still outstanding": format_yuan(reply["still_outstanding_fen"], grouping=True),
        },
    ))  # fmt: skip


@click.command("aging")
@click.argument("account_id")
@JSON_OPTION
@click.pass_obj
def fund_aging(session: Session, account_id, as_json):
    """Open advances, oldest first."""
    rows = session.stack.call("fund", "aging_report", account_id)
    output.emit(rows, as_json, lambda: output.rows(
        "open advances",
        ["reference", "yuan", "days"],
        [
            [r["reference"], format_yuan(r["outstanding_fen"], grouping=True), r["days"]]
            for r in rows
        ],
    ))  # fmt: skip


COMMANDS = (fund_inflow, fund_propose, fund_sign, fund_reject, fund_settle, fund_aging)
