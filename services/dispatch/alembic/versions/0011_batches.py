"""batches (输送批次): a batch of one order, its members (frozen at invitation) and substitutions

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
        "batches",
        sa.Column("batch_id", sa.String(36), primary_key=True),
        sa.Column("order_id", sa.String(36), nullable=False),
        sa.Column("agreement_id", sa.String(36), nullable=False),
        sa.Column("hr_company", sa.String(36), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("costs", sa.JSON, nullable=False),
        sa.Column("advance", sa.JSON),
        sa.Column("formed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("formed_by", sa.String(200), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("departed_on", sa.Date),
        sa.Column("arrived_on", sa.Date),
        sa.Column("cancelled_reason", sa.String(500)),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_batches_order_id", "batches", ["order_id"])
    op.create_index("ix_batches_hr_company", "batches", ["hr_company"])
    op.create_index("ix_batches_status", "batches", ["status"])
    op.create_table(
        "batch_members",
        sa.Column("batch_id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("invited_seq", sa.Integer, nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("id_number_masked", sa.String(18), nullable=False),
        sa.Column("village_code", sa.String(12), nullable=False),
        sa.Column("agent_id", sa.String(36)),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("seat", sa.Integer),
        sa.Column("share_fen", sa.BigInteger),
        sa.Column("invited_on", sa.Date, nullable=False),
        sa.Column("responded_on", sa.Date),
        sa.Column("responded_by", sa.String(200)),
    )
    op.create_index("ix_batch_members_person_id", "batch_members", ["person_id"])
    op.create_table(
        "batch_substitutions",
        sa.Column("batch_id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("seat", sa.Integer, nullable=False),
        sa.Column("out_person_id", sa.String(36), nullable=False),
        sa.Column("in_person_id", sa.String(36), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("substituted_on", sa.Date, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("batch_substitutions")
    op.drop_table("batch_members")
    op.drop_table("batches")
