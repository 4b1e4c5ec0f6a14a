"""The events batches publish, and their resync sources (`sanbao events resync CONSUMER`).

`batch_formed` (version 1), `batch_updated` (invitations, answers, costs, substitutions, what the
fund did with the advance), `batch_approved`, `batch_departed`, `batch_arrived`,
`batch_cancelled`: each carries the batch's whole state (`dispatch.batches.schemas.batch_state`);
record id = batch id. `advance_requested` (fund_contract.requests) asks the fund for the advance
on the approver's behalf. A resync republishes each batch as the event of its status (forming:
`batch_formed` or `batch_updated`, by version), at its current version, in pages by batch id;
`batch_departed` is resent for arrived batches too (a departure missed is otherwise lost)."""

from __future__ import annotations

from dispatch.batches.domain import Batch, Member
from dispatch.batches.repository import BatchRepository
from dispatch.batches.schemas import batch_state
from dispatch.orders.repository import OrderRepository
from dispatch_contract.batches import (
    APPROVED,
    ARRIVED,
    CANCELLED,
    DEPARTED,
    FORMING,
    advance_reference,
)
from sanbao_common.access import Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import new_envelope
from sanbao_common.messaging.resync import ResyncPage

SOURCE = "dispatch"
FORMED, UPDATED, APPROVED_EVENT = "batch_formed", "batch_updated", "batch_approved"
DEPARTED_EVENT, ARRIVED_EVENT, CANCELLED_EVENT = (
    "batch_departed",
    "batch_arrived",
    "batch_cancelled",
)
ADVANCE_REQUESTED = "advance_requested"
EVENT_OF_STATUS = {
    APPROVED: APPROVED_EVENT,
    DEPARTED: DEPARTED_EVENT,
    ARRIVED: ARRIVED_EVENT,
    CANCELLED: CANCELLED_EVENT,
}


def batch_event(type_: str, caller: Caller, state: dict) -> dict:
    """One of the `batch_*` events about the batch whose state is `state`."""
    return new_envelope(
        type_,
        source=SOURCE,
        county=caller.county,
        payload=state,
        actor=caller.actor,
        correlation_id=caller.correlation_id,
        record_id=state["batch_id"],
        version=state["version"],
    )


def advance_request(
    caller: Caller, principal: Principal, batch: Batch, members: list[Member], replaces
) -> dict:
    """`advance_requested`: one line per seat with a share, paid to the HR company, asked on
    behalf of `principal` (who therefore cannot sign it in the fund)."""
    lines = [
        {
            "payee": batch.hr_company,
            "amount_fen": m.share_fen,
            "purpose": f"输送批次预支：{m.name}（第{m.seat}座）",
            "reference": advance_reference(batch.batch_id, m.seat),
        }
        for m in sorted(members, key=lambda m: m.seat or 0)
        if m.seat is not None and m.share_fen
    ]
    payload = {
        "request_key": batch.advance["request_key"],
        "account_id": batch.agreement_id,
        "lines": lines,
        "expires_at": batch.advance["expires_at"],
        "proposer": {
            "user_id": principal.user_id,
            "username": principal.username,
            "organisation_id": principal.organisation_id,
        },
        "replaces": replaces,
    }
    return new_envelope(
        "advance_requested",
        source=SOURCE,
        county=caller.county,
        payload=payload,
        actor=principal.actor,
        correlation_id=caller.correlation_id,
        record_id=batch.batch_id,
        version=batch.version,
    )


def order_copy(repo: OrderRepository, order_id: str) -> dict:
    """What a batch's state copies of its order."""
    order = repo.order(order_id)
    name = repo.employer_names({order.employer_id})[order.employer_id]
    return {
        "employer_id": order.employer_id,
        "employer_name": name,
        "place_scope": order.place_scope,
        "place": order.place,
        "title": order.title,
    }


def states(connection, found: list[Batch]) -> list[dict]:
    """The whole states of these batches, read in one go."""
    repo, orders = BatchRepository(connection), OrderRepository(connection)
    ids = [b.batch_id for b in found]
    members, substitutions = repo.members(ids), repo.substitutions(ids)
    copies = {order_id: order_copy(orders, order_id) for order_id in {b.order_id for b in found}}
    return [
        batch_state(b, members[b.batch_id], substitutions[b.batch_id], copies[b.order_id])
        for b in found
    ]


def _page(
    uow: UnitOfWork, caller: Caller, statuses, pick, after, limit, type_: str | None = None
) -> ResyncPage:
    """One page of the batches of `statuses` that `pick` keeps, each as `type_` (by default the
    event of its status)."""
    found = BatchRepository(uow.connection).find(statuses=statuses, after=after, limit=limit)
    chosen = [b for b in found if pick(b)]
    events = [
        batch_event(type_ or _type_of(state), caller, state)
        for state in states(uow.connection, chosen)
    ]
    return ResyncPage(events, len(found), found[-1].batch_id if len(found) == limit else None)


def _type_of(state: dict) -> str:
    if state["status"] == FORMING:
        return FORMED if state["version"] == 1 else UPDATED
    return EVENT_OF_STATUS[state["status"]]


def formed_batches(uow: UnitOfWork, caller: Caller, after: str | None, limit: int) -> ResyncPage:
    """Resync source of `batch_formed`: every forming batch still at version 1."""
    return _page(uow, caller, (FORMING,), lambda b: b.version == 1, after, limit)


def updated_batches(uow: UnitOfWork, caller: Caller, after: str | None, limit: int) -> ResyncPage:
    """Resync source of `batch_updated`: every forming batch changed since it was formed."""
    return _page(uow, caller, (FORMING,), lambda b: b.version > 1, after, limit)


def _by_status(status: str):
    def source(uow: UnitOfWork, caller: Caller, after: str | None, limit: int) -> ResyncPage:
        return _page(uow, caller, (status,), lambda b: True, after, limit)

    source.__doc__ = f"Resync source of `{EVENT_OF_STATUS[status]}`: every {status} batch."
    return source


def departed_batches(uow: UnitOfWork, caller: Caller, after: str | None, limit: int) -> ResyncPage:
    """Resync source of `batch_departed`: every batch that left, departed or arrived since (at
    its current state), so that a consumer that missed the departure still gets it (the fund
    makes its no-show claims from it, and takes an arrived state too)."""
    return _page(uow, caller, (DEPARTED, ARRIVED), lambda b: True, after, limit, DEPARTED_EVENT)


approved_batches = _by_status(APPROVED)
arrived_batches = _by_status(ARRIVED)
cancelled_batches = _by_status(CANCELLED)
