"""Statements from the command line: `sanbao settlement statements|statement|acknowledge|
resolve|statement-of`. A closed period issues one statement per agreement and kind: service
revenue to the HR company, which acknowledges it or disputes placements' lines with a reason
(the county cooperative then finds each dispute owed or waives it); policy subsidies to the
paying body, claimed at close. Every statement view can be written as CSV or XLSX (`--out`,
chosen by the extension, as `sanbao fund statement`): each line traced to its placement, rule
version and due date, every ID, code and amount a text cell. Also the period and output helpers
the other settlement modules share."""

from __future__ import annotations

import re
from pathlib import Path

import click

from sanbao_cli import output
from sanbao_cli.commands.batches import yuan
from sanbao_cli.names import OrgNames
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import KEY_OPTION
from sanbao_cli.session import Session, call_command
from sanbao_common.money import format_yuan
from sanbao_common.spreadsheets import write_rows

STATEMENT_KINDS = ("service_revenue", "policy_subsidy")
PARTIES = {"hr": "hr_company", "cooperative": "cooperative", "agent": "agent",
           "labourer": "labourer"}  # fmt: skip


class _Period(click.ParamType):
    """A calendar month, YYYY-MM, checked before anything is sent."""

    name = "period"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", text):
            self.fail(f"{value!r} is not a month YYYY-MM, e.g. 2027-01 / 结算期应为年月，如 "
                      "2027-01", param, ctx)  # fmt: skip
        return text


PERIOD = _Period()


def _spreadsheet(ctx, param, value) -> Path | None:
    """--out FILE: a .csv or .xlsx file, checked before anything is asked of the service."""
    if value is None:
        return None
    path = Path(value)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter("the file ends in .csv or .xlsx", ctx=ctx, param=param)
    return path


OUT_OPTION = click.option(
    "--out",
    type=click.Path(dir_okay=False),
    callback=_spreadsheet,
    help="Write it to a .csv or .xlsx file (chosen by the extension; every cell text).",
)


def write_out(path: Path, rows: list[list], sheet_title: str, as_json: bool) -> None:
    """The rows as the CSV or XLSX file `path` names (`sanbao_common.spreadsheets.write_rows`,
    as `sanbao fund statement` writes), and what was written."""
    write_rows(path, [[_text(value) for value in row] for row in rows], sheet_title=sheet_title)
    output.emit({"file": str(path), "rows": len(rows)}, as_json, title=f"{sheet_title} written")


def _text(value):
    """Every cell as text (an XLSX string cell, never a number Excel reformats), None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def fen_text(fen: int | None) -> str:
    """An amount in a file: yuan with two decimals and no grouping, as the fund's statement."""
    return "" if fen is None else format_yuan(fen)


# -- a statement's lines, the same for every view ----------------------------------------------

LINE_HEADERS = ["placement", "person", "name", "ID number (masked)", "village", "township",
                "agent", "item", "kind", "party", "payee", "amount", "adjustment", "due on",
                "follow-up month", "rule", "rule version", "statement", "dispute"]  # fmt: skip


def line_rows(labourers: list[dict]) -> list[list]:
    """One row per line (one party's share of one item), each labourer's lines followed by
    their total: the labourer's line, the village's and the statement's totals add up."""
    rows = []
    for who in labourers:
        person = [who["placement_id"], who["person_id"], who["name"], who["id_number_masked"],
                  who["village_code"], who["township_code"], who["agent_id"]]  # fmt: skip
        for line in who["lines"]:
            rows.append([*person, line["item_key"], line["kind"], line["party"],
                         line["payee_id"], fen_text(line["amount_fen"]), line["adjustment"],
                         line["due_on"], line["follow_up_month"], line["rule_id"],
                         line["rule_version"], line["statement_id"],
                         line["dispute_no"]])  # fmt: skip
        rows.append([*person, "labourer total", "", "", "", fen_text(who["amount_fen"])])
    return rows


def statement_rows(found: dict) -> list[list]:
    """`settlement.get_statement`'s reply as a spreadsheet."""
    rows = [
        ["statement", found["statement_id"]],
        ["period", found["period"]],
        ["agreement (joint account)", found["agreement_id"]],
        ["kind", found["kind"]],
        ["counterparty", found["counterparty_name"], found["counterparty_id"],
         found["counterparty_kind"]],
        ["total", fen_text(found["total_fen"])],
        ["shown here", fen_text(found["shown_fen"])],
        ["status", found["status"], found["acknowledged_at"], found["acknowledged_by"]],
        ["acknowledged", fen_text(found["acknowledged_fen"])],
        ["disputed", fen_text(found["disputed_fen"])],
        ["receivable", found["receivable_state"], found["receivable_id"],
         fen_text(found["paid_fen"])],
    ]  # fmt: skip
    disputes = found.get("disputes") or []
    if disputes:
        rows += [[], ["dispute", "placement", "amount", "asked", "reason", "state", "raised by",
                      "resolved by", "note", "receivable", "statement ref"]]  # fmt: skip
        rows += [[d["dispute_no"], d["placement_id"], fen_text(d["amount_fen"]),
                  fen_text(d.get("asked_fen")), d["reason"], d["state"], d["raised_by"],
                  d["resolved_by"], d["note"],
                  d["receivable_state"], d["statement_ref"]] for d in disputes]  # fmt: skip
    return [*rows, [], LINE_HEADERS, *line_rows(found["labourers"])]


