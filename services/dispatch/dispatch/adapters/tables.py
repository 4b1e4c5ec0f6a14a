"""dispatch's own tables. Alembic migrations in services/dispatch/alembic/ create them."""

from sqlalchemy import Column, Date, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

candidates = Table(
    "candidates",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("id_number_masked", String(18), nullable=False),
    Column("sex", String(6), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("village_code", String(12), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
