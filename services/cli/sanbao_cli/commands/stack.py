"""The county stack as a whole: its health, dispatch's candidate pool and sample data.

`sanbao status` asks every service at once, each on a connection of its own, and waits a few
seconds for all of them (`--within`), not a full --timeout for each in turn: with the stack down
it answers within those seconds and names the services that did not answer."""

from __future__ import annotations

import threading
import time

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sanbao_cli import output
from sanbao_cli.client import CliError
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.session import Session, call_command

SERVICES = ("registry", "dispatch", "fund", "settlement", "notify")
STATUS_WITHIN = 3.0  # seconds a healthy service needs to answer `health`, with room to spare
# Beyond `within`, what connecting to the broker may take before a call is counted unanswered.
CONNECT_GRACE = 2.0
CALLER_PROBLEMS = {
    "NOT_CONFIGURED",
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


def ask_all(call, services, within: float) -> dict:
    """service -> its `health` report, or the CliError it failed with: every service asked at
    once (`call(service, method, timeout=within)`, one thread each), none waited for longer
    than `within` and the time to connect."""
    answers: dict = {}

    def ask(service):
        try:
            answers[service] = call(service, "health", timeout=within)
        except CliError as exc:
            answers[service] = exc
        except Exception as exc:  # a bug here is one service's row, not a traceback
            answers[service] = CliError("INTERNAL", f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=ask, args=(s,), daemon=True) for s in services]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + within + CONNECT_GRACE
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    silent = CliError("TIMEOUT", f"no answer within {within:g} s")
    return {service: answers.get(service, silent) for service in services}


def _probe(session: Session):
    """A `call` for `ask_all`: each on a client (and connection) of its own."""

    def call(service, method, timeout):
        with session.client(timeout) as client:
            return client.call(service, method)

    return call


@click.command()
@click.option(
    "--within",
    type=click.FloatRange(0.1, 60),
    default=STATUS_WITHIN,
    show_default=True,
    help="Seconds to wait for the services' answers (they are all asked at once).",
)
@JSON_OPTION
@click.pass_obj
def status(session: Session, within, as_json):
    """Health of each service of the county stack."""
    answers = ask_all(_probe(session), SERVICES, within)
    for answer in answers.values():
        if isinstance(answer, CliError) and answer.code in CALLER_PROBLEMS:
            raise answer  # about the caller (no broker, no sign-in), not about the service
    down = [s for s, answer in answers.items() if isinstance(answer, CliError)]
    reports = {
        service: {"status": "down", "error": answer.code, "message": answer.message}
        if isinstance(answer, CliError) else answer
        for service, answer in answers.items()
    }  # fmt: skip
    output.emit(reports, as_json, lambda: output.rows(
        "county stack",
        ["service", "status", "version", "county", "checks"],
        [_status_row(service, report) for service, report in reports.items()],
    ))  # fmt: skip
    unhealthy = [s for s, r in reports.items() if s not in down and r.get("status") != "ok"]
    if down or unhealthy:
        said = [f"down: {', '.join(down)}"] if down else []
        said += [f"not ok: {', '.join(unhealthy)}"] if unhealthy else []
        raise CliError(
            "STACK_UNHEALTHY",
            f"{len(down) + len(unhealthy)} of {len(SERVICES)} services are not ok; "
            f"{'; '.join(said)} / {len(down) + len(unhealthy)} 个服务异常"
            + (f"，未运行或无应答：{'、'.join(down)}" if down else "")
            + (f"，状态异常：{'、'.join(unhealthy)}" if unhealthy else ""),
        )


def _status_row(service: str, report: dict) -> list:
    if report["status"] == "down":
        return [service, f"down ({report['error']})", "", "", ""]
    checks = ", ".join(f"{k}: {output.cell(v)}" for k, v in report["checks"].items())
    return [service, report["status"], report["version"], report["county"], checks]


@click.group()
def candidates():
    """dispatch's pool of candidates (learned from registry's events)."""


@candidates.command("count")
@JSON_OPTION
@click.pass_obj
def candidates_count(session: Session, as_json):
    """How many candidates dispatch's pool holds."""
    output.emit(session.stack.call("dispatch", "count_candidates"), as_json, title="dispatch")


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
@JSON_OPTION
@click.pass_obj
def demo_seed(session: Session, count, seed, as_json):
    """Register COUNT generated labourers of the county (fictitious, with valid ID numbers)."""
    from sanbao_common.sample_data import SampleData

    sample = SampleData(seed)
    registered = refused = 0
    columns = [TextColumn("registering"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=output.errors if as_json else output.console) as progress:
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
    output.emit(
        {"registered": registered, "already_registered_or_refused": refused},
        as_json,
        lambda: output.record(
            "demo seed", {"registered": registered, "already registered or refused": refused}
        ),
    )


COMMANDS = (status, candidates, demo)
