"""DDL of the messaging tables as first released, for services' Alembic migrations.

Frozen: migrations that ran in production must keep producing the same schema, so a change to
these tables is a new module (`schema_v2`) used by a new migration, never an edit here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

_POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def create_outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("position", _POSITION, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(64)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
    )
    pending = sa.text("published_at IS NULL")
    op.create_index(
        "ix_outbox_pending", "outbox", ["position"], sqlite_where=pending, postgresql_where=pending
    )
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])


def create_inbox() -> None:
    op.create_table(
        "inbox",
        sa.Column("handler", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("handler", "event_id", name="pk_inbox"),
    )
    op.create_index("ix_inbox_applied_at", "inbox", ["applied_at"])


def create_idempotency_keys() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("method", sa.String(100), nullable=False),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
