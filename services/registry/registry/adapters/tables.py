"""registry's own tables. Alembic migrations in services/registry/alembic/ create them."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from sanbao_common.messaging.tables import (
    Position,
    idempotency_table,
    inbox_table,
    outbox_table,
)

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

# -- the directory ------------------------------------------------------------------------------

organisations = Table(
    "organisations",
    metadata,
    Column("org_id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("name", String(100), nullable=False),
    Column("division_code", String(12)),
    Column("credit_code", String(18)),
    Column("parent_id", String(36)),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(200), nullable=False),
)
# One active organisation per kind and code, one per credit code; deactivated ones keep theirs.
Index(
    "ux_organisations_active_code",
    organisations.c.kind,
    organisations.c.division_code,
    unique=True,
    sqlite_where=organisations.c.active.is_(True),
    postgresql_where=organisations.c.active.is_(True),
)
Index(
    "ux_organisations_active_credit_code",
    organisations.c.credit_code,
    unique=True,
    sqlite_where=organisations.c.active.is_(True),
    postgresql_where=organisations.c.active.is_(True),
)

# Every change to an organisation or a user: who, when, what, why, and the state after.
directory_history = Table(
    "directory_history",
    metadata,
    Column("entry_id", Position, primary_key=True, autoincrement=True),
    Column("record_kind", String(20), nullable=False),
    Column("record_id", String(36), nullable=False, index=True),
    Column("action", String(40), nullable=False),
    Column("reason", String(500)),
    Column("state", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("by", String(200), nullable=False),
)

village_groups = Table(
    "village_groups",
    metadata,
    Column("group_code", String(15), primary_key=True),
    Column("village_org_id", String(36), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("active", Boolean, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("org_id", String(36), nullable=False, index=True),
    Column("roles", String(200), nullable=False),
    Column("village_group", String(15)),
    Column("phone", String(11)),
    Column("email", String(200)),
    Column("password_hash", String(200), nullable=False),
    Column("must_change_password", Boolean, nullable=False),
    Column("totp_secret", String(64)),
    Column("totp_pending", String(64)),
    Column("failed_logins", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(200), nullable=False),
)

seals = Table(
    "seals",
    metadata,
    Column("org_id", String(36), primary_key=True),
    Column("fingerprint", String(80), nullable=False, unique=True),
    Column("public_key", String(64), nullable=False),
    Column("proof", Text, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("registered_by", String(200), nullable=False),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("fingerprint", String(80), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("user_id", String(36), nullable=False, index=True),
    Column("public_key", String(64), nullable=False),
    Column("limit_fen", BigInteger),
    Column("certificate", Text, nullable=False),
    Column("enrolled_at", DateTime(timezone=True), nullable=False),
    Column("enrolled_by", String(200), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revocation", Text),
)

# The county's witness of other services' audit chains: checkpoints they signed, kept outside
# their own databases (the fund's, so far).
audit_witness = Table(
    "audit_witness",
    metadata,
    Column("source", String(32), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("signature", String(100), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

# Events registry consumes (the kit's inbox).
inbox = inbox_table(metadata)
