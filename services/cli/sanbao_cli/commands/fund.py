"""The fund from the command line: joint accounts (shown, listed, closed), statements and
verification; money in and out is in `fund_flows`, receivables and the requests other services
made in `fund_income`. Accounts open, and re-seal after a party's
seal changed, from cooperation agreements both seals sealed (`sanbao agreement`)."""

from __future__ import annotations

from pathlib import Path

import click

from sanbao_cli import output
from sanbao_cli.client import CliError
from sanbao_cli.commands import fund_flows, fund_income
from sanbao_cli.commands.fund_flows import proposer_text
from sanbao_cli.commands.fund_income import payments_table
from sanbao_cli.names import OrgNames
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import KEY_OPTION, pasteable
from sanbao_cli.session import Session, call_command
from sanbao_common.money import format_yuan
from sanbao_common.spreadsheets import write_rows


def _yuan_table(title: str, amounts: dict) -> None:
    output.rows(
        title,
        ["ledger account", "yuan"],
        [[name, format_yuan(fen, grouping=True)] for name, fen in sorted(amounts.items())],
    )


def _show_account(session: Session, view: dict, as_json: bool = False) -> None:
    """A joint account as the fund replies (with --json, the reply itself); organisations are
    shown by name."""
    if as_json:
        output.emit(view, True)
        return
    names = OrgNames(session)
    output.record(
        "joint account",
        {k: view[k] for k in ("account_id", "agreement_ref", "status")}
        | {
            "agreement": f"{view.get('agreement_id') or '(opened before agreements)'}, "
            f"version {view.get('agreement_version') or '-'}",
            "county_cooperative": f"{names(view['county_cooperative'])} "
            f"({view['county_cooperative']})",
            "hr_company": f"{names(view['hr_company'])} ({view['hr_company']})",
            "county_cooperative_seal": pasteable(view.get("county_cooperative_seal")),
            "hr_company_seal": pasteable(view.get("hr_company_seal")),
            "term_start": view["term_start"],
            "term_end": view["term_end"],
            "bank": " ".join(x for x in (view.get("bank_name"), view.get("bank_account")) if x)
            or None,
        }
        | {
            # Parties whose seal changed since the terms were sealed: no outflow until both
            # parties' current seals seal an amendment of the agreement (sanbao agreement).
            "frozen for (seal changed)": names.all(view.get("frozen_for")) or None,
        }
        | {
            "principal": format_yuan(view["principal_fen"], grouping=True),
            "available (principal-funded)": format_yuan(
                view["available_fen"]["cash_principal"], grouping=True
            ),
            "available (income)": format_yuan(view["available_fen"]["cash_income"], grouping=True),
        },
    )
    _yuan_table("balances", view["balances_fen"])
    output.rows(
        "waiting for signatures",
        ["proposal", "kind", "yuan", "proposed by", "signed by", "waiting for", "expires"],
        [
            [
                p["proposal_id"],
                p["kind"],
                format_yuan(p["amount_fen"], grouping=True),
                proposer_text(p, names),
                names.all(p["signed_by"]),
                names.all(p["waiting_for"]),
                p["expires_at"],
            ]
            for p in view["pending_outflows"]
        ],
    )
    _pending_payments(session, view["pending_outflows"], names)


def _pending_payments(session: Session, pending: list[dict], names: OrgNames) -> None:
    """Who the proposals waiting for signatures pay, and to which bank accounts: what a
    signatory reads before signing (sanbao fund sign shows it again)."""
    lines = []
    for p in pending:
        try:
            proposal = session.stack.call("fund", "get_outflow", p["proposal_id"])
        except CliError:  # gone since (paid, rejected): the table above still says it waited
            continue
        lines += [dict(line, proposal_id=p["proposal_id"]) for line in proposal["lines"]]
    if lines:
        payments_table("payments waiting for signatures", lines, names)


@click.group()
def fund():
    """Joint accounts of the cooperation fund (劳务合作金共管账户), opened from the cooperation
    agreements both seals sealed (sanbao agreement)."""


@fund.command("show")
@click.argument("account_id")
@JSON_OPTION
@click.pass_obj
def fund_show(session: Session, account_id, as_json):
    """Terms, balances, available cash and what is waiting for signatures."""
    _show_account(session, session.stack.call("fund", "get_joint_account", account_id), as_json)


@fund.command("list")
@JSON_OPTION
@click.pass_obj
def fund_list(session: Session, as_json):
    """The joint accounts you may see."""
    found = session.stack.call("fund", "list_joint_accounts")
    output.emit(found, as_json, lambda: output.rows(
        f"joint accounts ({len(found)})",
        ["account", "agreement", "status", "principal"],
        [
            [
                v["account_id"],
                v["agreement_ref"],
                v["status"],
                format_yuan(v["principal_fen"], grouping=True),
            ]
            for v in found
        ],
    ))  # fmt: skip


@fund.command("close")
@click.argument("account_id")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def fund_close(session: Session, account_id, idempotency_key, as_json):
    """Close an account whose principal has gone back; it refuses everything afterwards."""
    _show_account(
        session,
        call_command(session, "fund", "close_joint_account", account_id, key=idempotency_key),
        as_json,
    )


@fund.command("verify")
@JSON_OPTION
@click.pass_obj
def fund_verify(session: Session, as_json):
    """Recompute the audit chain, the checkpoints, every payment's signatures and the trial
    balance; name the first break."""
    report = session.stack.call("fund", "verify_books")
    output.emit(report, as_json, lambda: output.record(
        "fund verification",
        {
            "records": report["records"],
            "checkpoints": report["checkpoints"],
            "result": "intact" if report["ok"] else report["first_break"],
        },
    ))  # fmt: skip
    if not report["ok"]:
        raise CliError("BOOKS_BROKEN", report["first_break"])


