"""Tables every service that publishes, consumes or takes commands has in its own database.

A service's `adapters/tables.py` adds the ones it needs to its own metadata (so that its
migrations are checked against them); its migrations create them with `schema_v1` and change
them with `schema_v2` (the idempotency keys' `caller`), each frozen: a later change gets a new
module, never an edit of one's DDL. The definitions here are the live ones, what those modules
add up to. The kit's own code queries through the module-level `OUTBOX`, `INBOX` and
`IDEMPOTENCY_KEYS`, which describe the same tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

# SQLite only auto-increments an INTEGER PRIMARY KEY (its rowid).
Position = BigInteger().with_variant(Integer(), "sqlite")


def outbox_table(metadata: MetaData) -> Table:
    table = Table(
        "outbox",
        metadata,
        Column("position", Position, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(64), nullable=False),
        Column("record_id", String(64)),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
        Column("claimed_by", String(64)),
        Column("claimed_until", DateTime(timezone=True)),
    )
    Index(
        "ix_outbox_pending",
        table.c.position,
        sqlite_where=table.c.published_at.is_(None),
        postgresql_where=table.c.published_at.is_(None),
    )
    Index("ix_outbox_published_at", table.c.published_at)
    return table


def inbox_table(metadata: MetaData) -> Table:
    table = Table(
        "inbox",
        metadata,
        Column("handler", String(100), nullable=False),
        Column("event_id", String(36), nullable=False),
        Column("applied_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("handler", "event_id", name="pk_inbox"),
    )
    Index("ix_inbox_applied_at", table.c.applied_at)
    return table


def idempotency_table(metadata: MetaData) -> Table:
    table = Table(
        "idempotency_keys",
        metadata,
        Column("key", String(128), primary_key=True),
        Column("method", String(100), nullable=False),
        Column("request_sha256", String(64), nullable=False),
        Column("response", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        # The actor whose command stored the reply: only they are answered with it (schema_v2).
        Column("caller", String(200), nullable=False),
    )
    Index("ix_idempotency_keys_created_at", table.c.created_at)
    return table


_kit_metadata = MetaData()
OUTBOX = outbox_table(_kit_metadata)
INBOX = inbox_table(_kit_metadata)
IDEMPOTENCY_KEYS = idempotency_table(_kit_metadata)
