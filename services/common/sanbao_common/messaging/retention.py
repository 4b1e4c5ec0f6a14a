"""Forgetting what is no longer needed, and nothing sooner.

- outbox: published events, after OUTBOX_RETENTION_DAYS (default 30): until then a consumer added
  later can ask the publisher to replay them.
- inbox: applied event ids, after INBOX_RETENTION_DAYS (default 60): longer than the outbox keeps
  events, so no replay or redelivery can outlive the memory that it was applied.
- idempotency keys, after IDEMPOTENCY_RETENTION_DAYS (default 30): how long a client may retry.

Every replica runs this hourly; deleting what another replica already deleted is harmless.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta

import eventlet
from nameko import config as nameko_config
from nameko.extensions import DependencyProvider
from sqlalchemy import Table, delete, inspect, select

from sanbao_common.db import Database, DatabaseHandle
from sanbao_common.messaging.tables import IDEMPOTENCY_KEYS, INBOX, OUTBOX

log = logging.getLogger("sanbao.retention")

EVERY_SECONDS = 3600
CHUNK = 5000

# table: (the column saying since when a row is done with, the setting, its default in days)
POLICY = {
    OUTBOX: ("published_at", "OUTBOX_RETENTION_DAYS", 30),
    INBOX: ("applied_at", "INBOX_RETENTION_DAYS", 60),
    IDEMPOTENCY_KEYS: ("created_at", "IDEMPOTENCY_RETENTION_DAYS", 30),
}


def purge_table(db: DatabaseHandle, table: Table, days: int, now: datetime | None = None) -> int:
    """Delete rows done with before the cutoff, at most about CHUNK per transaction so that a
    long backlog never holds SQLite's write lock for long."""
    moment = table.c[POLICY[table][0]]
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    removed = 0
    while True:
        with db.unit_of_work() as uow:
            boundary = uow.connection.execute(
                select(moment).where(moment < cutoff).order_by(moment).offset(CHUNK - 1).limit(1)
            ).scalar()
            condition = moment < cutoff if boundary is None else moment <= boundary
            removed += uow.connection.execute(delete(table).where(condition)).rowcount
            uow.commit()
        if boundary is None:
            return removed


def purge_all(db: DatabaseHandle, now: datetime | None = None) -> dict[str, int]:
    present = set(inspect(db.engine).get_table_names())
    removed = {}
    for table, (_, setting, default_days) in POLICY.items():
        if table.name in present:
            days = int(nameko_config.get(setting, default_days))
            removed[table.name] = purge_table(db, table, days, now)
    return removed


class RetentionKeeper(DependencyProvider):
    def setup(self):
        self._database = next(d for d in self.container.dependencies if isinstance(d, Database))

    def start(self):
        self.container.spawn_managed_thread(self._run, identifier="retention")

    def _run(self):
        eventlet.sleep(random.uniform(60, 300))  # replicas started together do not purge together
        while True:
            try:
                removed = purge_all(self._database.handle())
                if any(removed.values()):
                    log.info("expired rows removed", extra={"removed": removed})
            except Exception:
                log.exception("retention purge failed; trying again in an hour")
            eventlet.sleep(EVERY_SECONDS)
