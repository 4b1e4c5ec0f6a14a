"""The county's message bus, with its admin credentials: topology, dead letters and replays of
published events."""

from __future__ import annotations

import click
from rich.progress import MofNCompleteColumn, Progress, TextColumn

from sanbao_cli import output
from sanbao_cli.output import JSON_OPTION
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
    help="RabbitMQ's management API, with admin credentials (env RABBITMQ_API_URI), e.g. "
    f"{DEFAULT_API_URI.replace('guest:guest', 'USER:PASSWORD')}; needed by --provision-users.",
)
@click.option(
    "--secrets-file",
    type=click.Path(dir_okay=False),
    help="JSON file of user -> password (read if it exists, then written, mode 0600).",
)
@JSON_OPTION
@click.pass_obj
def topology_apply(session: Session, provision_users, api_uri, secrets_file, as_json):
    """Declare every exchange, queue and binding of the county (idempotent)."""
    from sanbao_cli import broker

    summary = broker.apply(
        session.admin_uri, provision_users, api_uri, secrets_file, session.county
    )
    output.emit(summary, as_json, title="topology applied")


@topology.command("show")
@JSON_OPTION
def topology_show(as_json):
    """Every consumer queue, what it is bound to, and its retry and dead-letter queues."""
    from sanbao_common.messaging.subscriptions import SUBSCRIPTIONS
    from sanbao_common.messaging.topology import RETRY_DELAYS_SECONDS, dead_queue, events_exchange

    queues = [
        {
            "queue": s.queue,
            "bound_to": events_exchange(s.source),
            "event": s.event_type,
            "retry_delays_seconds": list(RETRY_DELAYS_SECONDS),
            "dead_letters": dead_queue(s.queue),
        }
        for s in SUBSCRIPTIONS
    ]
    delays = ", ".join(f"{d:g} s" for d in RETRY_DELAYS_SECONDS)
    output.emit(queues, as_json, lambda: output.rows(
        "consumer queues",
        ["queue", "bound to", "event", "retries after", "dead letters"],
        [[q["queue"], q["bound_to"], q["event"], delays, q["dead_letters"]] for q in queues],
    ))  # fmt: skip


@click.group("dead-letters")
def dead_letters():
    """Events a consumer could not apply, parked with the reason (admin)."""


@dead_letters.command("list")
@click.option("--queue", help="Only this consumer queue (see `sanbao topology show`).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@JSON_OPTION
@click.pass_obj
def dead_letters_list(session: Session, queue, limit, as_json):
    """List parked events without removing them."""
    from sanbao_cli import broker

    letters = broker.list_dead_letters(session.admin_uri, queue, limit)
    found = [
        {"queue": x.queue, "event_id": x.event_id, "type": x.event_type, "attempts": x.attempts,
         "parked_at": x.parked_at, "reason": x.reason}
        for x in letters
    ]  # fmt: skip
    output.emit(found, as_json, lambda: output.rows(
        f"dead letters ({len(found)})",
        ["queue", "event id", "type", "attempts", "parked at", "reason"],
        [list(letter.values()) for letter in found],
    ))  # fmt: skip


@dead_letters.command("replay")
@click.option("--queue", help="Only this consumer queue.")
@click.option("--event-id", "event_ids", multiple=True, help="Only these events (repeatable).")
@click.option("--all", "replay_all", is_flag=True, help="Every parked event (of --queue).")
@JSON_OPTION
@click.pass_obj
def dead_letters_replay(session: Session, queue, event_ids, replay_all, as_json):
    """Send parked events back to their consumer, with fresh attempts."""
    from sanbao_cli import broker

    if not event_ids and not replay_all:
        raise click.UsageError("name --event-id (one or more) or --all")
    admin_uri = session.admin_uri
    shown_on = output.errors if as_json else output.console
    with Progress(TextColumn("replaying"), MofNCompleteColumn(), console=shown_on) as bar:
        task = bar.add_task("replaying", total=None)
        replayed = broker.replay_dead_letters(
            admin_uri, queue, set(event_ids) or None, lambda _: bar.advance(task)
        )
    output.emit({"replayed": replayed}, as_json, title="dead letters replayed")


@click.group()
def events():
    """Published events (each publisher keeps them in its outbox for the retention period)."""


@events.command("replay")
@click.option("--to", "queue", required=True, help="The consumer queue to send them to.")
@click.option(
    "--since",
    help="Only events committed since (ISO 8601 with offset, e.g. 2026-11-01T00:00:00+08:00).",
)
@JSON_OPTION
@click.pass_obj
def events_replay(session: Session, queue, since, as_json):
    """Publish a publisher's kept events again, to one consumer queue only (a new consumer)."""
    from sanbao_common.messaging.subscriptions import SUBSCRIPTIONS

    subscription = next((s for s in SUBSCRIPTIONS if s.queue == queue), None)
    if subscription is None:
        raise click.BadParameter(f"no consumer queue named {queue}", param_hint="--to")
    request = {"queue": queue, "since": since}
    replayed = session.stack.call(subscription.source, "replay_events", request)
    output.emit(replayed, as_json, title="replayed")


COMMANDS = (topology, dead_letters, events)
