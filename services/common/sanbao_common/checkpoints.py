"""Checkpoints of an audit chain: what a service signs of its chain's head, and the check the
county's witness makes before keeping one. One definition for the signer and the witness."""

from __future__ import annotations

from sanbao_common.crypto import load_public_key, signature_valid, statement_bytes


def checkpoint_statement(seq: int, head: str, at: str, county: str) -> dict:
    return {"purpose": "audit_checkpoint", "county": county, "seq": seq, "hash": head, "at": at}


def signed_by_pinned_key(checkpoint: dict, pinned_keys: str, county: str) -> bool:
    """Whether one of the pinned public keys (base64, comma-separated) signed this checkpoint."""
    pinned = [part.strip() for part in (pinned_keys or "").split(",") if part.strip()]
    if checkpoint.get("public_key") not in pinned:
        return False
    try:
        statement = checkpoint_statement(
            checkpoint["seq"], checkpoint["hash"], checkpoint["at"], county
        )
        key = load_public_key(checkpoint["public_key"])
    except (KeyError, ValueError):
        return False
    return signature_valid(key, statement_bytes(statement), checkpoint.get("signature") or "")
