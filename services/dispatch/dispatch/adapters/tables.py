"""dispatch's own tables, all of them: the candidate pool and the messaging tables here, each
sub-domain's in `dispatch/adapters/<sub-domain>_tables.py`, gathered on one metadata. Alembic
migrations in services/dispatch/alembic/ create them."""

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, DateTime, Integer, String, Table

from dispatch.adapters import (  # noqa: F401
    agreement_tables,
    batch_tables,
    order_tables,
    placement_tables,
    vocabulary_tables,
)
from dispatch.adapters.metadata import metadata
from sanbao_common.messaging.tables import idempotency_table, inbox_table, outbox_table
from sanbao_common.revocations import token_revocations_table

candidates = Table(
    "candidates",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("id_number_masked", String(18), nullable=False),
    Column("sex", String(6), nullable=False),
    Column("birth_year", Integer, nullable=False),
    Column("village_code", String(12), nullable=False, index=True),
    # What matching needs of the four clears (registry's labourer events carry them).
    Column("poor", Boolean, nullable=False),
    Column("employment_status", String(20)),
    # The placement registry wrote employment_status from (dispatch's placement id); null: the
    # township's record. A placement's scope is never self-arranged work (dispatch.degree).
    Column("employment_source", String(60)),
    Column("willing_to_go", Boolean, nullable=False, index=True),
    Column("skills", JSON, nullable=False),
    Column("intention_regions", JSON, nullable=False),
    Column("status", String(10), nullable=False),  # active | merged (kept as a tombstone)
    Column("version", Integer, nullable=False),
    # Events about this person applied to the pool: exactly-once delivery keeps it at the number
    # of events registry published about them (a duplicate would show here).
    Column("events_applied", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # What ranking needs (dispatch.matching): registry's intention and training answers, with
    # industries and skills as codes of registry's vocabularies.
    Column("intention_scope", String(20)),
    Column("industry_codes", JSON, nullable=False),
    Column("skill_codes", JSON, nullable=False),
    Column("training_intention", JSON, nullable=False),
    Column("expected_wage_fen", BigInteger),
    Column("earliest_start", Date),
    Column("agent_id", String(36)),
    # Who holds this person, a batch or a placement (its id): dispatch's own, never from an event.
    Column("booked_by", String(36)),
    # The record this one was merged into (a tombstone's kept record, the last of a chain of
    # merges): dispatch's own, set when it applies labourer_merged. A person held under a
    # merged record is held: the kept record is not booked again (dispatch.batches).
    Column("merged_into", String(36), index=True),
)

# Events dispatch has applied, one row per handler and event (the kit's inbox); events it
# publishes (agreements, job orders), written with the change they announce; commands' replies.
inbox = inbox_table(metadata)
outbox = outbox_table(metadata)
idempotency_keys = idempotency_table(metadata)
token_revocations = token_revocations_table(metadata)
