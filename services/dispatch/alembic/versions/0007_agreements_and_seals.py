"""agreements and seals: cooperation agreements with their versions, and the parties' seals as
registry's events relay them (verified by dispatch itself)

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
        "seals",
        sa.Column("fingerprint", sa.String(80), primary_key=True),
        sa.Column("org_id", sa.String(36), nullable=False, index=True),
        sa.Column("org_kind", sa.String(20), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("confirmation", sa.Text, nullable=False),
        sa.Column("confirmation_signature", sa.String(100), nullable=False),
        sa.Column("revocation", sa.Text),
        sa.Column("revocation_signature", sa.String(100)),
    )
    op.create_table(
        "agreements",
        sa.Column("agreement_id", sa.String(36), primary_key=True),
        sa.Column("reference", sa.String(100), nullable=False, index=True),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("county_cooperative", sa.String(36), nullable=False),
        sa.Column("hr_company", sa.String(36), nullable=False, index=True),
        sa.Column("principal_fen", sa.BigInteger, nullable=False),
        sa.Column("term_start", sa.Date, nullable=False),
        sa.Column("term_end", sa.Date, nullable=False),
        sa.Column("bank_name", sa.String(100), nullable=False),
        sa.Column("bank_account", sa.String(32), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("sealed_version", sa.Integer),
        sa.Column("draft_version", sa.Integer),
        sa.Column("drafted_by", sa.String(100), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "agreement_versions",
        sa.Column(
            "agreement_id",
            sa.String(36),
            sa.ForeignKey("agreements.agreement_id"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("seal_signatures", sa.Text, nullable=False),
        sa.Column("drafted_by", sa.String(100), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True)),
        sa.Column("withdrawn_by", sa.String(100)),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("agreement_versions")
    op.drop_table("agreements")
    op.drop_table("seals")
