"""registry's events in the kit's envelope: every sub-domain builds them here, so each carries
the same source, county, actor and correlation id (docs/events.md lists them)."""

from __future__ import annotations

from sanbao_common.context import Caller
from sanbao_common.envelope import new_envelope

SOURCE = "registry"


def registry_event(
    event_type: str,
    caller: Caller,
    payload: dict,
    record_id: str | None = None,
    version: int | None = None,
) -> dict:
    return new_envelope(
        event_type,
        source=SOURCE,
        county=caller.county,
        payload=payload,
        actor=caller.actor,
        correlation_id=caller.correlation_id,
        record_id=record_id,
        version=version,
    )
