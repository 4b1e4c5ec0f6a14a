"""Settlement (结算) from the command line: `sanbao settlement …`. The county's agents' reward and
subsidy rules (`reward-rule`, `subsidy-rule`); monthly periods run, closed and shown (`run`,
`close`, `periods`, `period`); what settlement holds of others' records (`inputs`). Statements,
acknowledgements and disputes are in `settlement_statements`; distributions and the village
cooperatives' books in `village_books`. Amounts are typed in yuan and shown in yuan; periods are
months, YYYY-MM; dates the county's, YYYY-MM-DD."""

from __future__ import annotations

import click

from sanbao_cli import output
from sanbao_cli.commands import settlement_statements, village_books
from sanbao_cli.commands.batches import DATE, day, yuan
from sanbao_cli.commands.fund_income import Directory
from sanbao_cli.commands.settlement_statements import PERIOD
from sanbao_cli.names import OrgNames
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import KEY_OPTION, VILLAGE
from sanbao_cli.session import Session, call_command


@click.group()
def settlement():
    """Settlement (结算): service revenue the HR companies pay the cooperatives, the policy
    subsidies claimed for placing registered-poor labourers, agents' rewards, monthly periods
    and statements, the distributions asked of the fund and the village cooperatives' books."""


# -- the county's rules ------------------------------------------------------------------------


@settlement.group("reward-rule")
def reward_rule():
    """Agents' reward rules: a sum per labourer an agent mobilised who is still at work some
    months after starting (the county's policy, optionally per village)."""


@reward_rule.command("set")
@click.option("--rule", "rule_id", help="The rule to give a new version (default: a new rule).")
@click.option("--village", "village_code", type=VILLAGE,
              help="Only this village (12 digits; default: county-wide).")  # fmt: skip
@click.option("--per-labourer", required=True, help="Yuan per labourer (200.00).")
@click.option("--after-months", type=click.IntRange(1, 24), required=True,
              help="Still at work this many months after the start.")  # fmt: skip
@click.option("--from", "effective_from", type=DATE, required=True,
              help="Applies from this day, YYYY-MM-DD (not before today once the scope has a "
              "rule).")  # fmt: skip
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def reward_rule_set(session: Session, rule_id, village_code, per_labourer, after_months,
                    effective_from, idempotency_key, as_json):  # fmt: skip
    """Add a reward rule, or a new version of one (county administrators)."""
    rule = {"village_code": village_code, "per_labourer": per_labourer,
            "after_months": after_months, "effective_from": day(effective_from)}  # fmt: skip
    if rule_id:
        rule["rule_id"] = rule_id
    kept = call_command(session, "settlement", "set_reward_rule", rule, key=idempotency_key)
    output.emit(kept, as_json, lambda: output.record("reward rule kept", _reward_record(kept)))


def _reward_record(rule: dict) -> dict:
    return {
        "rule_id": rule["rule_id"],
        "version": rule["version"],
        "village": rule["village_code"] or "county-wide",
        "per labourer (yuan)": yuan(rule["per_labourer_fen"]),
        "after months": rule["after_months"],
        "effective_from": rule["effective_from"],
        "set": f"{rule['created_at']} by {rule['created_by']}",
    }


@reward_rule.command("list")
@JSON_OPTION
@click.pass_obj
def reward_rule_list(session: Session, as_json):
    """Every version of every reward rule: county-wide first, then per village."""
    found = session.stack.call("settlement", "list_reward_rules")
    values = [list(_reward_record(r).values()) for r in found["rules"]]
    columns = ["rule", "version", "village", "per labourer", "after months", "from", "set"]
    output.emit(found, as_json, lambda: output.rows(
        f"reward rules ({len(values)})", columns, values
    ))  # fmt: skip


@settlement.group("subsidy-rule")
def subsidy_rule():
    """Policy subsidy rules: a sum per registered-poor labourer placed that the paying body (e.g.
    the human-resources bureau) pays the organisers, once the placement has lasted some days."""


@subsidy_rule.command("set")
@click.option("--rule", "rule_id", help="The rule to give a new version (default: a new rule).")
@click.option("--payer", "payer", required=True,
              help="The paying body: its org id, or its name in the directory.")  # fmt: skip
@click.option("--payer-name", help="Its name on the claim (default: the directory's).")
@click.option("--per-head", required=True, help="Yuan per registered-poor labourer (500.00).")
@click.option("--qualifying-days", type=click.IntRange(0, 3660), required=True)
@click.option("--from", "effective_from", type=DATE, required=True,
              help="Applies from this day, YYYY-MM-DD.")  # fmt: skip
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def subsidy_rule_set(session: Session, rule_id, payer, payer_name, per_head, qualifying_days,
                     effective_from, idempotency_key, as_json):  # fmt: skip
    """Add a subsidy rule, or a new version of one (county administrators)."""
    directory = Directory(session)
    payer_id = directory.org_id(payer, "--payer")
    if payer_name is None:
        if directory.find(payer_id) is None:
            raise click.BadParameter(f"{payer} is not in the directory: give --payer-name",
                                     param_hint="--payer-name")  # fmt: skip
        payer_name = directory(payer_id)
    rule = {"payer_id": payer_id, "payer_name": payer_name, "per_head": per_head,
            "qualifying_days": qualifying_days, "effective_from": day(effective_from)}  # fmt: skip
    if rule_id:
        rule["rule_id"] = rule_id
    kept = call_command(session, "settlement", "set_subsidy_rule", rule, key=idempotency_key)
    output.emit(kept, as_json, lambda: output.record("subsidy rule kept", _subsidy_record(kept)))


