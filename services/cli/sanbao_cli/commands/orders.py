"""Employers, HR companies' service stations and job orders from the command line:
`sanbao employer add|list`, `sanbao employer station add|list`, `sanbao order
open|close|show|list` (and `sanbao order match`, from `matching`)."""

from __future__ import annotations

import click

from sanbao_cli import output
from sanbao_cli.commands import matching
from sanbao_cli.names import OrgNames
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import KEY_OPTION
from sanbao_cli.session import Session, call_command
from sanbao_common.money import format_yuan

SCOPES = "in_county, in_prefecture, in_province, outside_province (or 县内, 州内, 省内, 省外)"
STATUSES = ["open", "filled", "closed", "cancelled"]
SCOPE_OPTION = click.option("--scope", "place_scope", help=f"Where the work is: {SCOPES}.")
DATE = click.DateTime(formats=["%Y-%m-%d"])


def _day(value) -> str | None:
    return None if value is None else value.date().isoformat()


def _wages(order: dict) -> str:
    low, high = (format_yuan(order[f"wage_{e}_fen"], grouping=True) for e in ("min", "max"))
    return f"{low} – {high}"


def _ages(order: dict) -> str:
    if order["age_min"] is None and order["age_max"] is None:
        return ""
    return f"{order['age_min'] or ''} – {order['age_max'] or ''}"


# -- employers ----------------------------------------------------------------------------------


@click.group()
def employer():
    """Employers an HR company places people with (用工企业), and its service stations."""


@employer.command("add")
@click.option("--name", required=True)
@click.option("--credit-code", required=True, help="统一社会信用代码, 18 characters.")
@click.option("--scope", "place_scope", required=True, help=f"Where it is: {SCOPES}.")
@click.option("--place", required=True, help="The city or town, as written.")
@click.option("--industry", required=True, help="An industry code (E47), name or alias.")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def employer_add(session: Session, name, credit_code, place_scope, place, industry,
                 idempotency_key, as_json):  # fmt: skip
    """Register an employer (HR operators and county administrators)."""
    request = {
        "name": name,
        "credit_code": credit_code,
        "place_scope": place_scope,
        "place": place,
        "industry": industry,
    }
    result = call_command(session, "dispatch", "register_employer", request, key=idempotency_key)
    output.emit(result, as_json, title="employer registered")


EMPLOYER_COLUMNS = ["employer id", "name", "credit code", "scope", "place", "industry"]


@employer.command("list")
@click.option("--industry", help="Only this industry code.")
@SCOPE_OPTION
@JSON_OPTION
@click.pass_obj
def employer_list(session: Session, industry, place_scope, as_json):
    """The county's employers."""
    found = session.stack.call("dispatch", "list_employers", industry, place_scope)
    values = [
        [e["employer_id"], e["name"], e["credit_code"], e["place_scope"], e["place"], e["industry"]]
        for e in found["employers"]
    ]
    output.emit(found, as_json, lambda: output.rows(
        f"employers ({len(values)})", EMPLOYER_COLUMNS, values
    ))  # fmt: skip


@employer.group()
def station():
    """HR companies' service stations (农民工服务站)."""


@station.command("add")
@click.option("--name", required=True)
@click.option("--scope", "place_scope", required=True, help=f"Where it is: {SCOPES}.")
@click.option("--place", required=True)
@click.option("--hr-company", help="The HR company's org id (a county administrator names it).")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def station_add(session: Session, name, place_scope, place, hr_company, idempotency_key, as_json):
    """Register a service station of your HR company."""
    request = {"name": name, "place_scope": place_scope, "place": place}
    if hr_company:
        request["hr_company"] = hr_company
    result = call_command(
        session, "dispatch", "register_service_station", request, key=idempotency_key
    )
    output.emit(result, as_json, title="service station registered")


@station.command("list")
@click.option("--hr-company", help="Only this HR company's (org id).")
@JSON_OPTION
@click.pass_obj
def station_list(session: Session, hr_company, as_json):
    """Service stations."""
    found = session.stack.call("dispatch", "list_service_stations", hr_company)

    def table():
        names = OrgNames(session)
        output.rows(
            f"service stations ({len(found['stations'])})",
            ["station id", "HR company", "name", "scope", "place"],
            [
                [s["station_id"], names(s["hr_company"]), s["name"], s["place_scope"], s["place"]]
                for s in found["stations"]
            ],
        )

    output.emit(found, as_json, table)


