"""The fund's audit trail: every command, in order, each record chained to the one before by a
SHA-256 hash over its canonical form. Checkpoints of the chain's head, signed with the fund's own
key, leave the fund's database (an `audit_checkpoint` event the registry keeps as the county's
witness, and every exported statement), so rewriting history up to a checkpoint is detected even
by someone who can write to the fund's database and recompute every hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: str  # ISO 8601, UTC
    actor: str
    command: str
    account_id: str | None
    detail: dict  # the command's arguments, outcome, journal entries and signatures
    prev_hash: str
    hash: str = ""

    def body(self) -> dict:
        """Everything the hash covers (all but the hash itself), without copying `detail`."""
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "command": self.command,
            "account_id": self.account_id,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
        }


def chain_hash(record: AuditRecord) -> str:
    canonical = json.dumps(record.body(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def first_break(records, checkpoints: list[dict]) -> str | None:
    """Where the chain stops being the chain it was: a record whose hash or link does not hold, a
    gap in the sequence, or a checkpoint the stored chain no longer matches (or no longer
    reaches). None if it all holds."""
    prev, heads = GENESIS, {}
    expected_seq = 1
    for record in records:
        if record.seq != expected_seq:
            return f"record {expected_seq} is missing (found {record.seq})"
        if record.prev_hash != prev:
            return f"record {record.seq} does not link to record {record.seq - 1}"
        if chain_hash(record) != record.hash:
            return f"record {record.seq} was altered (its hash does not match its content)"
        heads[record.seq] = record.hash
        prev, expected_seq = record.hash, expected_seq + 1
    for point in sorted(checkpoints, key=lambda c: c["seq"]):
        if point["seq"] not in heads:
            return f"checkpoint at record {point['seq']} is beyond the stored chain (truncated)"
        if heads[point["seq"]] != point["hash"]:
            return (
                f"record {point['seq']} differs from the checkpoint taken of it (history rewritten)"
            )
    return None


def bound_entry(entry_id: str, account_id, kind, source, reverses, postings) -> dict:
    """A journal entry as the audit chain binds it (in the `journal` of the record of the command
    that posted it): its identity, what it is for and every posting, in order. Whoever changes a
    posting, and the kept balances with it, then breaks the chain or `journal_break` sees it."""
    return {
        "entry_id": entry_id,
        "account_id": account_id,
        "kind": kind,
        "source": source,
        "reverses": reverses,
        "postings": [[p.account, p.amount_fen, p.reference] for p in postings],
    }


def journal_break(records, entries: list[dict]) -> str | None:
    """The first stored journal entry (in the journal's order, as `bound_entry` forms them) that
    is not what the audit chain bound, or is bound nowhere; else the first bound entry that is
    gone. An entry's first binding counts: one appended later cannot amend it."""
    bound: dict[str, tuple[int, dict]] = {}
    for record in records:
        journal = record.detail.get("journal") if isinstance(record.detail, dict) else None
        for entry in journal if isinstance(journal, list) else ():
            entry_id = entry.get("entry_id") if isinstance(entry, dict) else None
            if entry_id in bound and bound[entry_id][1] != entry:
                return (
                    f"journal entry {entry_id} is bound again, differently, by record {record.seq}"
                )
            bound.setdefault(entry_id, (record.seq, entry))
    stored = set()
    for entry in entries:
        stored.add(entry["entry_id"])
        if entry["entry_id"] not in bound:
            return f"journal entry {entry['entry_id']} is not in the audit chain"
        seq, binding = bound[entry["entry_id"]]
        if binding != entry:
            return f"journal entry {entry['entry_id']} differs from the audit chain (record {seq})"
    for entry_id, (seq, _) in bound.items():
        if entry_id not in stored:
            return f"journal entry {entry_id} bound by record {seq} is missing"
    return None
