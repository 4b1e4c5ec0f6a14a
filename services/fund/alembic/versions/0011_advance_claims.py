"""claims on advances: a labourer who did not show up for a batch's departure (dispatch's
batch_departed) leaves a claim on their seat's advance ("<batch_id>/<seat>") for what was
outstanding on it then, to be recovered, settled or written off

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "advance_claims",
        sa.Column("account_id", sa.String(36), primary_key=True),
        sa.Column("reference", sa.String(100), primary_key=True),
        sa.Column("batch_id", sa.String(36), nullable=False),
        sa.Column("seat", sa.Integer, nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("claimed_fen", sa.BigInteger, nullable=False),
        sa.Column("journal_seq", sa.BigInteger, nullable=False),
        sa.Column("batch_version", sa.Integer, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_advance_claims_batch", "advance_claims", ["batch_id"])


def downgrade() -> None:
    op.drop_index("ix_advance_claims_batch", table_name="advance_claims")
    op.drop_table("advance_claims")
