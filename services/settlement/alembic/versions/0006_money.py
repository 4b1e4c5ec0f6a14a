"""money: the distributions settlement asks the fund for (and their lines), and the village
cooperatives' books (entries, postings, uses, one lockable row per village)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _distributions()
    _village_books()


def _distributions() -> None:
    op.create_table(
        "distributions",
        sa.Column("distribution_id", sa.String(36), primary_key=True),
        sa.Column("request_key", sa.String(200), nullable=False),
        sa.Column("statement_ref", sa.String(100), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("agreement_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("counterparty_id", sa.String(100), nullable=False),
        sa.Column("receivable_id", sa.String(36)),
        sa.Column("receivable_fen", sa.BigInteger, nullable=False),
        sa.Column("paid_fen", sa.BigInteger, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("proposal_id", sa.String(36)),
        sa.Column("reason", sa.JSON),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("proposer_user_id", sa.String(100), nullable=False),
        sa.Column("proposer_username", sa.String(100), nullable=False),
        sa.Column("proposer_org_id", sa.String(100), nullable=False),
        sa.Column("replaces", sa.String(36)),
        sa.Column("asked", sa.Integer, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("income_posted", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("request_key", name="uq_distributions_request_key"),
    )
    op.create_index("ix_distributions_statement_ref", "distributions", ["statement_ref"])
    op.create_index("ix_distributions_period", "distributions", ["period"])
    op.create_table(
        "distributed_receivables",
        sa.Column("statement_ref", sa.String(100), primary_key=True),
        sa.Column("receivable_id", sa.String(36), nullable=False),
        sa.Column("receivable_fen", sa.BigInteger, nullable=False),
        sa.Column("paid_fen", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "distribution_lines",
        sa.Column("distribution_id", sa.String(36), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("statement_ref", sa.String(100), nullable=False),
        sa.Column("payee_id", sa.String(36), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("purpose", sa.String(500), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
    )
    op.create_index(
        "ix_distribution_lines_ref_payee", "distribution_lines", ["statement_ref", "payee_id"]
    )


def _village_books() -> None:
    op.create_table(
        "village_books",
        sa.Column("village_org_id", sa.String(36), primary_key=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entries", sa.Integer, nullable=False),
    )
    op.create_table(
        "village_entries",
        sa.Column("entry_id", sa.String(36), primary_key=True),
        sa.Column("village_org_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source", sa.String(120), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_on", sa.Date, nullable=False),
        sa.Column("posted_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("village_org_id", "source", name="uq_village_entries_source"),
    )
    op.create_index(
        "ix_village_entries_village_on", "village_entries", ["village_org_id", "posted_on"]
    )
    op.create_table(
        "village_postings",
        sa.Column("entry_id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("village_org_id", sa.String(36), nullable=False),
        sa.Column("account", sa.String(30), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("reference", sa.String(100)),
    )
    op.create_index("ix_village_postings_village_org_id", "village_postings", ["village_org_id"])
    op.create_table(
        "village_uses",
        sa.Column("use_id", sa.String(36), primary_key=True),
        sa.Column("village_org_id", sa.String(36), nullable=False),
        sa.Column("use", sa.String(20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("agent_id", sa.String(36)),
        sa.Column("period", sa.String(7)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_by_user_id", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_on", sa.Date, nullable=False),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.String(500)),
        sa.Column("entry_id", sa.String(36)),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_village_uses_village_org_id", "village_uses", ["village_org_id"])
    op.create_index("ix_village_uses_agent_id", "village_uses", ["agent_id"])


def downgrade() -> None:
    for table in (
        "village_uses", "village_postings", "village_entries", "village_books",
        "distribution_lines", "distributed_receivables", "distributions",
    ):  # fmt: skip
        op.drop_table(table)
