"""roster imports: how many times an import was tried, so one that keeps failing is marked failed
instead of retried at every start

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Imports unfinished when this runs start their count at 0, as a new one does; the default
    # only fills the rows already there.
    with op.batch_alter_table("roster_imports") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("roster_imports") as batch:
        batch.alter_column("attempts", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("roster_imports") as batch:
        batch.drop_column("attempts")
