"""disclosures: an auditor shown a person's ID number and phone, and why

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disclosures",
        sa.Column("disclosure_id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), nullable=False, index=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("disclosed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disclosed_to", sa.String(200), nullable=False),
        sa.Column("organisation_id", sa.String(36), nullable=False),
        sa.Column("correlation_id", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("disclosures")