# -- job orders ---------------------------------------------------------------------------------


@click.group()
def order():
    """Job orders (用工需求) under a sealed cooperation agreement."""


def _show_order(session: Session, found: dict, as_json: bool, title: str = "job order") -> None:
    def table():
        names = OrgNames(session)
        shown = dict(found)
        shown["hr_company"] = f"{names(found['hr_company'])} ({found['hr_company']})"
        shown["wages (yuan a month)"] = _wages(found)
        shown["ages"] = _ages(found)
        for name in ("wage_min_fen", "wage_max_fen", "age_min", "age_max"):
            del shown[name]
        output.record(title, shown)

    output.emit(found, as_json, table)


@order.command("open")
@click.option("--agreement", "agreement_id", required=True, help="The sealed agreement's id.")
@click.option("--employer", "employer_id", required=True, help="The employer's id.")
@click.option("--station", "station_id", help="Your service station there, if any.")
@click.option("--title", required=True, help="The job, e.g. 电子厂普工.")
@click.option("--positions", default="", help="What the work is, shifts, board and lodging.")
@click.option("--head-count", type=int, required=True, help="People wanted, 1 to 10000.")
@click.option("--wage-min", required=True, help="Monthly wage from, in yuan (4500.00).")
@click.option("--wage-max", required=True, help="Monthly wage up to, in yuan.")
@SCOPE_OPTION
@click.option("--place", help="Where the work is (the employer's unless given).")
@click.option("--industry", help="Industry code, name or alias (the employer's unless given).")
@click.option("--skill", "skills", multiple=True, help="A skill wanted (code, name or alias).")
@click.option("--age-min", type=int, help="Youngest accepted, 16 or more.")
@click.option("--age-max", type=int, help="Oldest accepted, 65 or less.")
@click.option("--starts-on", type=DATE, required=True, help="First day of work, YYYY-MM-DD.")
@click.option("--ends-on", type=DATE, help="Last day of work, for seasonal or fixed-term jobs.")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def order_open(session: Session, idempotency_key, as_json, starts_on, ends_on, skills, **given):
    """Open a job order under your HR company's sealed agreement."""
    request = {name: value for name, value in given.items() if value is not None}
    request.update(starts_on=_day(starts_on), skills=list(skills))
    if ends_on is not None:
        request["ends_on"] = _day(ends_on)
    result = call_command(session, "dispatch", "open_job_order", request, key=idempotency_key)
    _show_order(session, result, as_json, "job order opened")


@order.command("close")
@click.argument("order_id")
@click.option(
    "--outcome",
    type=click.Choice(["filled", "closed", "cancelled"]),
    required=True,
    help="filled: everyone placed; closed: no more wanted; cancelled: it will not happen.",
)
@click.option("--reason", help="Why (required to cancel).")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def order_close(session: Session, order_id, outcome, reason, idempotency_key, as_json):
    """End an open job order."""
    result = call_command(
        session, "dispatch", "close_job_order", order_id, outcome, reason, key=idempotency_key
    )
    _show_order(session, result, as_json, f"job order {outcome}")


@order.command("show")
@click.argument("order_id")
@JSON_OPTION
@click.pass_obj
def order_show(session: Session, order_id, as_json):
    """One job order."""
    _show_order(session, session.stack.call("dispatch", "get_job_order", order_id), as_json)


ORDER_COLUMNS = ["order id", "title", "employer", "wanted", "yuan a month", "scope", "industry",
                 "skills", "ages", "starts", "status"]  # fmt: skip


@order.command("list")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--agreement", "agreement_id", help="Only under this agreement.")
@JSON_OPTION
@click.pass_obj
def order_list(session: Session, status, agreement_id, as_json):
    """Job orders (an HR company's people see their own company's)."""
    found = session.stack.call("dispatch", "list_job_orders", status, agreement_id)
    values = [
        [o["order_id"], o["title"], o["employer_name"], o["head_count"], _wages(o),
         o["place_scope"], o["industry"], o["skills"], _ages(o), o["starts_on"], o["status"]]
        for o in found["orders"]
    ]  # fmt: skip
    output.emit(found, as_json, lambda: output.rows(
        f"job orders ({len(values)})", ORDER_COLUMNS, values
    ))  # fmt: skip


order.add_command(matching.order_match, "match")

COMMANDS = (employer, order)