def party_rows(found: dict) -> list[list]:
    """`settlement.party_statement`'s reply as a spreadsheet."""
    rows = [
        ["party", found["party"], found["party_id"]],
        ["period", found["period"], found["period_status"] or "not run"],
        ["total", fen_text(found["total_fen"])],
        *[[f"total {kind}", fen_text(fen)] for kind, fen in found["totals_by_kind"].items()],
    ]
    for s in found.get("statements") or []:
        rows.append(["statement", s["statement_id"], s["agreement_id"],
                     fen_text(s["total_fen"]), s["status"], fen_text(s["acknowledged_fen"]),
                     fen_text(s["disputed_fen"])])  # fmt: skip
    for v in found.get("villages") or []:
        rows.append(["village", v["village_code"], v["village_org_id"],
                     fen_text(v["income_received_fen"]), fen_text(v["rewards_paid_fen"]),
                     v["note_zh"], v["note_en"]])  # fmt: skip
    return [*rows, [], LINE_HEADERS, *line_rows(found["labourers"])]


def _line_table(title: str, labourers: list[dict], names: OrgNames) -> None:
    """Every line, its payee by name (an agent by user id)."""
    values = [
        [who["name"], who["id_number_masked"], who["village_code"], line["item_key"],
         line["party"], names(line["payee_id"]), yuan(line["amount_fen"]), line["adjustment"],
         line["due_on"], f"{line['rule_id'] or ''} v{line['rule_version'] or ''}",
         line["dispute_no"]]
        for who in labourers
        for line in who["lines"]
    ]  # fmt: skip
    output.rows(title, ["name", "ID number", "village", "item", "party", "payee", "yuan",
                        "adjustment", "due on", "rule", "dispute"], values)  # fmt: skip


# -- commands ----------------------------------------------------------------------------------

STATEMENT_COLUMNS = ["statement", "period", "kind", "counterparty", "total", "status",
                     "acknowledged", "disputed", "receivable", "paid"]  # fmt: skip


@click.command("statements")
@click.option("--period", type=PERIOD, help="Only this period's (YYYY-MM).")
@click.option("--kind", type=click.Choice(STATEMENT_KINDS))
@JSON_OPTION
@click.pass_obj
def statements(session: Session, period, kind, as_json):
    """The statements closed periods issued (an HR company's people: their own company's)."""
    found = session.stack.call("settlement", "list_statements", period, kind)
    values = [
        [s["statement_id"], s["period"], s["kind"], s["counterparty_name"], yuan(s["total_fen"]),
         s["status"], yuan(s["acknowledged_fen"]), yuan(s["disputed_fen"]),
         s["receivable_state"], yuan(s["paid_fen"])]
        for s in found["statements"]
    ]  # fmt: skip
    output.emit(found, as_json, lambda: output.rows(
        f"statements ({len(values)})", STATEMENT_COLUMNS, values
    ))  # fmt: skip


def show_statement(session: Session, found: dict, as_json: bool, title: str) -> None:
    def table():
        output.record(title, {
            "statement_id": found["statement_id"], "period": found["period"],
            "agreement": found["agreement_id"], "kind": found["kind"],
            "counterparty": f"{found['counterparty_name']} ({found['counterparty_id']})",
            "total (yuan)": yuan(found["total_fen"]), "status": found["status"],
            "acknowledged": yuan(found["acknowledged_fen"]),
            "disputed": yuan(found["disputed_fen"]),
            "acknowledged by": found["acknowledged_by"],
            "receivable": f"{found['receivable_state']} {found['receivable_id'] or ''}".strip(),
            "why refused": found["receivable_reason"], "paid": yuan(found["paid_fen"]),
        })  # fmt: skip
        output.rows("disputes", ["#", "placement", "yuan", "asked", "reason", "state", "note"],
                    [[d["dispute_no"], d["placement_id"], yuan(d["amount_fen"]),
                      yuan(d.get("asked_fen")), d["reason"], d["state"], d["note"]]
                     for d in found.get("disputes") or []])  # fmt: skip
        if "labourers" in found:
            _line_table(f"lines (shown: {yuan(found['shown_fen'])} yuan)", found["labourers"],
                        OrgNames(session))  # fmt: skip

    output.emit(found, as_json, table)


@click.command("statement")
@click.argument("statement_id")
@OUT_OPTION
@JSON_OPTION
@click.pass_obj
def statement(session: Session, statement_id, out, as_json):
    """One statement: its disputes and every line, per labourer (your area's, if you are a
    cooperative's)."""
    found = session.stack.call("settlement", "get_statement", statement_id)
    if out:
        write_out(out, statement_rows(found), "statement", as_json)
    else:
        show_statement(session, found, as_json, "statement")


