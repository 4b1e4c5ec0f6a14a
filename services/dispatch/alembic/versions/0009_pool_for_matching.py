"""candidates: what ranking needs (intention scope, industry and skill codes, training, expected
wage, earliest start, agent) and the batch a person is booked by

Records already in the pool get empty answers ([] / null) until registry republishes their
current state (`sanbao events resync dispatch`), which the pool takes at the same version.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

LISTS = ("industry_codes", "skill_codes", "training_intention")


def upgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(sa.Column("intention_scope", sa.String(20)))
        for name in LISTS:
            batch.add_column(sa.Column(name, sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("expected_wage_fen", sa.BigInteger))
        batch.add_column(sa.Column("earliest_start", sa.Date))
        batch.add_column(sa.Column("agent_id", sa.String(36)))
        batch.add_column(sa.Column("booked_by", sa.String(36)))
    with op.batch_alter_table("candidates") as batch:
        for name in LISTS:
            batch.alter_column(name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        for name in (
            "booked_by", "agent_id", "earliest_start", "expected_wage_fen", *reversed(LISTS),
            "intention_scope",
        ):  # fmt: skip
            batch.drop_column(name)
