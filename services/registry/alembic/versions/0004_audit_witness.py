"""the county's witness of audit chains, and registry's inbox

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from sanbao_common.messaging import schema_v1

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema_v1.create_inbox()
    op.create_table(
        "audit_witness",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("signature", sa.String(100), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_witness")
    op.drop_table("inbox")
