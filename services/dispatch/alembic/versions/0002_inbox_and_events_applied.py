"""inbox, and a count of events applied per candidate

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from sanbao_common.messaging import schema_v1

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema_v1.create_inbox()
    # Every candidate so far came from exactly one labourer_registered.
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(
            sa.Column("events_applied", sa.Integer, nullable=False, server_default="1")
        )
    with op.batch_alter_table("candidates") as batch:
        batch.alter_column("events_applied", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.drop_column("events_applied")
    op.drop_table("inbox")
