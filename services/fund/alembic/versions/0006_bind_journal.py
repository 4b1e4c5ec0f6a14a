"""the journal entries posted so far, bound into the audit chain by one record

From 0006 on, the audit record of every command that posts carries the entries it posted (a
`journal` in its detail) and `verify` compares the stored journal with them. Entries posted
before had no such binding: this appends one `bind_journal` record holding all of them, linked
to the chain's head, so from now on changing any of their postings is caught too.

The canonical form and the hash are written out here, not imported from the service (a migration
keeps working whatever the code becomes): they are `fund.domain.audit.bound_entry`, `chain_hash`
and `AuditRecord.body`, and `Books.append_audit`'s way of storing the detail.

Revision ID: 0006
Revises: 0005
"""

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _chain_hash(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def upgrade() -> None:
    connection = op.get_bind()
    entries = connection.execute(
        sa.text(
            "SELECT entry_id, account_id, kind, source, reverses FROM journal_entries ORDER BY seq"
        )
    ).all()
    if not entries:
        return
    legs: dict[str, list] = {}
    for entry_id, ledger_account, amount_fen, reference in connection.execute(
        sa.text(
            "SELECT entry_id, ledger_account, amount_fen, reference FROM postings "
            "ORDER BY posting_id"
        )
    ):
        legs.setdefault(entry_id, []).append([ledger_account, int(amount_fen), reference])
    journal = [
        {
            "entry_id": entry_id,
            "account_id": account_id,
            "kind": kind,
            "source": source,
            "reverses": reverses,
            "postings": legs.get(entry_id, []),
        }
        for entry_id, account_id, kind, source, reverses in entries
    ]
    head = connection.execute(
        sa.text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    ).first()
    seq, prev_hash = (int(head.seq), head.hash) if head is not None else (0, GENESIS)
    body = {
        "seq": seq + 1,
        "at": datetime.now(UTC).isoformat(),
        "actor": "system:migration",
        "command": "bind_journal",
        "account_id": None,
        "detail": {"journal": journal},
        "prev_hash": prev_hash,
    }
    connection.execute(
        sa.text(
            "INSERT INTO audit_log (seq, at, actor, command, account_id, detail, prev_hash, hash) "
            "VALUES (:seq, :at, :actor, :command, :account_id, :detail, :prev_hash, :hash)"
        ),
        dict(
            body,
            detail=json.dumps(body["detail"], sort_keys=True, ensure_ascii=False, default=str),
            hash=_chain_hash(body),
        ),
    )


def downgrade() -> None:
    # The record stays: the audit chain is appended to, never cut (a checkpoint may cover it).
    pass
