"""`sanbao`: operate a running county stack from the command line."""

from __future__ import annotations

import os
import sys

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sanbao_cli import output, tokens
from sanbao_cli.client import CliError, StackClient
from sanbao_cli.params import COUNTY
from sanbao_common.local import DEFAULT_API_URI, default_admin_uri, local_user_uri
from sanbao_common.messaging.topology import CLI_USER_ROLE, user_name

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


class Session:
    """What every command needs: the county, a client for its stack, operator credentials."""

    def __init__(self, county: str, amqp_uri: str | None, admin_uri: str | None, timeout: float):
        self.county = county
        self.admin_uri = admin_uri or default_admin_uri(county)
        uri = amqp_uri or local_user_uri(county, user_name(county, CLI_USER_ROLE))
        self.stack = StackClient(
            county, uri or default_admin_uri(county), timeout, tokens.load(county)
        )

    def close(self) -> None:
        self.stack.close()


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
    envvar="SANBAO_AMQP_URI",
    metavar="URI",
    help="The county's broker as the CLI's own user (env SANBAO_AMQP_URI; default: the "
    "user make run provisioned on this machine).",
)
@click.option(
    "--admin-uri",
    envvar="SANBAO_ADMIN_AMQP_URI",
    metavar="URI",
    help="The county's admin broker credentials, for topology and dead letters (env "
    "SANBAO_ADMIN_AMQP_URI; default: the local RabbitMQ's guest).",
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
def cli(ctx, county, amqp_uri, admin_uri, timeout):
    """Operate a sanbao county stack: register people, follow the candidate pool, look after the
    message bus, check health."""
    session = Session(county, amqp_uri, admin_uri, timeout)
    ctx.call_on_close(session.close)
    ctx.obj = session


def call_command(session: Session, service: str, method: str, *args, key: str):
    """A state-changing call: on a timeout the operator learns how to repeat it safely."""
    try:
        return session.stack.call(service, method, *args, idempotency_key=key)
    except CliError as exc:
        if exc.code in ("TIMEOUT", "BROKER_UNREACHABLE"):
            raise CliError(
                exc.code,
                f"{exc.message}. It may or may not have run: repeat it with --idempotency-key "
                f"{key} and it runs at most once",
            ) from None
        raise


@cli.command()
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


# -- the candidate pool and sample data (labourers and rosters: people.py) --------------------


@cli.group()
def candidates():
    """dispatch's pool of candidates (learned from registry's events)."""


@candidates.command("count")
@click.pass_obj
def candidates_count(session: Session):
    """How many candidates dispatch's pool holds."""
    output.record("dispatch", session.stack.call("dispatch", "count_candidates"))


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


# -- the message bus ---------------------------------------------------------------------------


@cli.group()
def topology():
    """The county's exchanges, queues, users and permissions on the broker (admin)."""


@topology.command("apply")
@click.option(
    "--provision-users",
    is_flag=True,
    help="Also create the services' and the CLI's broker users with their permissions "
    "(management API); new passwords are written to --secrets-file.",
)
@click.option(
    "--api-uri",
    envvar="RABBITMQ_API_URI",
    default=DEFAULT_API_URI,
    show_default=True,
    help="RabbitMQ's management API, with admin credentials.",
)
@click.option(
    "--secrets-file",
    type=click.Path(dir_okay=False),
    help="JSON file of user -> password (read if it exists, then written, mode 0600).",
)
@click.pass_obj
def topology_apply(session: Session, provision_users, api_uri, secrets_file):
    """Declare every exchange, queue and binding of the county (idempotent)."""
    from sanbao_cli import broker

    summary = broker.apply(
        session.admin_uri, provision_users, api_uri, secrets_file, session.county
    )
    output.record("topology applied", summary)


@topology.command("show")
def topology_show():
    """Every consumer queue, what it is bound to, and its retry and dead-letter queues."""
    from sanbao_common.messaging.subscriptions import SUBSCRIPTIONS
    from sanbao_common.messaging.topology import RETRY_DELAYS_SECONDS, dead_queue, events_exchange

    delays = ", ".join(f"{d:g} s" for d in RETRY_DELAYS_SECONDS)
    output.rows(
        "consumer queues",
        ["queue", "bound to", "event", "retries after", "dead letters"],
        [
            [s.queue, events_exchange(s.source), s.event_type, delays, dead_queue(s.queue)]
            for s in SUBSCRIPTIONS
        ],
    )


@cli.group("dead-letters")
def dead_letters():
    """Events a consumer could not apply, parked with the reason (admin)."""


@dead_letters.command("list")
@click.option("--queue", help="Only this consumer queue (see `sanbao topology show`).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.pass_obj
def dead_letters_list(session: Session, queue, limit):
    """List parked events without removing them."""
    from sanbao_cli import broker

    letters = broker.list_dead_letters(session.admin_uri, queue, limit)
    output.rows(
        f"dead letters ({len(letters)})",
        ["queue", "event id", "type", "attempts", "parked at", "reason"],
        [[x.queue, x.event_id, x.event_type, x.attempts, x.parked_at, x.reason] for x in letters],
    )


@dead_letters.command("replay")
@click.option("--queue", help="Only this consumer queue.")
@click.option("--event-id", "event_ids", multiple=True, help="Only these events (repeatable).")
@click.option("--all", "replay_all", is_flag=True, help="Every parked event (of --queue).")
@click.pass_obj
def dead_letters_replay(session: Session, queue, event_ids, replay_all):
    """Send parked events back to their consumer, with fresh attempts."""
    from sanbao_cli import broker

    if not event_ids and not replay_all:
        raise click.UsageError("name --event-id (one or more) or --all")
    with Progress(TextColumn("replaying"), MofNCompleteColumn(), console=output.console) as bar:
        task = bar.add_task("replaying", total=None)
        replayed = broker.replay_dead_letters(
            session.admin_uri, queue, set(event_ids) or None, lambda _: bar.advance(task)
        )
    output.record("dead letters replayed", {"replayed": replayed})


@cli.group()
def events():
    """Published events (each publisher keeps them in its outbox for the retention period)."""


@events.command("replay")
@click.option("--to", "queue", required=True, help="The consumer queue to send them to.")
@click.option(
    "--since",
    help="Only events committed since (ISO 8601 with offset, e.g. 2026-11-01T00:00:00+08:00).",
)
@click.pass_obj
def events_replay(session: Session, queue, since):
    """Publish a publisher's kept events again, to one consumer queue only (a new consumer)."""
    from sanbao_common.messaging.subscriptions import SUBSCRIPTIONS

    subscription = next((s for s in SUBSCRIPTIONS if s.queue == queue), None)
    if subscription is None:
        raise click.BadParameter(f"no consumer queue named {queue}", param_hint="--to")
    request = {"queue": queue, "since": since}
    output.record("replayed", session.stack.call(subscription.source, "replay_events", request))


# The other command groups register themselves on `cli`.
from sanbao_cli import account, directory, fund, people  # noqa: E402, F401
