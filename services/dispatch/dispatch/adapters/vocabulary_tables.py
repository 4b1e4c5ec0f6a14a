"""dispatch's copy of registry's vocabularies (industries, skills: `registry_contract.
industries_and_skills`), kept from `vocabulary_changed` events (`dispatch.vocabulary.copy`): the
version of each it holds, and that version's terms. Orders and matching read them through
`dispatch.vocabulary.queries`."""

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, String, Table

from dispatch.adapters.metadata import metadata

vocabulary_versions = Table(
    "vocabulary_versions",
    metadata,
    Column("kind", String(16), primary_key=True),  # industry | skill
    Column("version", Integer, nullable=False),  # registry's version of the whole list
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The terms of the version held, retired ones too (an order may name a term retired since).
vocabulary_terms = Table(
    "vocabulary_terms",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("code", String(32), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("parent", String(1)),  # an industry division's section letter; None otherwise
    Column("aliases", JSON, nullable=False),
    Column("retired", Boolean, nullable=False),
)
