"""rules: the county's agents' reward rules and policy subsidy rules, each a chain of versions
with effective dates (never edited)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _version_columns() -> list:
    return [
        sa.Column("rule_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
    ]


def _created_columns() -> list:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "reward_rules",
        *_version_columns(),
        sa.Column("village_code", sa.String(12)),
        sa.Column("per_labourer_fen", sa.BigInteger, nullable=False),
        sa.Column("after_months", sa.Integer, nullable=False),
        *_created_columns(),
        sa.PrimaryKeyConstraint("rule_id", "version", name="pk_reward_rules"),
    )
    op.create_table(
        "subsidy_rules",
        *_version_columns(),
        sa.Column("payer_id", sa.String(36), nullable=False),
        sa.Column("payer_name", sa.String(100), nullable=False),
        sa.Column("per_head_fen", sa.BigInteger, nullable=False),
        sa.Column("qualifying_days", sa.Integer, nullable=False),
        *_created_columns(),
        sa.PrimaryKeyConstraint("rule_id", "version", name="pk_subsidy_rules"),
    )


def downgrade() -> None:
    op.drop_table("subsidy_rules")
    op.drop_table("reward_rules")
