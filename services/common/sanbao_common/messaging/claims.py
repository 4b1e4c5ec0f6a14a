"""Who may publish which outbox rows: a relay's claims, kept alive while it works on them.

A relay claims a batch of pending rows by writing its name (`claimed_by`) and the end of its claim
(`claimed_until`) on them, for `OUTBOX_CLAIM_SECONDS` (default 5). While it publishes the batch it
renews the claim every third of that time (a heartbeat), so a live relay keeps its rows however
long the broker takes to confirm; a relay that stops renewing (its process died, its host is gone)
loses them that many seconds later at most, and another relay takes them over. On the same host
one more thing is known: a claimant whose process is gone has certainly stopped, so its rows are
taken over at once. Hosts differ in production; the heartbeat is what every replica relies on.

A relay taken over while it was in fact alive (its process stalled longer than a claim) publishes
rows the other relay publishes too: delivery stays at least once, and consumers' inboxes drop the
duplicate by its `event_id`, as they do after any crash between the broker's confirm and the row
being marked published. docs/decisions/0014-outbox-claims.md says why.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import distinct, or_, select, update

from sanbao_common.db import DatabaseHandle
from sanbao_common.messaging.tables import OUTBOX

DEFAULT_CLAIM_SECONDS = 5
# How often, at most, the relay looks for claimants on its own host whose process is gone.
DEAD_CLAIMANT_CHECK_SECONDS = 1.0


def utcnow() -> datetime:
    return datetime.now(UTC)


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as file:
            return file.read().strip()
    except OSError:
        return ""


def _node() -> str:
    """This host and process namespace: two names share it only if their process ids can be
    checked against each other (not two containers that happen to have the same host name)."""
    hostname = socket.gethostname()
    namespace = f"{hostname}|{_read('/proc/sys/kernel/random/boot_id')}"
    try:
        namespace += f"|{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        pass
    digest = hashlib.sha256(namespace.encode()).hexdigest()[:8]
    return f"{hostname[:24]}~{digest}"  # claimed_by holds 64 characters; host names up to 63


NODE = _node()


def claimant_name(pid: int | None = None) -> str:
    """`<host>~<namespace>:<pid>:<tag>`: unique per relay, and says where it runs."""
    return f"{NODE}:{os.getpid() if pid is None else pid}:{uuid.uuid4().hex[:8]}"


def process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: alive
        return False
    return False


def _local_pid(claimant: str) -> int | None:
    """The process id of a claimant on this node, other than this process; else None."""
    node, _, rest = claimant.partition(":")
    pid, _, _ = rest.partition(":")
    if node != NODE or not pid.isdigit() or int(pid) == os.getpid():
        return None
    return int(pid)


class Claims:
    """One relay's claims on the outbox of one database."""

    def __init__(
        self,
        db: DatabaseHandle,
        name: str,
        *,
        seconds: float = DEFAULT_CLAIM_SECONDS,
        clock: Callable[[], datetime] = utcnow,
        is_gone: Callable[[int], bool] = process_is_gone,
    ):
        self.db = db
        self.name = name
        self.seconds = seconds
        self.clock = clock
        self.is_gone = is_gone
        self._dead: set[str] = set()
        self._dead_checked_at: float | None = None

    @property
    def renew_every(self) -> float:
        return self.seconds / 3

    def claim(self, limit: int) -> list:
        """Up to `limit` pending rows nobody holds (unclaimed, lapsed, or a gone process's), in
        outbox order, now claimed by this relay."""
        t = OUTBOX.c
        now = self.clock()
        free = [t.claimed_until.is_(None), t.claimed_until < now]
        dead = self._dead_claimants(now)
        if dead:
            free.append(t.claimed_by.in_(dead))
        with self.db.unit_of_work() as uow:
            rows = uow.connection.execute(
                select(t.position, t.event_id, t.event_type, t.body)
                .where(t.published_at.is_(None))
                .where(or_(*free))
                .order_by(t.position)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if rows:
                until = now + timedelta(seconds=self.seconds)
                uow.connection.execute(
                    update(OUTBOX)
                    .where(t.position.in_([row.position for row in rows]))
                    .values(claimed_by=self.name, claimed_until=until)
                )
            uow.commit()
        return rows

    def renew(self, positions: list) -> int:
        """Extend this relay's claim on those of `positions` it still holds; how many it holds."""
        t = OUTBOX.c
        with self.db.unit_of_work() as uow:
            renewed = uow.connection.execute(
                update(OUTBOX)
                .where(t.position.in_(positions))
                .where(t.claimed_by == self.name)
                .where(t.published_at.is_(None))
                .values(claimed_until=self.clock() + timedelta(seconds=self.seconds))
            ).rowcount
            uow.commit()
        return renewed

    def mark_published(self, positions: list) -> int:
        """Mark published those of `positions` this relay still holds; how many."""
        if not positions:
            return 0
        t = OUTBOX.c
        with self.db.unit_of_work() as uow:
            marked = uow.connection.execute(
                update(OUTBOX)
                .where(t.position.in_(positions))
                .where(t.claimed_by == self.name)
                .values(published_at=self.clock(), claimed_by=None, claimed_until=None)
            ).rowcount
            uow.commit()
        return marked

    def release(self, positions: list, retry_in: float) -> None:
        """Give rows back: to anyone now, or, with `retry_in`, to anyone after that long."""
        t = OUTBOX.c
        until = self.clock() + timedelta(seconds=retry_in) if retry_in else None
        with self.db.unit_of_work() as uow:
            uow.connection.execute(
                update(OUTBOX)
                .where(t.position.in_(positions))
                .where(t.claimed_by == self.name)
                .values(claimed_by=None if until is None else self.name, claimed_until=until)
            )
            uow.commit()

    def _dead_claimants(self, now: datetime) -> list[str]:
        """Claimants on this node whose process is gone and whose claim has not lapsed yet.
        Looked for at most every DEAD_CLAIMANT_CHECK_SECONDS: it reads every pending row."""
        tick = time.monotonic()
        if (
            self._dead_checked_at is not None
            and tick - self._dead_checked_at < DEAD_CLAIMANT_CHECK_SECONDS
        ):
            return sorted(self._dead)
        self._dead_checked_at = tick
        t = OUTBOX.c
        with self.db.reader() as uow:
            claimants = uow.connection.execute(
                select(distinct(t.claimed_by))
                .where(t.published_at.is_(None))
                .where(t.claimed_until >= now)
                .where(t.claimed_by.like(f"{NODE}:%"))
            ).scalars()
            self._dead = {
                claimant
                for claimant in claimants
                if (pid := _local_pid(claimant)) is not None and self.is_gone(pid)
            }
        return sorted(self._dead)
