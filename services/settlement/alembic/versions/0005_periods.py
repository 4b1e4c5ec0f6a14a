"""periods, their lines, statements and disputes (issue 18): what a month's run computes and its
close freezes and issues

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "periods",
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("last_run_at", _TIME, nullable=False),
        sa.Column("last_run_by", sa.String(200), nullable=False),
        sa.Column("through", sa.Date, nullable=False),
        sa.Column("closed_at", _TIME),
        sa.Column("closer_user_id", sa.String(36)),
        sa.Column("closer_username", sa.String(100)),
        sa.Column("closer_org_id", sa.String(36)),
        sa.Column("total_fen", sa.BigInteger, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("pending", sa.Text, nullable=False),
        sa.Column("deferred", sa.Text, nullable=False),
    )
    op.create_table(
        "statements",
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("agreement_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("counterparty_id", sa.String(36), nullable=False),
        sa.Column("counterparty_kind", sa.String(20), nullable=False),
        sa.Column("counterparty_name", sa.String(200), nullable=False),
        sa.Column("total_fen", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("acknowledged_fen", sa.BigInteger),
        sa.Column("disputed_fen", sa.BigInteger),
        sa.Column("acknowledged_at", _TIME),
        sa.Column("acknowledged_by", sa.String(200)),
        sa.Column("issued_at", _TIME, nullable=False),
        sa.Column("receivable_state", sa.String(20), nullable=False),
        sa.Column("receivable_id", sa.String(36)),
        sa.Column("receivable_reason", sa.Text),
        sa.Column("paid_fen", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_statements_period", "statements", ["period"])
    op.create_index("ix_statements_counterparty_id", "statements", ["counterparty_id"])
    op.create_table(
        "settlement_lines",
        sa.Column("line_id", sa.String(36), primary_key=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("statement_id", sa.String(36)),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("item_key", sa.String(60), nullable=False),
        sa.Column("party", sa.String(20), nullable=False),
        sa.Column("payee_id", sa.String(36), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("adjustment", sa.Boolean, nullable=False),
        sa.Column("placement_id", sa.String(36), nullable=False),
        sa.Column("placement_version", sa.Integer),
        sa.Column("agreement_id", sa.String(36), nullable=False),
        sa.Column("rule_id", sa.String(36)),
        sa.Column("rule_version", sa.Integer),
        sa.Column("due_on", sa.Date),
        sa.Column("follow_up_month", sa.Integer),
        sa.Column("person_id", sa.String(36)),
        sa.Column("name", sa.String(50)),
        sa.Column("id_number_masked", sa.String(18)),
        sa.Column("village_code", sa.String(12)),
        sa.Column("township_code", sa.String(9)),
        sa.Column("agent_id", sa.String(36)),
        sa.Column("counterparty_id", sa.String(36), nullable=False),
        sa.Column("dispute_no", sa.Integer),
    )
    op.create_index("ix_settlement_lines_period", "settlement_lines", ["period"])
    op.create_index(
        "ix_settlement_lines_statement",
        "settlement_lines",
        ["statement_id", "dispute_no", "payee_id"],
    )
    op.create_index("ix_settlement_lines_payee", "settlement_lines", ["payee_id"])
    op.create_table(
        "disputes",
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("dispute_no", sa.Integer, primary_key=True),
        sa.Column("placement_id", sa.String(36), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("asked_fen", sa.BigInteger),
        sa.Column("raised_at", _TIME, nullable=False),
        sa.Column("raised_by", sa.String(200), nullable=False),
        sa.Column("resolved_at", _TIME),
        sa.Column("resolved_by", sa.String(200)),
        sa.Column("note", sa.String(500)),
        sa.Column("receivable_state", sa.String(20), nullable=False),
        sa.Column("receivable_id", sa.String(36)),
        sa.Column("receivable_reason", sa.Text),
        sa.Column("paid_fen", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("disputes", "settlement_lines", "statements", "periods"):
        op.drop_table(table)
