"""The event agreements publish: `agreement_sealed`, one per version that took effect (record id
the agreement's id, version the agreement's version). The fund trusts only `terms` and
`seal_signatures` of it, which it verifies itself; the rest is for people and logs."""

from __future__ import annotations

from datetime import UTC

from dispatch.agreements.repository import Version
from sanbao_common.context import Caller
from sanbao_common.envelope import new_envelope

SOURCE = "dispatch"


def sealed_payload(version: Version) -> dict:
    sealed_at = version.sealed_at
    if sealed_at is not None and sealed_at.tzinfo is None:
        sealed_at = sealed_at.replace(tzinfo=UTC)  # SQLite reads it back naive
    return {
        "agreement_id": version.agreement_id,
        "version": version.version,
        "status": "sealed",
        "terms": version.terms,
        "seal_signatures": dict(version.seal_signatures),
        "sealed_at": sealed_at.isoformat() if sealed_at else None,
    }


def sealed_event(caller: Caller, version: Version) -> dict:
    return new_envelope(
        "agreement_sealed",
        source=SOURCE,
        county=caller.county,
        payload=sealed_payload(version),
        actor=caller.actor,
        correlation_id=caller.correlation_id,
        record_id=version.agreement_id,
        version=version.version,
    )
