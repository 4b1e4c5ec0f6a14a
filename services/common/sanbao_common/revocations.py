"""Sign-in tokens withdrawn within a minute, in every service.

A token is registry's signed statement of who the caller is, good until it expires (an hour at
most). It cannot be taken back, but a time can be recorded against its user: every token issued
at or before that time is void. registry records the time whenever what a token says stops being
true — the user is deactivated, loses a role or has their area changed, has their password reset
or changed, loses a signing key, or their organisation is deactivated — and publishes it as
`registry.user_tokens_revoked`. Every service keeps the latest time per user in its own
`token_revocations` table (`ServiceBase` mounts the consumer, so a new service inherits it) and
`Authorization` refuses a token issued at or before it. A role granted voids nothing: the
holder's token simply does not carry it until they sign in again.

Each replica keeps the table in memory and reads it again at most every REFRESH_SECONDS; the
table stays a handful of rows, because a time older than the longest token life can void
nothing and is pruned. So a replica learns a revocation within REFRESH_SECONDS of the event being
applied by any replica of its service, and the event itself normally arrives within a second.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from marshmallow import EXCLUDE, Schema, fields
from sqlalchemy import Column, DateTime, MetaData, String, Table, delete, insert, select, update

from sanbao_common.envelope import load_payload

REFRESH_SECONDS = 15
# Tokens live an hour at most (config refuses a longer TOKEN_TTL_SECONDS, `verify_token` a
# longer-lived token); a revocation is kept twice that, so that no clock difference between
# registry's replicas can outlive it.
KEEP_FOR = timedelta(hours=2)
REASONS = (
    "deactivated",
    "roles_reduced",
    "password_reset",
    "password_changed",
    "signing_key_revoked",
    "organisation_deactivated",
    "organisation_moved",
)
# A time further ahead than this is taken as this: a revocation dated in the future would never
# be pruned, and would keep its user out of this service for good.
FUTURE_SLACK = timedelta(minutes=5)


def token_revocations_table(metadata: MetaData) -> Table:
    return Table(
        "token_revocations",
        metadata,
        Column("user_id", String(36), primary_key=True),
        Column("not_before", DateTime(timezone=True), nullable=False),
    )


TOKEN_REVOCATIONS = token_revocations_table(MetaData())


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time here is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# How many revocations this process has committed: a replica's list is read again after its
# own process recorded one, so registry refuses a withdrawn token from the change's commit on.
_committed_here = 0


def _count_commit() -> None:
    global _committed_here
    _committed_here += 1


def record(uow, user_id: str, not_before: datetime, now: datetime | None = None) -> None:
    """Void the tokens of `user_id` issued at or before `not_before` (a later time than the one
    kept replaces it, an earlier one changes nothing), and forget times too old to void any
    token still alive; within `uow`, the unit of work of the change or of the event."""
    uow.after_commit(_count_commit)
    connection, table = uow.connection, TOKEN_REVOCATIONS
    moved = connection.execute(
        update(table)
        .where(table.c.user_id == user_id, table.c.not_before < not_before)
        .values(not_before=not_before)
    ).rowcount
    if not moved:
        kept = connection.execute(select(table.c.user_id).where(table.c.user_id == user_id))
        if kept.first() is None:
            connection.execute(insert(table).values(user_id=user_id, not_before=not_before))
    connection.execute(
        delete(table).where(table.c.not_before < (now or datetime.now(UTC)) - KEEP_FOR)
    )


class RevocationPayload(Schema):
    class Meta:
        unknown = EXCLUDE  # a field added later is no reason to park the event

    user_id = fields.String(required=True)
    username = fields.String(required=True)
    not_before = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)


_payload = RevocationPayload()


def apply_events(uow, events) -> None:
    """`registry.user_tokens_revoked` events, as the consumer receives them."""
    now = datetime.now(UTC)
    for event in events:
        payload = load_payload(_payload, event)
        not_before = min(payload["not_before"].astimezone(UTC), now + FUTURE_SLACK)
        record(uow, payload["user_id"], not_before, now=now)


class RevocationList:
    """One replica's view of `token_revocations`: read again when REFRESH_SECONDS old, or when
    its own process has committed a revocation since."""

    def __init__(self, database_handle, refresh_seconds: float = REFRESH_SECONDS, clock=None):
        self._database_handle = database_handle  # a callable: the Database may set up later
        self._refresh_seconds = refresh_seconds
        self._clock = clock or time.monotonic
        self._not_before: dict[str, datetime] = {}
        self._read_at: float | None = None
        self._read_after = -1  # `_committed_here` when last read

    def voids(self, user_id: str, issued_at: datetime) -> bool:
        """Whether a token of `user_id` issued at `issued_at` has been revoked."""
        now = self._clock()
        stale = self._read_at is None or now - self._read_at >= self._refresh_seconds
        if stale or self._read_after != _committed_here:
            self._read(now)
        not_before = self._not_before.get(user_id)
        return not_before is not None and issued_at <= not_before

    def _read(self, now: float) -> None:
        committed = _committed_here  # one committed while reading is read next time
        with self._database_handle().reader() as uow:
            rows = uow.connection.execute(
                select(TOKEN_REVOCATIONS.c.user_id, TOKEN_REVOCATIONS.c.not_before)
            ).all()
        self._not_before = {row.user_id: _utc(row.not_before) for row in rows}
        self._read_at, self._read_after = now, committed


def revocation_payload(user_id: str, username: str, not_before: datetime, reason: str) -> dict:
    """The payload of `user_tokens_revoked`: registry's one way of building it."""
    if reason not in REASONS:
        raise ValueError(f"unknown revocation reason {reason!r}")
    return {
        "user_id": user_id,
        "username": username,
        "not_before": not_before.astimezone(UTC).isoformat(),
        "reason": reason,
    }
