"""`sanbao`: operate a running county stack from the command line."""

from __future__ import annotations

import os
import sys

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sanbao_cli import output
from sanbao_cli.client import CliError, StackClient, default_amqp_uri
from sanbao_cli.params import COUNTY, ID_NUMBER, PHONE, VILLAGE

SERVICES = ("registry", "dispatch", "fund", "settlement", "notify")


class SanbaoGroup(click.Group):
    """Turns every failure into one line with an error code; a traceback only with SANBAO_DEBUG."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CliError as exc:
            output.error(exc.code, escape(exc.message))
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("SANBAO_DEBUG"):
                raise
            output.error(
                "INTERNAL",
                escape(f"{type(exc).__name__}: {exc} (run with SANBAO_DEBUG=1 for the traceback)"),
            )
            sys.exit(70)


@click.group(cls=SanbaoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--county",
    type=COUNTY,
    envvar="COUNTY",
    default="532501",
    show_default=True,
    help="The county whose stack to talk to (env COUNTY).",
)
@click.option(
    "--amqp-uri",
    envvar="AMQP_URI",
    metavar="URI",
    help="The county's broker (env AMQP_URI; default: local RabbitMQ, vhost sanbao-<county>).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 600),
    default=10,
    show_default=True,
    envvar="SANBAO_TIMEOUT",
    help="Seconds to wait for each answer.",
)
@click.pass_context
def cli(ctx, county, amqp_uri, timeout):
    """Operate a sanbao county stack: register people, follow the candidate pool, check health."""
    ctx.obj = ctx.with_resource(StackClient(county, amqp_uri or default_amqp_uri(county), timeout))


@cli.command()
@click.pass_obj
def status(stack: StackClient):
    """Health of each service of the county stack."""
    values, failing = [], 0
    for service in SERVICES:
        try:
            report = stack.call(service, "health")
        except CliError as exc:
            if exc.code in ("BROKER_UNREACHABLE", "BROKER_REFUSED"):
                raise
            values.append([service, f"down ({exc.code})", "", "", ""])
            failing += 1
            continue
        failing += report["status"] != "ok"
        checks = ", ".join(f"{k}: {v}" for k, v in report["checks"].items())
        values.append([service, report["status"], report["version"], report["county"], checks])
    output.rows("county stack", ["service", "status", "version", "county", "checks"], values)
    if failing:
        raise CliError("STACK_UNHEALTHY", f"{failing} of {len(SERVICES)} services are not ok")


@cli.group()
def labourer():
    """Rural labourers in the registry."""


@labourer.command("register")
@click.option("--name", required=True, help="Name as on the ID card, e.g. 李秀英.")
@click.option("--id-number", required=True, type=ID_NUMBER, help="18-character resident ID number.")
@click.option("--village", required=True, type=VILLAGE, help="12-digit village division code.")
@click.option("--phone", type=PHONE, help="Mainland mobile number.")
@click.pass_obj
def labourer_register(stack: StackClient, name, id_number, village, phone):
    """Register one labourer."""
    result = stack.call(
        "registry",
        "register_labourer",
        {
            "name": name,
            "id_number": id_number,
            "village_code": village,
            "phone": phone,
        },
    )
    output.record("registered", result)


@labourer.command("show")
@click.argument("person_id")
@click.pass_obj
def labourer_show(stack: StackClient, person_id):
    """Show one labourer by person id."""
    output.record("labourer", stack.call("registry", "get_labourer", person_id))


@labourer.command("count")
@click.pass_obj
def labourer_count(stack: StackClient):
    """How many labourers the registry holds."""
    output.record("registry", stack.call("registry", "count_labourers"))


@cli.group()
def candidates():
    """dispatch's pool of candidates (learned from registry's events)."""


@candidates.command("count")
@click.pass_obj
def candidates_count(stack: StackClient):
    """How many candidates dispatch's pool holds."""
    output.record("dispatch", stack.call("dispatch", "count_candidates"))


@cli.group()
def demo():
    """Sample data for a demonstration or training stack (never a real county's)."""


@demo.command("seed")
@click.option("--count", type=click.IntRange(1, 100_000), default=100, show_default=True)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="Same seed, same people: seeding twice registers nobody twice.",
)
@click.pass_obj
def demo_seed(stack: StackClient, count, seed):
    """Register COUNT generated labourers of the county (fictitious, with valid ID numbers)."""
    from sanbao_common.sample_data import SampleData

    county = stack.county
    sample = SampleData(seed)
    registered = skipped = 0
    columns = [TextColumn("registering"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=output.console) as progress:
        task = progress.add_task("labourers", total=count)
        for _ in range(count):
            person = {
                "name": sample.name(),
                "id_number": sample.id_number(county),
                "village_code": sample.village_code(county),
                "phone": sample.phone(),
            }
            try:
                stack.call("registry", "register_labourer", person)
                registered += 1
            except CliError as exc:
                if exc.code != "LABOURER_ALREADY_REGISTERED":
                    raise
                skipped += 1
            progress.advance(task)
    output.record("demo seed", {"registered": registered, "already registered": skipped})
