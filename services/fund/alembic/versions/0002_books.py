"""the books: joint accounts, signatories, journal, proposals, vouchers, audit chain; messaging

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from sanbao_common.messaging import schema_v1

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    schema_v1.create_outbox()
    schema_v1.create_inbox()
    schema_v1.create_idempotency_keys()
    op.create_table(
        "joint_accounts",
        sa.Column("account_id", sa.String(36), primary_key=True),
        sa.Column("agreement_ref", sa.String(100), nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("county_org_id", sa.String(36), nullable=False),
        sa.Column("hr_org_id", sa.String(36), nullable=False),
        sa.Column("principal_fen", sa.BigInteger, nullable=False),
        sa.Column("term_start", sa.Date, nullable=False),
        sa.Column("term_end", sa.Date, nullable=False),
        sa.Column("county_seal", sa.String(80), nullable=False),
        sa.Column("hr_seal", sa.String(80), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("seal_keys", sa.Text, nullable=False),
        sa.Column("seal_signatures", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "signatories",
        sa.Column("fingerprint", sa.String(80), primary_key=True),
        sa.Column("org_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("limit_fen", sa.BigInteger),
        sa.Column("certificate", sa.Text, nullable=False),
        sa.Column("seal_signature", sa.String(100), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "journal_entries",
        sa.Column("seq", _POSITION, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(36), nullable=False, unique=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("memo", sa.String(500)),
        sa.Column("source", sa.String(100)),
        sa.Column("reverses", sa.String(36)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_journal_entries_account_id", "journal_entries", ["account_id"])
    op.create_table(
        "postings",
        sa.Column("posting_id", _POSITION, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("ledger_account", sa.String(40), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("reference", sa.String(100)),
    )
    op.create_index("ix_postings_entry_id", "postings", ["entry_id"])
    op.create_index("ix_postings_account_ledger", "postings", ["account_id", "ledger_account"])
    op.create_table(
        "bank_references",
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("bank_ref", sa.String(100), nullable=False),
        sa.Column("entry_id", sa.String(36), nullable=False),
        sa.UniqueConstraint("account_id", "bank_ref", name="uq_bank_references"),
    )
    op.create_table(
        "proposals",
        sa.Column("proposal_id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("lines", sa.Text, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("draws_on", sa.String(40)),
        sa.Column("proposed_by", sa.String(36), nullable=False),
        sa.Column("proposer_org", sa.String(36), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("signatures", sa.Text, nullable=False),
        sa.Column("reason", sa.String(500)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("entry_id", sa.String(36)),
    )
    op.create_index("ix_proposals_account_id", "proposals", ["account_id"])
    op.create_table(
        "vouchers",
        sa.Column("voucher_id", _POSITION, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("advance_ref", sa.String(100), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("voucher_date", sa.Date, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("attachment_sha256", sa.String(64)),
        sa.Column("entry_id", sa.String(36), nullable=False),
        sa.UniqueConstraint("account_id", "number", name="uq_vouchers_number"),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("command", sa.String(60), nullable=False),
        sa.Column("account_id", sa.String(36)),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("audit_log", "vouchers", "proposals", "bank_references", "postings",
                  "journal_entries", "signatories", "joint_accounts", "idempotency_keys", "inbox",
                  "outbox"):  # fmt: skip
        op.drop_table(table)
