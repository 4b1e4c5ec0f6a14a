"""The county stack as a whole: its health, dispatch's candidate pool and sample data."""

from __future__ import annotations

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sanbao_cli import output
from sanbao_cli.client import CliError
from sanbao_cli.session import Session, call_command

SERVICES = ("registry", "dispatch", "fund", "settlement", "notify")
CALLER_PROBLEMS = {
    "BROKER_UNREACHABLE",
    "BROKER_REFUSED",
    "UNAUTHENTICATED",
    "TOKEN_INVALID",
    "TOKEN_EXPIRED",
    "TOKEN_WRONG_COUNTY",
    "PASSWORD_CHANGE_REQUIRED",
    "FORBIDDEN",
}
DEMO_CHUNK = 100


@click.command()
@click.pass_obj
def status(session: Session):
    """Health of each service of the county stack."""
    values, failing = [], 0
    for service in SERVICES:
        try:
            report = session.stack.call(service, "health")
        except CliError as exc:
            if exc.code in CALLER_PROBLEMS:
                raise  # about the caller (no broker, no sign-in), not about the service
            values.append([service, f"down ({exc.code})", "", "", ""])
            failing += 1
            continue
        failing += report["status"] != "ok"
        checks = ", ".join(f"{k}: {v}" for k, v in report["checks"].items())
        values.append([service, report["status"], report["version"], report["county"], checks])
    output.rows("county stack", ["service", "status", "version", "county", "checks"], values)
    if failing:
        raise CliError("STACK_UNHEALTHY", f"{failing} of {len(SERVICES)} services are not ok")


@click.group()
def candidates():
    """dispatch's pool of candidates (learned from registry's events)."""


@candidates.command("count")
@click.pass_obj
def candidates_count(session: Session):
    """How many candidates dispatch's pool holds."""
    output.record("dispatch", session.stack.call("dispatch", "count_candidates"))


@click.group()
def demo():
    """Sample data for a demonstration or training stack (never a real county's)."""


@demo.command("seed")
@click.option("--count", type=click.IntRange(1, 100_000), default=100, show_default=True)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="Same seed and count, same people: seeding twice registers nobody twice.",
)
@click.pass_obj
def demo_seed(session: Session, count, seed):
    """Register COUNT generated labourers of the county (fictitious, with valid ID numbers)."""
    from sanbao_common.sample_data import SampleData

    sample = SampleData(seed)
    registered = refused = 0
    columns = [TextColumn("registering"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=output.console) as progress:
        task = progress.add_task("labourers", total=count)
        for chunk, start in enumerate(range(0, count, DEMO_CHUNK)):
            people = [
                {
                    "name": sample.name(),
                    "id_number": sample.id_number(session.county),
                    "village_code": sample.village_code(session.county),
                    "phone": sample.phone(),
                }
                for _ in range(min(DEMO_CHUNK, count - start))
            ]
            key = f"demo-seed-{session.county}-{seed}-{count}-{chunk}"
            result = call_command(session, "registry", "register_labourers", people, key=key)
            registered += len(result["registered"])
            refused += len(result["refused"])
            progress.advance(task, len(people))
    output.record("demo seed", {"registered": registered, "already registered or refused": refused})


COMMANDS = (status, candidates, demo)
