"""dispatch's tables of placements and their follow-ups, on the service's one metadata
(migration 0012 creates them).

A placement row keeps what settlement will need as it was when the placement started (the
agreement version in force on the start date; the labourer's village, township, agent and poor
flag then); a follow-up is recorded once per month (the primary key says so, whoever races).
Which placement holds a person is `candidates.booked_by` (one open batch or placement each)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from dispatch.adapters.metadata import metadata

placements = Table(
    "placements",
    metadata,
    Column("placement_id", String(36), primary_key=True),
    Column("batch_id", String(36), nullable=False),
    Column("order_id", String(36), nullable=False, index=True),
    Column("agreement_id", String(36), nullable=False, index=True),
    Column("agreement_version", Integer, nullable=False),
    Column("hr_company", String(36), nullable=False, index=True),
    Column("employer_id", String(36), nullable=False),
    Column("employer_name", String(100), nullable=False),
    Column("person_id", String(36), nullable=False, index=True),
    Column("name", String(50), nullable=False),
    Column("id_number_masked", String(18), nullable=False),
    Column("village_code", String(12), nullable=False, index=True),
    Column("township_code", String(9), nullable=False),
    Column("agent_id", String(36)),
    Column("poor", Boolean, nullable=False),
    Column("place_scope", String(20), nullable=False),
    Column("place", String(100), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("wage_fen", BigInteger, nullable=False),  # a month, at the start
    Column("current_wage_fen", BigInteger, nullable=False),  # the latest follow-up's
    Column("status", String(10), nullable=False, index=True),  # active | ended
    Column("ended_on", Date),
    Column("end_reason", String(20)),
    Column("end_note", String(500)),
    Column("version", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("started_by", String(200), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("ended_by", String(200)),
    # One placement per person and batch, whoever races to start it.
    UniqueConstraint("batch_id", "person_id", name="uq_placements_batch_person"),
)

placement_follow_ups = Table(
    "placement_follow_ups",
    metadata,
    Column("placement_id", String(36), primary_key=True),
    Column("month", Integer, primary_key=True),  # 1, 3 or 6
    Column("due_on", Date, nullable=False),
    Column("contacted_on", Date, nullable=False),
    Column("outcome", String(20), nullable=False),  # employed | not_reached
    Column("wage_fen", BigInteger),
    Column("note", String(500)),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(200), nullable=False),
)
