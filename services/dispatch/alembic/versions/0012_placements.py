"""placements and their follow-ups (issue 17): one placement per arrived batch member, followed
up at 1, 3 and 6 months

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "placements",
        sa.Column("placement_id", sa.String(36), primary_key=True),
        sa.Column("batch_id", sa.String(36), nullable=False),
        sa.Column("order_id", sa.String(36), nullable=False),
        sa.Column("agreement_id", sa.String(36), nullable=False),
        sa.Column("agreement_version", sa.Integer, nullable=False),
        sa.Column("hr_company", sa.String(36), nullable=False),
        sa.Column("employer_id", sa.String(36), nullable=False),
        sa.Column("employer_name", sa.String(100), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("id_number_masked", sa.String(18), nullable=False),
        sa.Column("village_code", sa.String(12), nullable=False),
        sa.Column("township_code", sa.String(9), nullable=False),
        sa.Column("agent_id", sa.String(36)),
        sa.Column("poor", sa.Boolean, nullable=False),
        sa.Column("place_scope", sa.String(20), nullable=False),
        sa.Column("place", sa.String(100), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("wage_fen", sa.BigInteger, nullable=False),
        sa.Column("current_wage_fen", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.Column("end_reason", sa.String(20)),
        sa.Column("end_note", sa.String(500)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(200), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("ended_by", sa.String(200)),
        sa.UniqueConstraint("batch_id", "person_id", name="uq_placements_batch_person"),
    )
    for column in ("order_id", "agreement_id", "hr_company", "person_id", "village_code", "status"):
        op.create_index(f"ix_placements_{column}", "placements", [column])
    op.create_table(
        "placement_follow_ups",
        sa.Column("placement_id", sa.String(36), primary_key=True),
        sa.Column("month", sa.Integer, primary_key=True),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("contacted_on", sa.Date, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("wage_fen", sa.BigInteger),
        sa.Column("note", sa.String(500)),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("placement_follow_ups")
    op.drop_table("placements")
