"""dispatch's tables of batches (输送批次): the batch, its members and its substitutions, on the
service's one metadata (migration 0011 creates them).

A member row is the person as they were when invited (name, masked ID number, village, agent):
approval freezes the roster, later registry changes do not alter it. `seat` is given at approval
(1..n in invitation order, `invited_seq`); `share_fen` is the seat's share of the cost estimate.
Which batch holds a person is `candidates.booked_by` (storage-enforced, one open batch or
placement per person)."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Integer,
    String,
    Table,
)

from dispatch.adapters.metadata import metadata

batches = Table(
    "batches",
    metadata,
    Column("batch_id", String(36), primary_key=True),
    Column("order_id", String(36), nullable=False, index=True),
    Column("agreement_id", String(36), nullable=False),
    Column("hr_company", String(36), nullable=False, index=True),
    # forming | approved | departed | arrived | cancelled
    Column("status", String(10), nullable=False, index=True),
    Column("costs", JSON, nullable=False),  # [{kind, per, amount_fen}]
    # {status, request_key, proposal_id, reason, expires_at} once an advance was asked for
    Column("advance", JSON),
    Column("formed_at", DateTime(timezone=True), nullable=False),
    Column("formed_by", String(200), nullable=False),
    Column("approved_at", DateTime(timezone=True)),
    Column("approved_by", String(200)),
    Column("departed_on", Date),
    Column("arrived_on", Date),
    Column("cancelled_reason", String(500)),
    Column("version", Integer, nullable=False),
)

batch_members = Table(
    "batch_members",
    metadata,
    Column("batch_id", String(36), primary_key=True),
    Column("person_id", String(36), primary_key=True, index=True),
    Column("invited_seq", Integer, nullable=False),
    Column("name", String(50), nullable=False),
    Column("id_number_masked", String(18), nullable=False),
    Column("village_code", String(12), nullable=False),
    Column("agent_id", String(36)),
    # invited | confirmed | declined | released | substituted | departed | no_show | arrived
    Column("status", String(12), nullable=False),
    Column("seat", Integer),
    Column("share_fen", BigInteger),
    Column("invited_on", Date, nullable=False),
    Column("responded_on", Date),
    Column("responded_by", String(200)),
    # Why an arrived member was let go without a placement (release_from_batch).
    Column("released_reason", String(500)),
)

batch_substitutions = Table(
    "batch_substitutions",
    metadata,
    Column("batch_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("seat", Integer, nullable=False),
    Column("out_person_id", String(36), nullable=False),
    Column("in_person_id", String(36), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("substituted_on", Date, nullable=False),
    Column("recorded_by", String(200), nullable=False),
)