def _subsidy_record(rule: dict) -> dict:
    return {
        "rule_id": rule["rule_id"],
        "version": rule["version"],
        "payer": f"{rule['payer_name']} ({rule['payer_id']})",
        "per head (yuan)": yuan(rule["per_head_fen"]),
        "qualifying days": rule["qualifying_days"],
        "effective_from": rule["effective_from"],
        "set": f"{rule['created_at']} by {rule['created_by']}",
    }


@subsidy_rule.command("list")
@JSON_OPTION
@click.pass_obj
def subsidy_rule_list(session: Session, as_json):
    """Every version of every subsidy rule, by effective date."""
    found = session.stack.call("settlement", "list_subsidy_rules")
    values = [list(_subsidy_record(r).values()) for r in found["rules"]]
    columns = ["rule", "version", "payer", "per head", "qualifying days", "from", "set"]
    output.emit(found, as_json, lambda: output.rows(
        f"subsidy rules ({len(values)})", columns, values
    ))  # fmt: skip


# -- periods -----------------------------------------------------------------------------------


def show_period(session: Session, found: dict, as_json: bool, title: str) -> None:
    """A period as settlement replies (`settlement.get_period`): its state, totals by kind and
    party, statements, pending placements and deferred groups."""

    def table():
        names = OrgNames(session)
        closed = found.get("closed_by") or {}
        output.record(title, {
            "period": found["period"], "status": found["status"], "runs": found["runs"],
            "computed through": found["through"],
            "last run": f"{found['last_run_at']} by {found['last_run_by']}",
            "closed": f"{found['closed_at']} by {closed.get('username')}" if closed else None,
            "lines": found["rows"], "total (yuan)": yuan(found["total_fen"]),
        })  # fmt: skip
        totals = found["totals"]
        output.rows("totals", ["by", "what", "yuan"],
                    [["kind", k, yuan(v)] for k, v in totals["by_kind"].items()]
                    + [["party", k, yuan(v)] for k, v in totals["by_party"].items()])  # fmt: skip
        output.rows("statements", ["statement", "kind", "agreement", "counterparty", "yuan",
                                   "lines"],
                    [[s["statement_id"], s["kind"], s["agreement_id"], names(s["counterparty_id"]),
                      yuan(s["total_fen"]), s["lines"]] for s in found["statements"]])  # fmt: skip
        pending = found["pending"]
        output.rows(f"pending placements ({pending['count']}; they settle later)",
                    ["placement", "name", "ID number", "village", "reason", "details"],
                    [[p["placement_id"], p.get("name"), p.get("id_number_masked"),
                      p.get("village_code"), p["reason"], p["details"]]
                     for p in pending["first"]])  # fmt: skip
        if found["deferred"]:
            output.rows("deferred (a negative net, settled in the next open period)",
                        ["kind", "agreement", "payee", "yuan", "lines", "reason"],
                        [[g["kind"], g["agreement_id"], names(g["payee_id"]), yuan(g["amount_fen"]),
                          g["lines"], g["reason"]] for g in found["deferred"]])  # fmt: skip

    output.emit(found, as_json, table)


@settlement.command("run")
@click.argument("period", type=PERIOD)
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def settlement_run(session: Session, period, idempotency_key, as_json):
    """Compute an open period's lines (again: the same inputs give the same fen); nothing is
    published or asked of anyone (the county cooperative)."""
    found = call_command(session, "settlement", "run_period", period, key=idempotency_key)
    show_period(session, found, as_json, f"period {period} run")


@settlement.command("close")
@click.argument("period", type=PERIOD)
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def settlement_close(session: Session, period, idempotency_key, as_json):
    """Close an ended month, in month order (the county cooperative): run once more, frozen,
    statements issued to the HR companies and paying bodies, subsidies claimed, agents'
    rewards announced. Distributions are later asked of the fund on your behalf."""
    found = call_command(session, "settlement", "close_period", period, key=idempotency_key)
    show_period(session, found, as_json, f"period {period} closed")


@settlement.command("periods")
@JSON_OPTION
@click.pass_obj
def settlement_periods(session: Session, as_json):
    """Every period run: open or closed, how often run, who closed it."""
    found = session.stack.call("settlement", "list_periods")
    values = [
        [p["period"], p["status"], p["runs"], p["through"], p["last_run_at"],
         (p.get("closed_by") or {}).get("username"), p["closed_at"]]
        for p in found["periods"]
    ]  # fmt: skip
    columns = ["period", "status", "runs", "through", "last run", "closed by", "closed at"]
    output.emit(found, as_json, lambda: output.rows(
        f"periods ({len(values)})", columns, values
    ))  # fmt: skip


@settlement.command("period")
@click.argument("period", type=PERIOD)
@JSON_OPTION
@click.pass_obj
def settlement_period(session: Session, period, as_json):
    """One period as you may see it: totals, statements, pending placements with their reason."""
    found = session.stack.call("settlement", "get_period", period)
    show_period(session, found, as_json, "period")


# -- what settlement holds ---------------------------------------------------------------------


@settlement.command("inputs")
@JSON_OPTION
@click.pass_obj
def settlement_inputs(session: Session, as_json):
    """What settlement holds of dispatch's and registry's records (counts), and the latest
    inputs it refused with their reasons: check it after `sanbao events resync settlement`."""
    found = session.stack.call("settlement", "get_inputs_summary")

    def table():
        refused = found.get("latest_refused") or []
        counts = {k: v for k, v in found.items() if k != "latest_refused"}
        output.record("settlement's inputs", counts)
        if refused:
            columns = list(refused[0])
            output.rows("latest refused", columns, [[r.get(c) for c in columns] for r in refused])

    output.emit(found, as_json, table)


for _command in (*settlement_statements.COMMANDS, *village_books.COMMANDS):
    settlement.add_command(_command)

COMMANDS = (settlement,)
