"""candidates.merged_into: the record a merged one was folded into (so that a person held under
a merged record is not booked again under the kept one); batch_members.released_reason: why an
arrived member was let go without a placement (`release_from_batch`)

Records merged before this revision keep merged_into null: dispatch learns the link from the
labourer_merged events it applies from now on.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(sa.Column("merged_into", sa.String(36)))
    op.create_index("ix_candidates_merged_into", "candidates", ["merged_into"])
    with op.batch_alter_table("batch_members") as batch:
        batch.add_column(sa.Column("released_reason", sa.String(500)))


def downgrade() -> None:
    with op.batch_alter_table("batch_members") as batch:
        batch.drop_column("released_reason")
    op.drop_index("ix_candidates_merged_into", table_name="candidates")
    with op.batch_alter_table("candidates") as batch:
        batch.drop_column("merged_into")
