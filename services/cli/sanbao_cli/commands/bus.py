"""The county's message bus, with its admin credentials: topology, dead letters and replays of
published events."""

from __future__ import annotations

import click
from rich.progress import MofNCompleteColumn, Progress, TextColumn

from sanbao_cli import output
from sanbao_cli.session import Session
from sanbao_common.local import DEFAULT_API_URI


@click.group()
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


@click.group("dead-letters")
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


@click.group()
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


COMMANDS = (topology, dead_letters, events)