@fund.command("statement")
@click.argument("account_id")
@click.option("--from", "date_from", required=True, help="YYYY-MM-DD")
@click.option("--to", "date_to", required=True, help="YYYY-MM-DD")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="A .csv or .xlsx file (chosen by the extension).",
)
@JSON_OPTION
@click.pass_obj
def fund_statement(session: Session, account_id, date_from, date_to, out, as_json):
    """Export the account's statement for a period (CSV or XLSX, both open in Excel), ending with
    the checkpoint of the audit chain it was taken under."""
    path = Path(out)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter("the file ends in .csv or .xlsx", param_hint="--out")
    data = session.stack.call("fund", "export_statement", account_id, date_from, date_to)
    write_rows(path, _statement_rows(account_id, data), sheet_title="statement")
    written = {"file": str(path), "entries": len(data["entries"])}
    output.emit(written, as_json, title="statement written")


def _statement_rows(account_id: str, data: dict) -> list[list]:
    account = data["account"]
    rows = [
        ["joint account", account["agreement_ref"], account_id],
        ["bank account", account.get("bank_name") or "", account.get("bank_account") or ""],
        ["period", data["from"], data["to"]],
        [],
        ["date", "entry", "kind", "source", "by", "ledger account", "debit", "credit", "reference"],
    ]
    for entry in data["entries"]:
        for posting in entry["postings"]:
            amount = posting["amount_fen"]
            rows.append(
                [
                    entry["date"],
                    entry["entry_id"],
                    entry["kind"],
                    entry["source"],
                    entry["by"],
                    posting["account"],
                    format_yuan(amount) if amount > 0 else "",
                    format_yuan(-amount) if amount < 0 else "",
                    posting["reference"] or "",
                ]
            )
    rows += _payment_rows(data["entries"])
    rows += _receivable_rows(data.get("receivables") or [], data["to"])
    rows += _claim_rows(data.get("advance_claims") or [], data["to"])
    rows += [[], ["ledger account", "opening", "closing"]]
    for name in sorted(set(data["opening_fen"]) | set(data["closing_fen"])):
        rows.append(
            [
                name,
                format_yuan(data["opening_fen"].get(name, 0)),
                format_yuan(data["closing_fen"].get(name, 0)),
            ]
        )
    checkpoint = data["checkpoint"] or {}
    rows += [
        [],
        [
            "audit checkpoint",
            checkpoint.get("seq"),
            checkpoint.get("hash"),
            checkpoint.get("at"),
            checkpoint.get("signature"),
        ],
    ]
    return rows


def _payment_rows(entries: list[dict]) -> list[list]:
    """Each payment's lines: who was paid, and the bank account the money went to (as the
    signatories signed them)."""
    rows = [
        [],
        ["payments"],
        ["date", "entry", "payee", "payee name", "bank", "account name", "account number",
         "amount", "purpose", "reference"],
    ]  # fmt: skip
    for entry in entries:
        for line in entry.get("lines") or []:
            rows.append(
                [
                    entry["date"],
                    entry["entry_id"],
                    line["payee"],
                    line.get("payee_name") or "",
                    line.get("bank_name") or "",
                    line.get("account_name") or "",
                    line.get("bank_account") or "",
                    format_yuan(line["amount_fen"]),
                    line["purpose"],
                    line.get("reference") or "",
                ]
            )
    return rows


def _receivable_rows(receivables: list[dict], end: str) -> list[list]:
    """The receivables recorded by the period's end, with what was paid of them by then, and
    the payments matched to them within the period."""
    rows = [
        [],
        [f"receivables as of {end}"],
        ["receivable", "kind", "period", "counterparty", "counterparty name", "statement",
         "recorded", "amount", "paid", "open", "status"],
    ]  # fmt: skip
    matches = []
    for r in receivables:
        rows.append(
            [
                r["receivable_id"],
                r["kind"],
                r["period"],
                r["counterparty_id"],
                r["counterparty_name"],
                r["statement_ref"],
                r["recorded_at"],
                format_yuan(r["amount_fen"]),
                format_yuan(r["paid_fen"]),
                format_yuan(r["open_fen"]),
                r["status"],
            ]
        )
        matches += [
            [m["date"], r["receivable_id"], format_yuan(m["amount_fen"]), m["source"],
             m.get("bank_ref") or "", m["entry_id"]]
            for m in r.get("matches") or []
        ]  # fmt: skip
    rows += [
        [],
        ["receivable payments in the period"],
        ["date", "receivable", "amount", "source", "bank ref", "entry"],
    ]
    return rows + sorted(matches)


CLAIM_AMOUNTS = (
    "claimed_fen",
    "recovered_fen",
    "settled_fen",
    "written_off_fen",
    "outstanding_fen",
)


def _claim_rows(claims: list[dict], end: str) -> list[list]:
    """The claims no-shows left on their seats' advances, recorded by the period's end, with what
    was recovered, settled and written off of each by then; every cell is text (the seat too)."""
    rows = [
        [],
        [f"advance claims as of {end}"],
        ["batch", "seat", "person", "name", "claimed", "recovered", "settled", "written off",
         "outstanding", "status"],
    ]  # fmt: skip
    for c in claims:
        rows.append(
            [
                c["batch_id"],
                str(c["seat"]),
                c["person_id"],
                c["name"],
                *(format_yuan(c[field]) for field in CLAIM_AMOUNTS),
                c["status"],
            ]
        )
    return rows


for _command in (*fund_flows.COMMANDS, *fund_income.COMMANDS):
    fund.add_command(_command)

COMMANDS = (fund,)
