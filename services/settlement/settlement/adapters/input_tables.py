"""What settlement keeps of others' records (settlement.inputs): every sealed version of every
agreement (its rules, as dispatch published them), each placement's latest state, and the
directory's organisations (who is paid). Each row is a copy at the highest version heard of."""

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from settlement.adapters.metadata import metadata

# One row per sealed version (versions are never edited: version n applies from its
# effective_from to the day before n+1's). `terms` is exactly what both seals signed (JSON).
agreement_versions = Table(
    "agreement_versions",
    metadata,
    Column("agreement_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("county_cooperative", String(36), nullable=False),
    Column("hr_company", String(36), nullable=False, index=True),
    Column("terms", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("agreement_id", "version", name="pk_agreement_versions"),
)

# Each placement at the highest version applied; `state` is its whole state (JSON) as the event
# carried it, the columns what a period's run reads. `follow_up_months`: the recorded follow-ups'
# months, comma-separated ("1,3").
placements = Table(
    "placements",
    metadata,
    Column("placement_id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("agreement_id", String(36), nullable=False, index=True),
    Column("agreement_version", Integer, nullable=False),
    Column("hr_company", String(36), nullable=False, index=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("name", String(50), nullable=False),
    Column("id_number_masked", String(18), nullable=False),
    Column("village_code", String(12), nullable=False, index=True),
    Column("township_code", String(9), nullable=False),
    Column("agent_id", String(36), index=True),
    Column("poor", Boolean, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ended_on", Date),
    Column("status", String(10), nullable=False),
    Column("follow_up_months", String(40), nullable=False),
    Column("state", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# The directory's organisations, each at its highest version (registry's organisation events).
organisations = Table(
    "organisations",
    metadata,
    Column("org_id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("division_code", String(12)),
    Column("parent_id", String(36)),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
)
Index("ix_organisations_kind_division", organisations.c.kind, organisations.c.division_code)

# Inputs settlement could not take (an agreement's terms it cannot read its rules from, a
# placement state that does not fit): kept with the reason for operators, never parked, never
# applied (settlement.inputs). The inbox still counts the event as applied.
refused_inputs = Table(
    "refused_inputs",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(64), nullable=False),
    Column("record_id", String(64)),
    Column("version", Integer),
    Column("reason", Text, nullable=False),
    Column("refused_at", DateTime(timezone=True), nullable=False),
)
