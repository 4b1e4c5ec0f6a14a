"""The county's message bus, with its admin credentials: topology, dead letters and replays of
published events; and resyncs, the current state of a consumer's records published again."""

from __future__ import annotations

from contextlib import contextmanager

import click
from click.core import ParameterSource
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
    """Published events: sent again from the publisher's outbox (kept for the retention period),
    or the current state of its records sent again (resync)."""


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


# A resync answers once every record is published (a county's labourers: a minute or so), so
# unless --timeout (or SANBAO_TIMEOUT) says otherwise it is waited for this long, not 10 s.
RESYNC_TIMEOUT = 600.0


@contextmanager
def _patient(session: Session):
    """A client waiting RESYNC_TIMEOUT for each answer, unless the operator chose a timeout."""
    root = click.get_current_context().find_root()
    if root.get_parameter_source("timeout") != ParameterSource.DEFAULT:
        yield session.stack
        return
    with session.client(max(session.timeout, RESYNC_TIMEOUT)) as client:
        yield client


@events.command("resync")
@click.argument("consumer")
@click.option(
    "--event",
    "event_types",
    multiple=True,
    help="Only this event type (repeatable), e.g. labourer_updated; default: all it consumes.",
)
@JSON_OPTION
@click.pass_obj
def events_resync(session: Session, consumer, event_types, as_json):
    """Publish the current state of the records CONSUMER (a service) follows, to its queues only:
    each publisher it subscribes to, registry first. For a consumer whose copies are older than
    the outbox keeps events, or lack fields added since; harmless to run again."""
    from sanbao_common.messaging.subscriptions import SUBSCRIPTIONS
    from sanbao_common.messaging.topology import SERVICES

    followed = [s for s in SUBSCRIPTIONS if s.consumer == consumer]
    if not followed:
        known = ", ".join(sorted({s.consumer for s in SUBSCRIPTIONS}))
        raise click.BadParameter(
            f"no consumer named {consumer}: one of {known}", param_hint="CONSUMER"
        )
    unknown = sorted(set(event_types) - {s.event_type for s in followed})
    if unknown:
        raise click.BadParameter(
            f"{consumer} consumes no {', '.join(unknown)}", param_hint="--event"
        )
    wanted = [s for s in followed if not event_types or s.event_type in event_types]
    replies = []
    with _patient(session) as client:
        for publisher in [p for p in SERVICES if any(s.source == p for s in wanted)]:
            request = {"consumer": consumer}
            if event_types:
                request["event_types"] = [s.event_type for s in wanted if s.source == publisher]
            replies.append(client.call(publisher, "resync_events", request))
    queues = [dict(q, publisher=reply["source"]) for reply in replies for q in reply["queues"]]
    output.emit(replies, as_json, lambda: _resync_table(consumer, queues))


def _resync_table(consumer: str, queues: list[dict]) -> None:
    shown = {"resynced": "published", "no_source": "no resync source"}
    output.rows(
        f"resynced to {consumer}",
        ["publisher", "queue", "event", "records", "events", "outcome"],
        [[q["publisher"], q["queue"], q["event_type"], q["records"], q["events"],
          shown.get(q["status"], q["status"])] for q in queues],
    )  # fmt: skip
    if any(q["status"] == "no_source" for q in queues):
        output.note(
            "No resync source: such a queue gets those events as they happen, or again from "
            "the publisher's outbox (sanbao events replay --to QUEUE). A labourer's current "
            "state travels as labourer_updated, whichever event first announced them."
        )


COMMANDS = (topology, dead_letters, events)
