"""settlement's tables of money (migration 0006): the distributions it asks the fund for as the
statements' receivables are paid, one line per payee, and each village cooperative's books
(double entry: journal entries and their postings, the uses its people record and approve, and
one row per village that approvals lock, so that two of them cannot overspend).

A distribution is one `distribution_requested` (`request_key`), at the cumulative amount paid of
its receivable it was computed at (`paid_fen`); its lines are what it asks for each payee, and
the sum of a statement's lines over all its distributions is what was asked for each payee
(never asked twice: a failed distribution is asked for again, never recomputed)."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from settlement.adapters.metadata import metadata

distributions = Table(
    "distributions",
    metadata,
    Column("distribution_id", String(36), primary_key=True),
    Column("request_key", String(200), nullable=False),
    Column("statement_ref", String(100), nullable=False, index=True),
    Column("period", String(7), nullable=False, index=True),
    Column("agreement_id", String(36), nullable=False),
    Column(
        "kind", String(20), nullable=False
    ),  # the receivable's: service_revenue | policy_subsidy
    Column("counterparty_id", String(100), nullable=False),  # who owes the receivable
    Column("receivable_id", String(36)),
    Column("receivable_fen", BigInteger, nullable=False),  # what the receivable is for
    Column("paid_fen", BigInteger, nullable=False),  # paid of it when this was computed
    Column("amount_fen", BigInteger, nullable=False),  # the lines' sum
    # requested | proposed | paid | rejected | refused (expired: proposed or requested past
    # expires_at, read off the wall clock)
    Column("status", String(10), nullable=False),
    Column("proposal_id", String(36)),
    Column("reason", JSON),  # the fund's refusal, or the signatories' rejection
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("proposer_user_id", String(100), nullable=False),
    Column("proposer_username", String(100), nullable=False),
    Column("proposer_org_id", String(100), nullable=False),
    Column("replaces", String(36)),
    Column("asked", Integer, nullable=False),  # times asked (1, then each ask again)
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("income_posted", Integer, nullable=False),  # village income posted (0/1) once paid
    Column("version", Integer, nullable=False),
    UniqueConstraint("request_key", name="uq_distributions_request_key"),
)

# One row per receivable distributed: the highest cumulative amount paid of it that was
# distributed. Locked while a payment of it is distributed (one at a time, whatever the number
# of consumers).
distributed_receivables = Table(
    "distributed_receivables",
    metadata,
    Column("statement_ref", String(100), primary_key=True),
    Column("receivable_id", String(36), nullable=False),
    Column("receivable_fen", BigInteger, nullable=False),
    Column("paid_fen", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

distribution_lines = Table(
    "distribution_lines",
    metadata,
    Column("distribution_id", String(36), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("statement_ref", String(100), nullable=False),
    Column("payee_id", String(36), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("purpose", String(500), nullable=False),
    Column("reference", String(100), nullable=False),
)
Index("ix_distribution_lines_ref_payee", distribution_lines.c.statement_ref,
      distribution_lines.c.payee_id)  # fmt: skip

# One row per village cooperative with books: what an approval locks (FOR UPDATE on
# PostgreSQL; SQLite writes one at a time).
village_books = Table(
    "village_books",
    metadata,
    Column("village_org_id", String(36), primary_key=True),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("entries", Integer, nullable=False),
)

village_entries = Table(
    "village_entries",
    metadata,
    Column("entry_id", String(36), primary_key=True),
    Column("village_org_id", String(36), nullable=False),
    Column("kind", String(20), nullable=False),  # income | use
    # what posted it, once: `distribution:<id>:<line>` or `use:<use id>`
    Column("source", String(120), nullable=False),
    Column("reference", String(100), nullable=False),
    Column("posted_at", DateTime(timezone=True), nullable=False),
    Column("posted_on", Date, nullable=False),  # business date (Asia/Shanghai)
    Column("posted_by", String(200), nullable=False),
    UniqueConstraint("village_org_id", "source", name="uq_village_entries_source"),
)
Index("ix_village_entries_village_on", village_entries.c.village_org_id,
      village_entries.c.posted_on)  # fmt: skip

village_postings = Table(
    "village_postings",
    metadata,
    Column("entry_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("village_org_id", String(36), nullable=False, index=True),
    Column("account", String(30), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),  # + debit, − credit
    Column("reference", String(100)),
)

village_uses = Table(
    "village_uses",
    metadata,
    Column("use_id", String(36), primary_key=True),
    Column("village_org_id", String(36), nullable=False, index=True),
    Column("use", String(20), nullable=False),  # agent_rewards | public_works | working_costs
    Column("amount_fen", BigInteger, nullable=False),
    Column("reference", String(100), nullable=False),
    Column("note", String(500)),
    Column("agent_id", String(36), index=True),
    Column("period", String(7)),
    Column("status", String(10), nullable=False),  # pending | posted | rejected
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_by_user_id", String(100), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("decided_by", String(200)),
    Column("decided_at", DateTime(timezone=True)),
    Column("reason", String(500)),
    Column("entry_id", String(36)),
    Column("version", Integer, nullable=False),
)
