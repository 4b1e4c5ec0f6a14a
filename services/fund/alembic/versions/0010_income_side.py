"""the fund's income side: receivables one row each (by business key) with the cash matched to
them, payers' credits, payees with their bank details from the directory, requests other
services make by event, and proposals' request keys. Receivables recorded before (the retired
`record_receivable`, income earned when recorded) become rows of basis "accrued", what was paid
of them allocated oldest first, so the open total still equals the books' revenue receivable

Revision ID: 0010
Revises: 0009
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _tables() -> None:
    op.create_table(
        "receivables",
        sa.Column("receivable_id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("counterparty_id", sa.String(100), nullable=False),
        sa.Column("counterparty_kind", sa.String(20), nullable=False),
        sa.Column("counterparty_name", sa.String(200), nullable=False),
        sa.Column("statement_ref", sa.String(100), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("paid_fen", sa.BigInteger, nullable=False),
        sa.Column("basis", sa.String(12), nullable=False),
        sa.Column("entry_id", sa.String(36)),
        sa.Column("requested_by", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(36)),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint(
            "account_id",
            "kind",
            "period",
            "counterparty_id",
            "statement_ref",
            name="uq_receivables_key",
        ),
        sa.UniqueConstraint("account_id", "seq", name="uq_receivables_seq"),
    )
    op.create_table(
        "receivable_matches",
        sa.Column("match_id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("receivable_id", sa.String(36), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("bank_ref", sa.String(100)),
        sa.Column("entry_id", sa.String(36)),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_receivable_matches_receivable_id", "receivable_matches", ["receivable_id"])
    op.create_table(
        "payer_credits",
        sa.Column("account_id", sa.String(36), primary_key=True),
        sa.Column("payer_id", sa.String(100), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "payees",
        sa.Column("org_id", sa.String(36), primary_key=True),
        sa.Column("org_kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("bank_name", sa.String(200), nullable=False),
        sa.Column("account_name", sa.String(200), nullable=False),
        sa.Column("account_number", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.String(40), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "fund_requests",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("request_key", sa.String(400), primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("record_id", sa.String(36)),
        sa.Column("reason", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_fund_requests_account_id", "fund_requests", ["account_id"])
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("request_source", sa.String(32)))
        batch.add_column(sa.Column("request_key", sa.String(200)))


def _carry_over_receivables(connection) -> None:
    """Each receivable the retired command recorded becomes a row (basis "accrued"); what the
    books show paid of an account's receivables is allocated to them oldest first."""
    accounts = connection.execute(sa.text("SELECT account_id, hr_org_id FROM joint_accounts"))
    for account_id, hr_org_id in accounts.all():
        entries = connection.execute(
            sa.text(
                "SELECT e.entry_id, e.source, e.created_at, e.created_by, p.amount_fen "
                "FROM journal_entries e JOIN postings p ON p.entry_id = e.entry_id "
                "WHERE e.account_id = :account AND e.kind = 'receivable' "
                "AND p.ledger_account = 'revenue_receivable' ORDER BY e.seq"
            ),
            {"account": account_id},
        ).all()
        if not entries:
            continue
        open_fen = connection.execute(
            sa.text(
                "SELECT COALESCE(SUM(balance_fen), 0) FROM ledger_balances "
                "WHERE account_id = :account AND ledger_account = 'revenue_receivable'"
            ),
            {"account": account_id},
        ).scalar()
        paid_left = sum(int(row.amount_fen) for row in entries) - int(open_fen)
        for seq, row in enumerate(entries, start=1):
            paid = max(0, min(int(row.amount_fen), paid_left))
            paid_left -= paid
            receivable_id = row.entry_id
            connection.execute(
                sa.text(
                    "INSERT INTO receivables (receivable_id, seq, account_id, kind, period, "
                    "counterparty_id, counterparty_kind, counterparty_name, statement_ref, "
                    "amount_fen, paid_fen, basis, entry_id, requested_by, event_id, recorded_at, "
                    "recorded_by, version) VALUES (:id, :seq, :account, 'service_revenue', "
                    ":period, :hr, 'hr_company', :hr, :statement, :amount, :paid, 'accrued', "
                    ":entry, 'rpc', NULL, :at, :by, 1)"
                ),
                {
                    "id": receivable_id,
                    "seq": seq,
                    "account": account_id,
                    "period": (row.source or "")[:20],
                    "hr": hr_org_id,
                    "statement": f"legacy:{row.entry_id}",
                    "amount": int(row.amount_fen),
                    "paid": paid,
                    "entry": row.entry_id,
                    "at": row.created_at,
                    "by": row.created_by,
                },
            )
            if paid:
                connection.execute(
                    sa.text(
                        "INSERT INTO receivable_matches (match_id, account_id, receivable_id, "
                        "amount_fen, source, bank_ref, entry_id, matched_at) VALUES (:id, "
                        ":account, :receivable, :amount, 'legacy', NULL, NULL, :at)"
                    ),
                    {
                        "id": str(uuid.uuid4()),
                        "account": account_id,
                        "receivable": receivable_id,
                        "amount": paid,
                        "at": datetime.now(UTC),
                    },
                )


def upgrade() -> None:
    _tables()
    _carry_over_receivables(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("request_key")
        batch.drop_column("request_source")
    for table in ("fund_requests", "payees", "payer_credits", "receivable_matches", "receivables"):
        op.drop_table(table)
