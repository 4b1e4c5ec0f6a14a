"""registry's own tables. Alembic migrations in services/registry/alembic/ create them.

Long because it is every table of the service, each declared once, beside why it is so."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
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
from sanbao_common.revocations import token_revocations_table

metadata = MetaData()

# -- people ---------------------------------------------------------------------------------------
# ID numbers and phones are stored sealed with the county's data key and found by a keyed hash
# (sanbao_common.crypto.DataKey); their masked forms are kept beside them for listings.

households = Table(
    "households",
    metadata,
    Column("household_id", String(36), primary_key=True),
    Column("household_number", String(30), nullable=False),  # the township's own, in the village
    Column("village_code", String(12), nullable=False),  # set once, never by a head
    Column("head_person_id", String(36)),
    Column("poor", Boolean, nullable=False),
    Column("poverty_file_number", String(30)),
    Column("version", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(200), nullable=False),
    # Townships number households 001, 002… in each village's survey: a number is a household
    # only within its village (registry.people.registration looks them up by both).
    Index("ux_households_village_number", "village_code", "household_number", unique=True),
)

labourers = Table(
    "labourers",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("id_hash", String(64), nullable=False, unique=True),
    Column("id_sealed", String(120), nullable=False),
    Column("id_masked", String(18), nullable=False),
    Column("sex", String(6), nullable=False),
    # The birth date stays inside the sealed ID number; the year is what matching needs.
    Column("birth_year", Integer, nullable=False),
    Column("phone_sealed", String(120)),
    Column("phone_masked", String(11)),
    Column("village_code", String(12), nullable=False, index=True),
    Column("village_group", String(20), index=True),
    Column("household_id", String(36), index=True),
    Column("relation_to_head", String(10)),
    Column("agent_id", String(36), index=True),
    Column("status", String(10), nullable=False),  # active | merged
    Column("merged_into", String(36)),
    # The four clears (四清): each aspect dated and attributed; `confirmed_at` moves whenever the
    # whole profile is confirmed as current (a change confirms it too).
    Column("employment_status", String(20), index=True),
    Column("employment_place", String(100)),
    Column("employment_at", DateTime(timezone=True)),
    Column("employment_by", String(200)),
    # The placement the employment aspect comes from (dispatch's placement_started); null when
    # it is the township's own record (registry.hiring.employment).
    Column("employment_source", String(60)),
    Column("skills", JSON, nullable=False),
    Column("skills_at", DateTime(timezone=True)),
    Column("skills_by", String(200)),
    Column("intention_scope", String(20)),  # a SCOPES code, "none" (无), or null: not answered
    Column("intention_regions", JSON, nullable=False),
    Column("intention_industries", JSON, nullable=False),
    Column("expected_wage_fen", BigInteger),
    Column("earliest_start", Date),
    Column("intention_at", DateTime(timezone=True)),
    Column("intention_by", String(200)),
    Column("training_intention", JSON, nullable=False),
    Column("training_at", DateTime(timezone=True)),
    Column("training_by", String(200)),
    Column("confirmed_at", DateTime(timezone=True), nullable=False, index=True),
    Column("confirmed_by", String(200), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("registered_by", String(200), nullable=False),
    Column("version", Integer, nullable=False),
)

# Every change to a person or household: who, when, what it was, what it became, and why.
people_history = Table(
    "people_history",
    metadata,
    Column("entry_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("record_kind", String(10), nullable=False),  # labourer | household
    Column("record_id", String(36), nullable=False),
    Column("field", String(30), nullable=False),
    Column("before", JSON),
    Column("after", JSON),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(200), nullable=False),
    Column("source", String(60), nullable=False),  # rpc | import:<import id> | merge
    Index("ix_people_history_record", "record_kind", "record_id"),
)

# Every time an auditor was shown a person's ID number and phone in full, and why. Append-only.
disclosures = Table(
    "disclosures",
    metadata,
    Column("disclosure_id", String(36), primary_key=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("reason", String(500), nullable=False),
    Column("disclosed_at", DateTime(timezone=True), nullable=False),
    Column("disclosed_to", String(200), nullable=False),  # the actor: user:<id>
    Column("organisation_id", String(36), nullable=False),
    Column("correlation_id", String(100), nullable=False),
)

# One person, one measure: the plan of measures a registered-poor labourer carries.
measures = Table(
    "measures",
    metadata,
    Column("measure_id", String(36), primary_key=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("kind", String(12), nullable=False),  # training | referral | placement | subsidy
    Column("description", String(200), nullable=False),
    Column("owner", String(100), nullable=False),  # who is to carry it out
    Column("due_date", Date),
    Column("status", String(12), nullable=False),  # planned | in_progress | done | cancelled
    Column("note", String(500)),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(200), nullable=False),
)

# A township roster being imported: the file itself (so a restarted registry resumes it), how
# far it got, and every refused row.
roster_imports = Table(
    "roster_imports",
    metadata,
    Column("import_id", String(36), primary_key=True),
    Column("filename", String(200), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("status", String(12), nullable=False),  # validating | applying | done | failed
    Column("total_rows", Integer, nullable=False),
    Column("valid_rows", Integer, nullable=False),
    Column("applied_rows", Integer, nullable=False),  # rows of committed chunks
    Column("registered", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("confirmed", Integer, nullable=False),
    Column("failure", Text),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("started_by", String(200), nullable=False),
    Column("scope", String(20), nullable=False),  # the importer's area, checked on every row
    # Starts of `apply`, each counted before its work: past ROSTER_IMPORT_MAX_ATTEMPTS, failed.
    Column("attempts", Integer, nullable=False),
    # The summary (docs/rosters.md): once done, total_rows = registered + updated + confirmed
    # + refused_validating + refused_applying + held_conflicts.
    Column("validated_rows", Integer, nullable=False),  # progress while validating
    Column("refused_validating", Integer, nullable=False),
    Column("refused_applying", Integer, nullable=False),
    Column("held_conflicts", Integer, nullable=False),
    Column("ignored_columns", JSON, nullable=False),  # [{sheet, header, looks_like}]
    Column("ignored_sheets", JSON, nullable=False),  # [{sheet, reason}]
    Column("township", String(40)),  # the import's township option, for rows without one
    # The rows found valid when the validation was recorded, in file order, as runs of
    # consecutive rows [sheet ("" for a CSV file), first row, last row]: what `applied_rows`
    # counts into, and exactly what a resumed import applies (use_cases). Null once finished,
    # and for an import validated before it was kept.
    Column("valid_refs", JSON),
)

# A roster file on its way in, part by part, until `start_roster_import` takes it whole (and
# deletes the parts in the same transaction); parts nobody imported go after a day. Sealed with
# the data key: the file holds ID numbers and phones in full.
roster_upload_parts = Table(
    "roster_upload_parts",
    metadata,
    Column("upload_id", String(128), primary_key=True),
    Column("part", Integer, primary_key=True, autoincrement=False),
    Column("uploaded_by", String(200), nullable=False),
    Column("content_sealed", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False, index=True),
)

roster_import_errors = Table(
    "roster_import_errors",
    metadata,
    Column("import_id", String(36), primary_key=True),
    Column("sheet", String(100), primary_key=True),  # the worksheet's name; "" for a CSV file
    Column("row_number", Integer, primary_key=True, autoincrement=False),
    Column("column", String(30), primary_key=True),
    Column("reason", Text, nullable=False),
)

# A roster row whose ID number is registered under another name, in another township or outside
# the importer's area: held, not applied, until a county-level user confirms (applies) or rejects
# it. The row is sealed with the data key (its ID number and phone in full) and dropped once
# resolved; the importer learns only that the row is held.
roster_conflicts = Table(
    "roster_conflicts",
    metadata,
    Column("conflict_id", String(36), primary_key=True),
    Column("import_id", String(36), nullable=False),
    Column("sheet", String(100), nullable=False),  # "" for a CSV file
    Column("row_number", Integer, nullable=False),
    Column("person_id", String(36), nullable=False, index=True),  # the record already stored
    # Its version when the row was held: a confirm is refused once the person has moved on.
    Column("person_version", Integer, nullable=False),
    Column("content_sealed", LargeBinary, nullable=False),
    # held | confirmed | rejected | superseded (closed by another row's decision, conflicts)
    Column("status", String(10), nullable=False, index=True),
    Column("held_at", DateTime(timezone=True), nullable=False),
    Column("held_by", String(200), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", String(200)),
    Index("ix_roster_conflicts_row", "import_id", "sheet", "row_number", unique=True),
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

# Organisations' bank accounts (registry.directory.bank_accounts): every version of each, added
# and never changed, with who set it, when and why; the current one is the highest version.
organisation_bank_accounts = Table(
    "organisation_bank_accounts",
    metadata,
    Column("org_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("bank_name", String(100), nullable=False),
    Column("account_name", String(100), nullable=False),
    Column("account_number", String(32), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(200), nullable=False),
    Column("reason", String(500), nullable=False),
)

village_groups = Table(
    "village_groups",
    metadata,
    Column("group_code", String(15), primary_key=True),
    Column("village_org_id", String(36), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("active", Boolean, nullable=False),
)

# The county's list of places by name (registry.directory.villages): its townships and their
# villages (行政村, 社区), each with the other names people write for it. Roster rows name
# villages by these; a village code given anywhere must be one of the list's. A retired village
# (merged into another, say) stays, inactive: its name resolves no more, its people keep it.
townships = Table(
    "townships",
    metadata,
    Column("code", String(9), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("aliases", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(200), nullable=False),
)

villages = Table(
    "villages",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("township_code", String(9), nullable=False, index=True),  # the code's first 9 digits
    Column("name", String(50), nullable=False),
    Column("aliases", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(200), nullable=False),
)

# The county's vocabularies (registry.directory.vocabulary): industries (GB/T 4754 sections and
# the county's divisions) and skills, each term with the other words people write for it, and
# each vocabulary's version (raised by every import that changes it; `vocabulary_changed` carries
# it). A retired term stays, its code never used for anything else.
vocabularies = Table(
    "vocabularies",
    metadata,
    Column("kind", String(16), primary_key=True),  # industry | skill
    Column("version", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(200), nullable=False),
)

vocabulary_terms = Table(
    "vocabulary_terms",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("code", String(32), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("parent", String(1)),  # an industry division's section letter
    Column("aliases", JSON, nullable=False),
    Column("retired", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(200), nullable=False),
)

# Staff. Their phone and email and their TOTP secrets (enabled and pending) are sealed with the
# county's data key like people's identifiers (the directory's repository seals and unseals):
# a copy of the database without the key holds none of them. Shown masked (registry.schemas).
users = Table(
    "users",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("org_id", String(36), nullable=False, index=True),
    Column("roles", String(200), nullable=False),
    Column("village_group", String(15)),
    Column("password_hash", String(200), nullable=False),
    Column("must_change_password", Boolean, nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(200), nullable=False),
    Column("phone_sealed", String(120)),
    Column("email_sealed", Text),
    Column("totp_sealed", String(120)),
    Column("totp_pending_sealed", String(120)),
)

# Sign-in attempts per user name in the current fixed window, shared by every replica: the rate
# limit. The name is kept as a keyed hash of the data key (people type passwords into the name
# field). Only names tried within the last window have a row: each attempt deletes up to a
# hundred expired ones, so the table grows with the rate of attempts, never with time.
sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("name_hash", String(64), primary_key=True),
    Column("window_start", DateTime(timezone=True), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("failures", Integer, nullable=False),
)

# Seals organisations submitted (with proof of possession), each pending until a seal registrar
# confirms it; one effective seal per organisation, the ones before it revoked or superseded.
seals = Table(
    "seals",
    metadata,
    Column("fingerprint", String(80), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("public_key", String(64), nullable=False),
    Column("proof", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("submitted_by", String(200), nullable=False),
    Column("confirmation", Text),
    Column("confirmation_signature", String(100)),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("revocation", Text),
    Column("revocation_signature", String(100)),
    Column("revoked_at", DateTime(timezone=True)),
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
    Column("seal_fingerprint", String(80)),  # the seal that certified it
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

# -- what registry learns from dispatch's batches and placements (registry.hiring) ----------------
# The newest version applied of each batch and placement (a late or replayed older one changes
# nothing), its HR company and whether it is open.
company_records = Table(
    "company_records",
    metadata,
    Column("record_kind", String(10), primary_key=True),  # batch | placement
    Column("record_id", String(36), primary_key=True),
    Column("hr_company", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("open", Boolean, nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

# Who an open batch or placement lets its HR company's operators see unmasked (nobody else's).
company_people = Table(
    "company_people",
    metadata,
    Column("record_kind", String(10), primary_key=True),
    Column("record_id", String(36), primary_key=True),
    Column("person_id", String(36), primary_key=True),
    Column("hr_company", String(36), nullable=False),
    Index("ix_company_people_person_company", "person_id", "hr_company"),
)

# Per placement: what the person's four clears said before it (set back when it ends), and how
# far it got: applied | restored | superseded (changed by the township since) | ended | no_person.
placement_employment = Table(
    "placement_employment",
    metadata,
    Column("placement_id", String(36), primary_key=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("state", String(12), nullable=False),
    Column("before_status", String(20)),
    Column("before_place", String(100)),
    Column("before_source", String(60)),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# Events registry consumes (the kit's inbox).
inbox = inbox_table(metadata)
# Tokens withdrawn (sanbao_common.revocations).
token_revocations = token_revocations_table(metadata)
