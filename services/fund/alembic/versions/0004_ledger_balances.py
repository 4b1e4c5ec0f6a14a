"""every ledger account's balance kept with the postings, filled from the postings so far

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_balances",
        sa.Column("account_id", sa.String(36), primary_key=True),
        sa.Column("ledger_account", sa.String(40), primary_key=True),
        sa.Column("reference", sa.String(100), primary_key=True),
        sa.Column("balance_fen", sa.BigInteger, nullable=False),
    )
    op.execute(
        "INSERT INTO ledger_balances (account_id, ledger_account, reference, balance_fen) "
        "SELECT account_id, ledger_account, COALESCE(reference, ''), SUM(amount_fen) "
        "FROM postings GROUP BY account_id, ledger_account, COALESCE(reference, '')"
    )


def downgrade() -> None:
    op.drop_table("ledger_balances")
