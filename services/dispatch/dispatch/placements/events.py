"""The events placements publish, and their resync sources (`sanbao events resync CONSUMER`).

`placement_started` (version 1), `placement_followed_up` (each recorded follow-up: version + 1)
and `placement_ended` (once) carry the placement's whole state
(`dispatch.placements.schemas.placement_state`); record id = placement id. A resync republishes
each active placement as `placement_started` and each ended one as `placement_ended`, at its
current version with its whole state (follow-ups included), in pages by placement id; a
`placement_followed_up` has no source of its own: the state it carried travels in those two."""

from __future__ import annotations

from dispatch.placements.repository import PlacementRepository
from dispatch.placements.schemas import placement_state
from dispatch_contract.placements import ACTIVE, ENDED
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import new_envelope
from sanbao_common.messaging.resync import ResyncPage

SOURCE = "dispatch"


def placement_event(type_: str, caller: Caller, state: dict) -> dict:
    """One of the `placement_*` events about the placement whose state is `state`."""
    return new_envelope(
        type_,
        source=SOURCE,
        county=caller.county,
        payload=state,
        actor=caller.actor,
        correlation_id=caller.correlation_id,
        record_id=state["placement_id"],
        version=state["version"],
    )


def _page(uow: UnitOfWork, caller: Caller, type_: str, status: str, after, limit) -> ResyncPage:
    found = PlacementRepository(uow.connection).find(status=status, after=after, limit=limit)
    events = [placement_event(type_, caller, placement_state(p)) for p in found]
    return ResyncPage(events, len(found), found[-1].placement_id if len(found) == limit else None)


def active_placements(uow: UnitOfWork, caller: Caller, after: str | None, limit: int) -> ResyncPage:
    """Resync source of `placement_started`: every active placement, at its current version."""
    return _page(uow, caller, "placement_started", ACTIVE, after, limit)


def ended_placements(uow: UnitOfWork, caller: Caller, after: str | None, limit: int) -> ResyncPage:
    """Resync source of `placement_ended`: every placement that ended."""
    return _page(uow, caller, "placement_ended", ENDED, after, limit)
