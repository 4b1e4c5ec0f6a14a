"""The fund's income side from the command line, as `sanbao fund` subcommands: receivables (what
a counterparty owes a joint account, by kind and period) recorded and listed with what was paid
of them and the payers' credits held, what other services asked of the fund by event, and the
claims batches' no-shows left on their advances. The bank credits that pay receivables are
`sanbao fund inflow --payer --pays` (`fund_flows`); who an outflow pays, and where, is shown by
`payments_table` wherever a proposal is."""

from __future__ import annotations

import re
from collections.abc import Callable

import click

from fund_contract.requests import (
    COUNTERPARTY_KINDS,
    PAYS_NOTHING,
    PAYS_OLDEST_FIRST,
    RECEIVABLE_KINDS,
)
from sanbao_cli import output
from sanbao_cli.client import CliError
from sanbao_cli.commands.people_views import county_time
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import KEY_OPTION
from sanbao_cli.session import Session, call_command
from sanbao_common.money import format_yuan

# Who owes each kind of income, when --counterparty-kind is not given.
OWED_BY = {
    "service_revenue": "hr_company",
    "policy_subsidy": "bureau",
    "employer_subsidy": "employer",
}
# registry's organisation ids.
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Directory:
    """registry's organisations, read once per command (everyone signed in may read them): an id
    shown as its name, as `sanbao_cli.names.OrgNames`, and what a person types (an id or a name)
    as the id the services take."""

    def __init__(self, session: Session):
        self._session = session
        self._found: list[dict] | None = None

    def organisations(self) -> list[dict]:
        if self._found is None:
            try:
                self._found = self._session.stack.call("registry", "list_organisations", None, None)
            except CliError:  # the fund decides on the id as typed
                self._found = []
        return self._found

    def find(self, org_id: str | None) -> dict | None:
        if not org_id:
            return None
        return next((o for o in self.organisations() if o["org_id"] == org_id), None)

    def __call__(self, org_id: str | None) -> str:
        """The organisation's name; an id the directory does not know stays the id."""
        found = self.find(org_id)
        return found["name"] if found else (org_id or "")

    def org_id(self, text: str, param_hint: str) -> str:
        """An organisation's id, or its name as the directory has it (one active organisation of
        that name). Anything else is sent as typed: an employer's id, say, or a payee the fund
        refuses with its own reason."""
        text = text.strip()
        if _UUID.match(text) or self.find(text) is not None:  # an id: no need to look
            return text
        named = [o for o in self.organisations() if o["name"] == text and o.get("active", True)]
        if len(named) > 1:
            ids = ", ".join(o["org_id"] for o in named)
            raise click.BadParameter(
                f"several organisations are named {text} ({ids}): give the id",
                param_hint=param_hint,
            )
        return named[0]["org_id"] if named else text


def parse_pays(ctx, param, text: str | None):
    """--pays: "oldest" (the payer's open receivables of the kind, oldest first), "nothing"
    (income with nothing owed), or receivable ids separated by commas."""
    if text is None:
        return None
    text = text.strip()
    if text in ("oldest", PAYS_OLDEST_FIRST):
        return PAYS_OLDEST_FIRST
    if text == PAYS_NOTHING:
        return PAYS_NOTHING
    ids = [x.strip() for x in text.split(",") if x.strip()]
    if not ids:
        raise click.BadParameter("oldest, nothing, or receivable ids separated by commas")
    return ids


def yuan(fen: int | None) -> str:
    return "" if fen is None else format_yuan(fen, grouping=True)


def payments_table(
    title: str, lines: list[dict], names: Callable[[str], str] | None = None
) -> None:
    """Who each line pays and where the money goes, as the signatories sign it: the payee's
    name and bank account (a line proposed before the fund knew bank accounts shows its payee
    as typed, and no bank). Lines of several proposals carry their `proposal_id`."""
    several = any("proposal_id" in line for line in lines)
    output.rows(
        title,
        (["proposal"] if several else [])
        + ["payee", "bank", "account name", "account number", "yuan", "purpose", "reference"],
        [
            ([line.get("proposal_id")] if several else [])
            + [
                line.get("payee_name") or (names(line["payee"]) if names else line["payee"]),
                line.get("bank_name"),
                line.get("account_name"),
                line.get("bank_account"),
                yuan(line["amount_fen"]),
                line["purpose"],
                line.get("reference"),
            ]
            for line in lines
        ],
    )


@click.group("receivable")
def fund_receivable():
    """What a counterparty owes a joint account (应收款): service revenue the HR company owes,
    policy subsidies a bureau pays, employer subsidies an employer pays. Income is earned as it
    is paid (sanbao fund inflow --pays)."""


@fund_receivable.command("record")
@click.argument("account_id")
@click.option("--kind", required=True, type=click.Choice(RECEIVABLE_KINDS))
@click.option("--period", required=True, help="The period it is owed for, e.g. 2026-11.")
@click.option(
    "--counterparty",
    required=True,
    help="Who owes it: an organisation (id or name), or an employer's id.",
)
@click.option(
    "--counterparty-kind",
    type=click.Choice(COUNTERPARTY_KINDS),
    help="Default: who owes the kind (service_revenue: hr_company, policy_subsidy: bureau, "
    "employer_subsidy: employer).",
)
@click.option("--counterparty-name", help="Default: the organisation's name in the directory.")
@click.option(
    "--statement", "statement_ref", required=True, help="The statement it is owed on (对账单)."
)
@click.option("--amount", required=True, help="In yuan.")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def receivable_record(
    session: Session, account_id, kind, period, counterparty, counterparty_kind,
    counterparty_name, statement_ref, amount, idempotency_key, as_json,
):  # fmt: skip
    """Record what a counterparty owes (a party's finance person), once per kind, period,
    counterparty and statement; it is paid at once from any credit the payer holds."""
    directory = Directory(session)
    org_id = directory.org_id(counterparty, "--counterparty")
    name = counterparty_name or (directory(org_id) if directory.find(org_id) else None)
    if not name:
        raise click.BadParameter(
            f"{org_id} is not in the directory: give its name", param_hint="--counterparty-name"
        )
    receivable = {
        "kind": kind,
        "period": period,
        "counterparty_id": org_id,
        "counterparty_kind": counterparty_kind or OWED_BY[kind],
        "counterparty_name": name,
        "statement_ref": statement_ref,
        "amount": amount,
    }
    asked = dict(receivable, counterparty_id=counterparty, counterparty_name=counterparty_name)
    reply = call_command(
        session, "fund", "record_receivable", account_id, receivable, key=idempotency_key,
        intent=asked,
    )  # fmt: skip
    output.emit(reply, as_json, lambda: _show_receivable(reply))


