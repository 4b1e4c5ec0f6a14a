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


def checkpoint_statement(seq: int, head: str, at: str, county: str) -> dict:
    return {"purpose": "audit_checkpoint", "county": county, "seq": seq, "hash": head, "at": at}


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
