"""settlement's tables of periods, their lines, statements and disputes, on the service's one
metadata (migration 0005 creates them).

A period is a calendar month (`YYYY-MM`). While it is open a run replaces its lines; closing it
freezes them and issues its statements. A line is one party's share of one item a placement
earned (`settlement.domain.items`): what the labourer's line, the village's total and the
statement's total are summed from, so they agree to the fen. A disputed placement's lines of a
statement carry the dispute's number."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from settlement.adapters.metadata import metadata

periods = Table(
    "periods",
    metadata,
    Column("period", String(7), primary_key=True),  # YYYY-MM
    Column("status", String(10), nullable=False),  # open | closed
    Column("runs", Integer, nullable=False),
    Column("last_run_at", DateTime(timezone=True), nullable=False),
    Column("last_run_by", String(200), nullable=False),
    Column("through", Date, nullable=False),  # items due up to this day are in it
    Column("closed_at", DateTime(timezone=True)),
    Column("closer_user_id", String(36)),
    Column("closer_username", String(100)),
    Column("closer_org_id", String(36)),
    Column("total_fen", BigInteger, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("pending", Text, nullable=False),  # JSON: [{placement_id, reason, details}]
    Column("deferred", Text, nullable=False),  # JSON: [{statement/payee group, amount_fen}]
)

statements = Table(
    "statements",
    metadata,
    Column("statement_id", String(36), primary_key=True),
    Column("period", String(7), nullable=False, index=True),
    Column("agreement_id", String(36), nullable=False),
    Column("kind", String(20), nullable=False),  # service_revenue | policy_subsidy
    Column("counterparty_id", String(36), nullable=False, index=True),
    Column("counterparty_kind", String(20), nullable=False),  # hr_company | bureau
    Column("counterparty_name", String(200), nullable=False),
    Column("total_fen", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),  # issued | acknowledged
    Column("acknowledged_fen", BigInteger),
    Column("disputed_fen", BigInteger),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("acknowledged_by", String(200)),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    # The fund's receivable of the statement (its acknowledged part, or a subsidy's whole).
    Column("receivable_state", String(20), nullable=False),  # none|requested|recorded|refused
    Column("receivable_id", String(36)),
    Column("receivable_reason", Text),
    Column("paid_fen", BigInteger, nullable=False),
)

settlement_lines = Table(
    "settlement_lines",
    metadata,
    Column("line_id", String(36), primary_key=True),  # uuid5 of period|item_key|party
    Column("period", String(7), nullable=False),
    Column("statement_id", String(36)),  # null for an agent's reward
    Column("kind", String(20), nullable=False),
    Column("item_key", String(60), nullable=False),
    Column("party", String(20), nullable=False),
    Column("payee_id", String(36), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("adjustment", Boolean, nullable=False),
    Column("placement_id", String(36), nullable=False),
    Column("placement_version", Integer),
    Column("agreement_id", String(36), nullable=False),
    Column("rule_id", String(36)),
    Column("rule_version", Integer),
    Column("due_on", Date),
    Column("follow_up_month", Integer),
    Column("person_id", String(36)),
    Column("name", String(50)),
    Column("id_number_masked", String(18)),
    Column("village_code", String(12)),
    Column("township_code", String(9)),
    Column("agent_id", String(36)),
    Column("counterparty_id", String(36), nullable=False),
    Column("dispute_no", Integer),
    Index("ix_settlement_lines_period", "period"),
    # A statement's or dispute's lines per payee (acknowledgement, distributions).
    Index("ix_settlement_lines_statement", "statement_id", "dispute_no", "payee_id"),
    Index("ix_settlement_lines_payee", "payee_id"),
)

disputes = Table(
    "disputes",
    metadata,
    Column("statement_id", String(36), primary_key=True),
    Column("dispute_no", Integer, primary_key=True),
    Column("placement_id", String(36), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("state", String(10), nullable=False),  # open | owed | waived
    Column("amount_fen", BigInteger, nullable=False),  # its lines' sum
    # Asked of the fund when found owed: its amount, less any credit the statement still holds
    # (what the HR company is asked for under a statement never exceeds its total).
    Column("asked_fen", BigInteger),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("raised_by", String(200), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", String(200)),
    Column("note", String(500)),
    Column("receivable_state", String(20), nullable=False),  # none|requested|recorded|refused
    Column("receivable_id", String(36)),
    Column("receivable_reason", Text),
    Column("paid_fen", BigInteger, nullable=False),
)
