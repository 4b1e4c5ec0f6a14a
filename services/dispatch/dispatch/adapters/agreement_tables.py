"""dispatch's agreement tables, on the service's one metadata: the parties' seals as registry's
events relay them (verified here, `sanbao_common.seal_book`), and cooperation agreements with
their versions. A version's terms are stored as the exact canonical JSON the seals sign, so that
what is read back verifies against the same bytes."""

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)

from dispatch.adapters.metadata import metadata
from sanbao_common.seal_book import seals_table

seals = seals_table(metadata)

# One row per agreement: the fixed terms (the same in every version) and where it stands.
agreements = Table(
    "agreements",
    metadata,
    Column("agreement_id", String(36), primary_key=True),
    Column("reference", String(100), nullable=False, index=True),
    Column("county", String(6), nullable=False),
    Column("county_cooperative", String(36), nullable=False),
    Column("hr_company", String(36), nullable=False, index=True),
    Column("principal_fen", BigInteger, nullable=False),
    Column("term_start", Date, nullable=False),
    Column("term_end", Date, nullable=False),
    Column("bank_name", String(100), nullable=False),
    Column("bank_account", String(32), nullable=False),
    # draft (nothing sealed yet) | sealed (a version took effect) | withdrawn (nothing will).
    Column("status", String(10), nullable=False, index=True),
    Column("sealed_version", Integer),  # the latest sealed version
    Column("draft_version", Integer),  # the version waiting for seals, if any
    Column("drafted_by", String(100), nullable=False),
    Column("drafted_at", DateTime(timezone=True), nullable=False),
)

# Every version ever drafted, never rewritten once sealed or withdrawn.
agreement_versions = Table(
    "agreement_versions",
    metadata,
    Column(
        "agreement_id",
        String(36),
        ForeignKey("agreements.agreement_id"),
        primary_key=True,
    ),
    Column("version", Integer, primary_key=True),
    Column("status", String(10), nullable=False),  # draft | sealed | withdrawn
    Column("effective_from", Date, nullable=False),
    Column("terms", Text, nullable=False),  # canonical JSON, exactly TERMS_FIELDS
    Column("seal_signatures", Text, nullable=False),  # JSON {org id: signature}
    Column("drafted_by", String(100), nullable=False),
    Column("drafted_at", DateTime(timezone=True), nullable=False),
    Column("sealed_at", DateTime(timezone=True)),
    Column("withdrawn_by", String(100)),
    Column("withdrawn_at", DateTime(timezone=True)),
)