def _show_receivable(view: dict) -> None:
    output.record(
        "receivable",
        {
            "receivable": view["receivable_id"],
            "kind": view["kind"],
            "period": view["period"],
            "counterparty": f"{view['counterparty_name']} ({view['counterparty_id']}, "
            f"{view['counterparty_kind']})",
            "statement": view["statement_ref"],
            "amount": yuan(view["amount_fen"]),
            "paid": yuan(view["paid_fen"]),
            "open": yuan(view["open_fen"]),
            "status": view["status"],
            "recorded": f"{county_time(view['recorded_at'])} by {view['recorded_by']}",
        },
    )


@click.command("receivables")
@click.argument("account_id")
@click.option("--period", help="Only this period, e.g. 2026-11.")
@click.option("--counterparty", help="Only what this organisation (id or name) or employer owes.")
@click.option("--open", "open_only", is_flag=True, help="Only what is still owed.")
@JSON_OPTION
@click.pass_obj
def fund_receivables(session: Session, account_id, period, counterparty, open_only, as_json):
    """An account's receivables, oldest first, with what was paid of each, the totals by kind
    and the credits payers hold (paid beyond what they owed)."""
    directory = Directory(session)
    counterparty_id = directory.org_id(counterparty, "--counterparty") if counterparty else None
    report = session.stack.call(
        "fund", "list_receivables", account_id, period, counterparty_id, open_only
    )
    output.emit(report, as_json, lambda: _show_receivables(report, directory))


def _show_receivables(report: dict, directory: Directory) -> None:
    found = report["receivables"]
    output.rows(
        f"receivables ({len(found)})",
        ["receivable", "kind", "period", "counterparty", "statement", "yuan", "paid", "open",
         "status"],
        [
            [r["receivable_id"], r["kind"], r["period"], r["counterparty_name"],
             r["statement_ref"], yuan(r["amount_fen"]), yuan(r["paid_fen"]), yuan(r["open_fen"]),
             r["status"]]
            for r in found
        ],
    )  # fmt: skip
    output.rows(
        "totals by kind",
        ["kind", "yuan", "paid", "open"],
        [
            [kind, yuan(t["amount_fen"]), yuan(t["paid_fen"]), yuan(t["open_fen"])]
            for kind, t in sorted(report["totals_by_kind"].items())
        ],
    )
    output.rows(
        "credits held (paid beyond what was owed)",
        ["payer", "yuan"],
        [
            [f"{directory(payer)} ({payer})" if directory.find(payer) else payer, yuan(fen)]
            for payer, fen in sorted(report["credits_fen"].items())
        ],
    )


@click.command("requests")
@click.argument("account_id")
@JSON_OPTION
@click.pass_obj
def fund_requests(session: Session, account_id, as_json):
    """What other services asked of the fund for the account by event (receivables to record,
    outflows to propose): what each made, or why it was refused."""
    found = session.stack.call("fund", "list_fund_requests", account_id)
    output.emit(found, as_json, lambda: output.rows(
        f"requests ({len(found)})",
        ["from", "request", "kind", "state", "made", "reason", "attempts", "last"],
        [
            [r["source"], r["request_key"], r["kind"], r["state"], r.get("record_id"),
             r.get("reason"), r["attempts"], county_time(r["updated_at"])]
            for r in found
        ],
    ))  # fmt: skip


@click.command("claims")
@click.argument("account_id")
@click.option("--open", "open_only", is_flag=True, help="Only claims with something outstanding.")
@JSON_OPTION
@click.pass_obj
def fund_claims(session: Session, account_id, open_only, as_json):
    """What batches' no-shows owe back of the advances paid for their seats (未出行垫支追偿):
    each claim with what was recovered, settled against vouchers or written off since, and what
    is still outstanding."""
    report = session.stack.call("fund", "list_advance_claims", account_id, open_only)
    output.emit(report, as_json, lambda: _show_claims(report))


def _show_claims(report: dict) -> None:
    found = report["claims"]
    output.rows(
        f"claims on advances ({len(found)})",
        ["batch", "seat", "person", "name", "claimed", "recovered", "settled", "written off",
         "outstanding", "status"],
        [
            [c["batch_id"], c["seat"], c["person_id"], c["name"], yuan(c["claimed_fen"]),
             yuan(c["recovered_fen"]), yuan(c["settled_fen"]), yuan(c["written_off_fen"]),
             yuan(c["outstanding_fen"]), c["status"]]
            for c in found
        ],
    )  # fmt: skip
    output.record(
        "totals", {"claimed": yuan(report["claimed_fen"]), "outstanding": yuan(report["open_fen"])}
    )


COMMANDS = (fund_receivable, fund_receivables, fund_requests, fund_claims)