def parse_disputes(ctx, param, values) -> list[dict]:
    """--dispute PLACEMENT_ID=REASON, repeated: one dispute each, a placement once."""
    disputes, seen = [], set()
    for text in values:
        placement_id, sep, reason = text.partition("=")
        placement_id, reason = placement_id.strip(), reason.strip()
        if not sep or not placement_id or not reason:
            raise click.BadParameter(
                f"{text!r} is not PLACEMENT_ID=REASON (e.g. <placement id>=未到岗) / 异议格式"
                "应为 安置编号=理由", ctx=ctx, param=param)  # fmt: skip
        if placement_id in seen:
            raise click.BadParameter(f"placement {placement_id} is disputed twice / 同一安置只能"
                                     "提出一次异议", ctx=ctx, param=param)  # fmt: skip
        seen.add(placement_id)
        disputes.append({"placement_id": placement_id, "reason": reason})
    return disputes


@click.command("acknowledge")
@click.argument("statement_id")
@click.option("--dispute", "disputes", multiple=True, callback=parse_disputes,
              metavar="PLACEMENT_ID=REASON",
              help="Dispute a placement's lines, with the reason; repeat for each.")  # fmt: skip
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def acknowledge(session: Session, statement_id, disputes, idempotency_key, as_json):
    """Acknowledge your HR company's service revenue statement (a signatory its seal certified):
    what is not disputed becomes the fund's receivable, once."""
    found = call_command(session, "settlement", "acknowledge_statement", statement_id, disputes,
                         key=idempotency_key)  # fmt: skip
    show_statement(session, found, as_json, "statement acknowledged")


@click.command("resolve")
@click.argument("statement_id")
@click.argument("dispute_no", type=click.IntRange(1))
@click.option("--outcome", type=click.Choice(["owed", "waived"]), required=True,
              help="owed: asked of the fund as a receivable of its own; waived: not "
              "owed.")  # fmt: skip
@click.option("--note")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def resolve(session: Session, statement_id, dispute_no, outcome, note, idempotency_key, as_json):
    """Resolve a dispute (the county cooperative)."""
    found = call_command(session, "settlement", "resolve_dispute", statement_id, dispute_no,
                         outcome, note, key=idempotency_key)  # fmt: skip
    shown = {k: found[k] for k in ("statement_ref", "placement_id", "reason", "state", "note",
                                   "receivable_state", "resolved_by")}  # fmt: skip
    shown |= {"yuan": yuan(found["amount_fen"]), "asked of the fund": yuan(found.get("asked_fen"))}
    output.emit(found, as_json, lambda: output.record(f"dispute {dispute_no}: {outcome}", shown))


@click.command("receivable-again")
@click.argument("statement_ref")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def receivable_again(session: Session, statement_ref, idempotency_key, as_json):
    """Ask the fund again for a receivable it refused (the county cooperative): STATEMENT_REF is
    a statement id, or <statement id>:d<n> for a dispute found owed (`sanbao settlement
    statement` shows why it was refused)."""
    found = call_command(session, "settlement", "request_receivable_again", statement_ref,
                         key=idempotency_key)  # fmt: skip
    output.emit(found, as_json, lambda: output.record("receivable asked for again", {
        "statement_ref": found["statement_ref"], "yuan": yuan(found["amount_fen"]),
        "state": found["receivable_state"], "asked by": found["asked_by"],
    }))  # fmt: skip


@click.command("statement-of")
@click.argument("party", type=click.Choice(list(PARTIES)))
@click.argument("party_id")
@click.option("--period", type=PERIOD, required=True)
@OUT_OPTION
@JSON_OPTION
@click.pass_obj
def statement_of(session: Session, party, party_id, period, out, as_json):
    """One party's lines of a period: an HR company's (org id), a cooperative's (org id), an
    agent's (user id: the labourers behind each yuan, and whether the village has been paid
    yet), a labourer's (person id)."""
    found = session.stack.call("settlement", "party_statement", period, PARTIES[party], party_id)
    if out:
        write_out(out, party_rows(found), "statement", as_json)
        return

    def table():
        names = OrgNames(session)
        shown = names(party_id) if party in ("hr", "cooperative") else party_id
        output.record(f"{party} {shown}, {period}", {
            "period status": found["period_status"] or "not run",
            "total (yuan)": yuan(found["total_fen"]),
            **{kind: yuan(fen) for kind, fen in found["totals_by_kind"].items()},
        })  # fmt: skip
        for v in found.get("villages") or []:
            output.note(f"{v['village_code']}: {v['note_en']} / {v['note_zh']}")
        _line_table("lines", found["labourers"], names)

    output.emit(found, as_json, table)


COMMANDS = (statements, statement, acknowledge, resolve, receivable_again, statement_of)
