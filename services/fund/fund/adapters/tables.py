"""fund's own tables. Alembic migrations in services/fund/alembic/ create them."""

from datetime import UTC

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sanbao_common.messaging.tables import Position, idempotency_table, inbox_table, outbox_table
from sanbao_common.revocations import token_revocations_table
from sanbao_common.seal_book import seals_table


def aware(moment):
    """A timestamp read back as UTC-aware (SQLite returns the columns below naive)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
idempotency_keys = idempotency_table(metadata)
token_revocations = token_revocations_table(metadata)

joint_accounts = Table(
    "joint_accounts",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("agreement_ref", String(100), nullable=False),
    Column("county", String(6), nullable=False),
    Column("county_org_id", String(36), nullable=False),
    Column("hr_org_id", String(36), nullable=False),
    Column("principal_fen", BigInteger, nullable=False),
    Column("term_start", Date, nullable=False),
    Column("term_end", Date, nullable=False),
    Column("county_seal", String(80), nullable=False),
    Column("hr_seal", String(80), nullable=False),
    Column("status", String(10), nullable=False),
    Column("seal_keys", Text, nullable=False),
    Column("seal_signatures", Text, nullable=False),
    Column("version", Integer, nullable=False),
    # The agreement it was opened from (dispatch's agreement_sealed) and the version in force;
    # NULL / 0 for an account opened before agreements (by the fund's retired sealing).
    Column("agreement_id", String(36)),
    Column("agreement_version", Integer, nullable=False, server_default="0"),
    Column("bank_name", String(200), nullable=False, server_default=""),
    Column("bank_account", String(32), nullable=False, server_default=""),
    # Exactly the terms both seals signed (JSON): the columns above are read from them.
    Column("terms", Text, nullable=False),
    UniqueConstraint("agreement_id", name="uq_joint_accounts_agreement_id"),
)

# Sealed agreements naming a seal the fund has not heard of yet (registry's seal events travel
# on queues of their own): each agreement's latest such version, tried again whenever a seal
# event is applied. Only the signed parts are kept.
held_agreements = Table(
    "held_agreements",
    metadata,
    Column("agreement_id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("terms", Text, nullable=False),
    Column("seal_signatures", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("correlation_id", String(200), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("reason", Text, nullable=False),
    Column("held_at", DateTime(timezone=True), nullable=False),
)

# The seals the fund relies on, as registry relays them: each with its registrar's confirmation
# (and revocation), which the fund verifies itself against the pinned registrar keys (the kit's
# one seal table, as dispatch keeps it too).
seals = seals_table(metadata)

# Keys an organisation's seal certified (from registry's events), each with its certificate.
signatories = Table(
    "signatories",
    metadata,
    Column("fingerprint", String(80), primary_key=True),
    Column("org_id", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("limit_fen", BigInteger),
    Column("certificate", Text, nullable=False),
    Column("seal_signature", String(100), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("seal_fingerprint", String(80)),  # the seal that certified it (NULL: before 0005)
)

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("seq", Position, primary_key=True, autoincrement=True),
    Column("entry_id", String(36), nullable=False, unique=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("memo", String(500)),
    Column("source", String(100)),
    Column("reverses", String(36)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
)

postings = Table(
    "postings",
    metadata,
    Column("posting_id", Position, primary_key=True, autoincrement=True),
    Column("entry_id", String(36), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("ledger_account", String(40), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("reference", String(100)),
)
Index("ix_postings_account_ledger", postings.c.account_id, postings.c.ledger_account)
Index("ix_postings_entry_id", postings.c.entry_id)

# Every ledger account's balance, per reference ("" for none), moved in the transaction that
# writes the postings: a command reads what it may spend in a few rows, however long the
# account's history. `sanbao fund verify` recomputes them from the postings.
ledger_balances = Table(
    "ledger_balances",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("ledger_account", String(40), primary_key=True),
    Column("reference", String(100), primary_key=True),
    Column("balance_fen", BigInteger, nullable=False),
)

# One bank credit is recorded once per account, by whichever side records it first.
bank_references = Table(
    "bank_references",
    metadata,
    Column("account_id", String(36), nullable=False),
    Column("bank_ref", String(100), nullable=False),
    Column("entry_id", String(36), nullable=False),
    UniqueConstraint("account_id", "bank_ref", name="uq_bank_references"),
)

proposals = Table(
    "proposals",
    metadata,
    Column("proposal_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("lines", Text, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("draws_on", String(40)),
    Column("proposed_by", String(36), nullable=False),
    Column("proposer_org", String(36), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("status", String(10), nullable=False),
    Column("signatures", Text, nullable=False),
    Column("reason", String(500)),
    Column("version", Integer, nullable=False),
    Column("entry_id", String(36)),
    # A proposal another service asked for by event (fund_contract.requests): which, and its key.
    Column("request_source", String(32)),
    Column("request_key", String(200)),
)

vouchers = Table(
    "vouchers",
    metadata,
    Column("voucher_id", Position, primary_key=True, autoincrement=True),
    Column("account_id", String(36), nullable=False),
    Column("advance_ref", String(100), nullable=False),
    Column("number", String(100), nullable=False),
    Column("voucher_date", Date, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("attachment_sha256", String(64)),
    Column("entry_id", String(36), nullable=False),
    UniqueConstraint("account_id", "number", name="uq_vouchers_number"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("command", String(60), nullable=False),
    Column("account_id", String(36)),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# Checkpoints this fund signed of its own chain (the witness keeps copies elsewhere).
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("signature", String(100), nullable=False),
)

# What counterparties owe the joint account, one row per business key (the agreement's account,
# kind, period, counterparty and the statement it comes from), with what has been paid of it.
# The receivable accounts of the books hold the open total of these rows (verify checks).
receivables = Table(
    "receivables",
    metadata,
    Column("receivable_id", String(36), primary_key=True),
    Column("seq", Integer, nullable=False),  # the order recorded in, per account ("oldest first")
    Column("account_id", String(36), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("period", String(20), nullable=False),
    Column("counterparty_id", String(100), nullable=False),
    Column("counterparty_kind", String(20), nullable=False),
    Column("counterparty_name", String(200), nullable=False),
    Column("statement_ref", String(100), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("paid_fen", BigInteger, nullable=False),
    # "on_receipt": income earned as it is paid; "accrued": recorded before fund migration 0010,
    # its income earned when it was recorded.
    Column("basis", String(12), nullable=False),
    Column("entry_id", String(36)),  # the entry that recorded it
    Column("requested_by", String(32), nullable=False),  # "rpc", or the service that asked
    Column("event_id", String(36)),  # the request event, when asked for by event
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint(
        *("account_id", "kind", "period", "counterparty_id", "statement_ref"),
        name="uq_receivables_key",
    ),
    UniqueConstraint("account_id", "seq", name="uq_receivables_seq"),
)

# Cash matched to receivables: each match names the receivable, the amount, the entry that posted
# it and where the cash came from (a bank credit's reference, or the payer's held credit).
receivable_matches = Table(
    "receivable_matches",
    metadata,
    Column("match_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("receivable_id", String(36), nullable=False, index=True),
    Column("amount_fen", BigInteger, nullable=False),
    Column("source", String(10), nullable=False),  # "inflow", "credit" or "legacy"
    Column("bank_ref", String(100)),
    Column("entry_id", String(36)),  # NULL only for what migration 0010 carried over
    Column("matched_at", DateTime(timezone=True), nullable=False),
)

# The version of each payer's credit on an account (its balance is in the books).
payer_credits = Table(
    "payer_credits",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("payer_id", String(100), primary_key=True),
    Column("version", Integer, nullable=False),
)

# The directory's organisations with their bank details, as registry's
# organisation_bank_account_changed carries them: who outflow lines may pay, and where to.
payees = Table(
    "payees",
    metadata,
    Column("org_id", String(36), primary_key=True),
    Column("org_kind", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("bank_name", String(200), nullable=False),
    Column("account_name", String(200), nullable=False),
    Column("account_number", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", String(40), nullable=False),
    Column("changed_by", String(200), nullable=False),
)

# What other services asked of the fund by event, by their key: the proposal or receivable it
# made, or why it was refused (a refused request can be asked for again).
fund_requests = Table(
    "fund_requests",
    metadata,
    Column("source", String(32), primary_key=True),
    Column("request_key", String(400), primary_key=True),
    Column("kind", String(12), nullable=False),  # "outflow" or "receivable"
    Column("account_id", String(36), nullable=False, index=True),
    Column("state", String(12), nullable=False),  # "made" or "refused"
    Column("record_id", String(36)),  # the proposal or receivable
    Column("reason", Text),
    Column("attempts", Integer, nullable=False),
    Column("event_id", String(36), nullable=False),  # the last request event applied
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Claims on the advance of a labourer who did not show up for a batch's departure (dispatch's
# batch_departed): one per advance reference ("<batch_id>/<seat>"), for what was outstanding on
# it then. What is recovered, settled or written off of it since is read from the journal
# (entries after `journal_seq`).
advance_claims = Table(
    "advance_claims",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("reference", String(100), primary_key=True),
    Column("batch_id", String(36), nullable=False),
    Column("seat", Integer, nullable=False),
    Column("person_id", String(36), nullable=False),
    Column("name", String(200), nullable=False),
    Column("claimed_fen", BigInteger, nullable=False),
    Column("journal_seq", BigInteger, nullable=False),  # the journal's last entry when claimed
    Column("batch_version", Integer, nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(200), nullable=False),
)
Index("ix_advance_claims_batch", advance_claims.c.batch_id)
