"""The events job orders publish, and their resync sources (`sanbao events resync CONSUMER`).

`job_order_opened` (version 1) and `job_order_closed` (version 2: filled, closed or cancelled)
carry the order's whole state (`dispatch.orders.schemas.order_state`); record id = order id. A
resync republishes each open order as `job_order_opened` and each ended one as
`job_order_closed`, at its current version, in pages by order id (`dispatch.resync` lists the
sources)."""

from __future__ import annotations

from dispatch.orders.repository import OrderRepository
from dispatch.orders.schemas import order_state
from dispatch_contract.vocabularies import ORDER_ENDINGS, ORDER_OPEN
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import new_envelope
from sanbao_common.messaging.resync import ResyncPage

SOURCE = "dispatch"
OPENED, CLOSED = "job_order_opened", "job_order_closed"


def order_event(type_: str, caller: Caller, state: dict) -> dict:
    """One of the `job_order_*` events about the order whose state is `state`."""
    return new_envelope(
        type_,
        source=SOURCE,
        county=caller.county,
        payload=state,
        actor=caller.actor,
        correlation_id=caller.correlation_id,
        record_id=state["order_id"],
        version=state["version"],
    )


def _page(uow: UnitOfWork, caller: Caller, type_: str, statuses, after, limit) -> ResyncPage:
    repo = OrderRepository(uow.connection)
    found = repo.orders(statuses=statuses, after=after, limit=limit)
    names = repo.employer_names({order.employer_id for order in found})
    events = [order_event(type_, caller, order_state(o, names[o.employer_id])) for o in found]
    return ResyncPage(events, len(found), found[-1].order_id if len(found) == limit else None)


def open_orders(uow: UnitOfWork, caller: Caller, after: str | None, limit: int) -> ResyncPage:
    """Resync source of `job_order_opened`: every order still open."""
    return _page(uow, caller, OPENED, (ORDER_OPEN,), after, limit)


def ended_orders(uow: UnitOfWork, caller: Caller, after: str | None, limit: int) -> ResyncPage:
    """Resync source of `job_order_closed`: every order that ended (filled, closed, cancelled)."""
    return _page(uow, caller, CLOSED, ORDER_ENDINGS, after, limit)
