"""The inbox: which events each handler has applied, written in the same transaction as the
effect, so a redelivered or replayed event does nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import Envelope
from sanbao_common.messaging.tables import INBOX


def accept(uow: UnitOfWork, handler: str, events: list[Envelope]) -> list[Envelope]:
    """The events `handler` has not applied yet, recorded as applied (commit makes it so)."""
    ids = [str(event.event_id) for event in events]
    seen = set(
        uow.connection.execute(
            select(INBOX.c.event_id)
            .where(INBOX.c.handler == handler)
            .where(INBOX.c.event_id.in_(ids))
        ).scalars()
    )
    fresh = []
    for event, event_id in zip(events, ids, strict=True):
        if event_id not in seen:
            seen.add(event_id)  # the same event twice in one batch is applied once
            fresh.append(event)
    if fresh:
        now = datetime.now(UTC)
        uow.connection.execute(
            insert(INBOX),
            [{"handler": handler, "event_id": str(e.event_id), "applied_at": now} for e in fresh],
        )
    return fresh
