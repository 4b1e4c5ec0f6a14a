"""Money in and out of a joint account, as `sanbao fund` subcommands: inflows, outflow proposals
and their signatures, and advances settled against vouchers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from fund_contract.signing import PROPOSAL_FIELDS
from sanbao_cli import output
from sanbao_cli.keys import PASSPHRASE, load_key
from sanbao_cli.params import KEY_OPTION
from sanbao_cli.session import Session, call_command
from sanbao_common.crypto import fingerprint, sign, statement_bytes
from sanbao_common.money import format_yuan


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
@KEY_OPTION
@click.pass_obj
def fund_inflow(session: Session, account_id, kind, amount, bank_ref, reference, idempotency_key):
    """Record money that reached the joint account."""
    inflow = {"kind": kind, "amount": amount, "bank_ref": bank_ref, "reference": reference}
    output.record(
        "recorded",
        call_command(session, "fund", "record_inflow", account_id, inflow, key=idempotency_key),
    )


@click.command("propose")
@click.argument("account_id")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(
        ["advance", "reimbursement", "distribution", "return_principal", "write_off"]
    ),
)
@click.option(
    "--line",
    "lines",
    multiple=True,
    required=True,
    metavar="PAYEE:AMOUNT:PURPOSE[:REF]",
    help="One payment (repeatable): payee, yuan, purpose and, for advances and "
    "write-offs, the batch or labourer.",
)
@click.option(
    "--hours",
    type=click.IntRange(1, 24 * 30),
    default=72,
    show_default=True,
    help="How long it waits for signatures.",
)
@KEY_OPTION
@click.pass_obj
def fund_propose(session: Session, account_id, kind, lines, hours, idempotency_key):
    """Propose an outflow; it reserves its cash until paid, rejected or expired."""
    parsed = []
    for line in lines:
        parts = line.split(":")
        if len(parts) not in (3, 4):
            raise click.BadParameter("PAYEE:AMOUNT:PURPOSE[:REFERENCE]", param_hint="--line")
        parsed.append(
            {
                "payee": parts[0],
                "amount": parts[1],
                "purpose": parts[2],
                "reference": parts[3] if len(parts) == 4 else None,
            }
        )
    proposal = {
        "kind": kind,
        "lines": parsed,
        "expires_at": (datetime.now(UTC) + timedelta(hours=hours)).isoformat(),
    }
    reply = call_command(
        session, "fund", "propose_outflow", account_id, proposal, key=idempotency_key
    )
    output.record(
        "proposed",
        {
            "proposal": reply["proposal_id"],
            "status": reply["status"],
            "amount": format_yuan(reply["amount_fen"], grouping=True),
            "expires": reply["expires_at"],
        },
    )


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
@click.pass_obj
def fund_sign(session: Session, proposal_id, key_file, passphrase, idempotency_key):
    """Approve an outflow with your own key (the proposal is shown first, to read)."""
    proposal = session.stack.call("fund", "get_outflow", proposal_id)
    statement = {k: proposal[k] for k in PROPOSAL_FIELDS}
    output.record(
        "you are approving",
        {
            "kind": statement["kind"],
            "account": statement["account_id"],
            "amount": format_yuan(statement["amount_fen"], grouping=True),
            "lines": "; ".join(
                f"{x['payee']} {format_yuan(x['amount_fen'])} {x['purpose']}"
                for x in statement["lines"]
            ),
        },
    )
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
    output.record("signed", {"status": reply["status"], "signed by": ", ".join(reply["signed_by"])})


@click.command("reject")
@click.argument("proposal_id")
@click.option("--reason", required=True)
@KEY_OPTION
@click.pass_obj
def fund_reject(session: Session, proposal_id, reason, idempotency_key):
    """Reject an outflow (frees what it reserved)."""
    reply = call_command(
        session, "fund", "reject_outflow", proposal_id, reason, key=idempotency_key
    )
    output.record("rejected", {"status": reply["status"], "reason": reply["reason"]})


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
@click.pass_obj
def fund_settle(session: Session, account_id, reference, vouchers, idempotency_key):
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
    output.record(
        "settled",
        {
            "settled": format_yuan(reply["settled_fen"], grouping=True),
            "still outstanding": format_yuan(reply["still_outstanding_fen"], grouping=True),
        },
    )


@click.command("aging")
@click.argument("account_id")
@click.pass_obj
def fund_aging(session: Session, account_id):
    """Open advances, oldest first."""
    rows = session.stack.call("fund", "aging_report", account_id)
    output.rows(
        "open advances",
        ["reference", "yuan", "days"],
        [
            [r["reference"], format_yuan(r["outstanding_fen"], grouping=True), r["days"]]
            for r in rows
        ],
    )


COMMANDS = (fund_inflow, fund_propose, fund_sign, fund_reject, fund_settle, fund_aging)
