"""registry's own tables. Alembic migrations in services/registry/alembic/ create them."""

from sqlalchemy import Column, Date, DateTime, Integer, MetaData, String, Table

from sanbao_common.messaging.tables import idempotency_table, outbox_table

metadata = MetaData()

labourers = Table(
    "labourers",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("id_number", String(18), nullable=False, unique=True),
    Column("sex", String(6), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("phone", String(11)),
    Column("village_code", String(12), nullable=False, index=True),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("registered_by", String(200), nullable=False),
    Column("version", Integer, nullable=False),
)

# The kit's messaging tables, owned by this service's schema: events it publishes, and the
# idempotency keys of its commands.
outbox = outbox_table(metadata)
idempotency_keys = idempotency_table(metadata)
