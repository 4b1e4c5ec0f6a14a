"""candidates: what matching needs of the four clears; merged people kept as tombstones

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(sa.Column("poor", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("employment_status", sa.String(20)))
        batch.add_column(
            sa.Column("willing_to_go", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("skills", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("intention_regions", sa.JSON, nullable=False, server_default="[]")
        )
        batch.add_column(
            sa.Column("status", sa.String(10), nullable=False, server_default="active")
        )
    with op.batch_alter_table("candidates") as batch:
        for name in ("poor", "willing_to_go", "skills", "intention_regions", "status"):
            batch.alter_column(name, server_default=None)
        batch.create_index("ix_candidates_willing_to_go", ["willing_to_go"])


def downgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.drop_index("ix_candidates_willing_to_go")
        for name in (
            "status",
            "intention_regions",
            "skills",
            "willing_to_go",
            "employment_status",
            "poor",
        ):
            batch.drop_column(name)
