"""The county's own rules (settlement.rules): agents' rewards and policy subsidies, each a
chain of versions with effective dates. A version is never edited: a change is the next
version, so re-running a past period finds the same rules and gives the same fen."""

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)

from settlement.adapters.metadata import metadata

# An agent's reward per mobilised labourer still at work `after_months` months after starting;
# village_code null: county-wide (a village's own rule goes first).
reward_rules = Table(
    "reward_rules",
    metadata,
    Column("rule_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("village_code", String(12)),
    Column("per_labourer_fen", BigInteger, nullable=False),
    Column("after_months", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    PrimaryKeyConstraint("rule_id", "version", name="pk_reward_rules"),
)

# A body's (e.g. the human-resources bureau's) subsidy per registered-poor labourer placed who
# stayed `qualifying_days`, paid to the organisers.
subsidy_rules = Table(
    "subsidy_rules",
    metadata,
    Column("rule_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("payer_id", String(36), nullable=False),
    Column("payer_name", String(100), nullable=False),
    Column("per_head_fen", BigInteger, nullable=False),
    Column("qualifying_days", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    PrimaryKeyConstraint("rule_id", "version", name="pk_subsidy_rules"),
)
