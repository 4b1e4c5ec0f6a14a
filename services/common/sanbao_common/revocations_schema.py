"""DDL of the `token_revocations` table as first released, for services' Alembic migrations.

Frozen, like `messaging.schema_v1`: a later change to the table is a new module used by a new
migration, never an edit here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_token_revocations() -> None:
    op.create_table(
        "token_revocations",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
    )
