"""Batches' use cases from approval on: approval (registry has checked the ages first, outside
any transaction: `AgeCheck`), substitutions, the advance asked of the fund and what the fund
did with it, departure, arrival and cancellation. Each inside the unit of work it is given;
checks run first where they can (a booking or a release is refused only as it is written), and
any refusal rolls the whole unit of work back, so nothing is left written.

The approver is the county cooperative (a county administrator too), never the person who
formed the batch. The advance is asked on the approver's behalf, so in the fund they cannot sign
it: someone of each organisation does."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime

from dispatch.batches import domain as d
from dispatch.batches.errors import (
    AdvanceNotRepeatable,
    AgeOutsideLimits,
    AgeUnknown,
    AlreadyBooked,
    AlreadyInBatch,
    BatchChanged,
    NoneConfirmed,
    NotInPool,
    SelfApproval,
)
from dispatch.batches.events import (
    advance_request,
)
from dispatch.batches.repository import BatchRepository
from dispatch.batches.use_cases import (
    bumped,
    check_company,
    check_free,
    load,
    open_order,
    publish_event,
)
from dispatch.placements.errors import AlreadyPlaced
from dispatch_contract.batches import ADVANCE_REQUEST_PREFIX, APPROVED, FORMING
from sanbao_common.access import COUNTY_ADMIN, Forbidden, Principal
from sanbao_common.context import Caller, on_behalf_of
from sanbao_common.db import UnitOfWork

log = logging.getLogger(__name__)
COUNTY_COOP = "county_coop"


@dataclass(frozen=True)
class AgeCheck:
    """What registry's check_ages answered for `person_ids` (None: the order has no limits)."""

    person_ids: tuple[str, ...]
    outside: tuple[dict, ...]
    unknown: tuple[str, ...]


def may_approve(principal: Principal) -> bool:
    return COUNTY_ADMIN in principal.roles or principal.organisation_kind == COUNTY_COOP


def check_approver(principal: Principal) -> None:
    if not may_approve(principal):
        raise Forbidden(
            message_en="batches are approved by the county cooperative",
            message_zh="输送批次由县级合作社审批",
        )


def check_ages(order, person_ids: list[str], ages: AgeCheck | None) -> None:
    """Registry's answer covers exactly these people (else the batch changed since it was
    asked), and nobody is outside the order's limits or unknown."""
    if order.age_min is None and order.age_max is None:
        return
    if ages is None or set(ages.person_ids) != set(person_ids):
        raise BatchChanged()
    if ages.outside:
        raise AgeOutsideLimits(
            person_ids=[o["person_id"] for o in ages.outside],
            why=[o.get("why") for o in ages.outside],
            age_min=order.age_min,
            age_max=order.age_max,
        )
    if ages.unknown:
        raise AgeUnknown(person_ids=list(ages.unknown))


# -- approval -------------------------------------------------------------------------------


def approve_batch(
    uow: UnitOfWork, caller: Caller, principal: Principal, batch_id: str,
    ages: AgeCheck | None, now: datetime, wall_now: datetime,
) -> dict:  # fmt: skip
    """The roster frozen: seats and shares; the still invited let go; `batch_approved`, and
    `advance_requested` when the shares add up to more than nothing."""
    check_approver(principal)
    repo, batch, members = load(uow, batch_id)
    if batch.formed_by == caller.actor:
        raise SelfApproval(batch_id=batch_id)
    d.check_status(batch, "approved", FORMING)
    order = open_order(uow, batch.order_id)
    confirmed = [m.person_id for m in members if m.status == d.CONFIRMED]
    if not confirmed:
        raise NoneConfirmed(batch_id=batch_id)
    check_ages(order, confirmed, ages)
    approved, changed = d.approve(batch, members, now, caller.actor)
    repo.update_members(changed)
    repo.release([m.person_id for m in changed if m.status == d.RELEASED], batch_id)
    seats = [m for m in changed if m.seat is not None]
    more = []
    if sum(m.share_fen for m in seats) > 0:
        approved = replace(approved, advance=d.advance_asked(batch, d.advance_expiry(wall_now)))
        more = [advance_request(caller, principal, approved, seats, None)]
    repo.save(approved, batch.version)
    return publish_event("batch_approved", uow, caller, approved, *more)


def request_batch_advance(
    uow: UnitOfWork, caller: Caller, principal: Principal, batch_id: str, wall_now: datetime
) -> dict:
    """The advance asked for again: after the fund refused the request, or a proposal was
    rejected or expired unsigned; `batch_updated` and `advance_requested`."""
    check_approver(principal)
    repo, batch, members = load(uow, batch_id)
    d.check_status(batch, "asked for an advance", APPROVED)
    if d.advance_fen(batch, members) <= 0:
        raise AdvanceNotRepeatable(
            message_en="the batch has no costs to advance: nothing is asked of the fund",
            message_zh="该批次没有需要垫支的费用，无需向资金申请",
            batch_id=batch_id,
            advance_fen=0,
        )
    replaces = d.replaces_for_repeat(batch, wall_now)
    asked = bumped(
        repo, batch, advance=d.advance_asked(batch, d.advance_expiry(wall_now), replaces)
    )
    request = advance_request(caller, principal, asked, d.seated(members), replaces)
    return publish_event("batch_updated", uow, caller, asked, request)


# -- substitution ---------------------------------------------------------------------------


def substitute_in_batch(
    uow: UnitOfWork, caller: Caller, principal: Principal, data: dict, ages: AgeCheck | None,
    today: date,
) -> dict:  # fmt: skip
    """A seat of an approved batch passes to a newcomer (checked as an invitation is, and for
    age), who takes over its share; the substitution recorded; `batch_updated`."""
    repo, batch, members = load(uow, data["batch_id"])
    check_company(principal, batch.hr_company)
    d.check_status(batch, "changed", APPROVED)
    order = open_order(uow, batch.order_id)
    in_id = data["in_person_id"]
    known = next((m for m in members if m.person_id == in_id), None)
    if known is not None and known.status not in (d.DECLINED, d.RELEASED):
        raise AlreadyInBatch(person_ids=[in_id])
    pool = repo.candidates([in_id]).get(in_id)
    if pool is None or pool["status"] != "active":
        raise NotInPool(person_ids=[in_id])
    check_free(repo, {in_id: pool}, [in_id])
    d.check_size(members, 0, 0 if known else 1)  # a seat changes hands: one more row at most
    newcomer = known or d.Member(
        batch.batch_id, in_id, max(m.invited_seq for m in members) + 1, pool["name"],
        pool["id_number_masked"], pool["village_code"], pool["agent_id"], d.INVITED, None,
        None, today, None, None,
    )  # fmt: skip
    gone, came = d.substitute(batch, members, data["out_person_id"], newcomer,
                              data["responded_on"], today)  # fmt: skip
    check_ages(order, [in_id], ages)
    if not repo.book(in_id, batch.batch_id):
        raise AlreadyBooked(person_ids=[in_id])
    came = replace(came, responded_by=caller.actor)
    if known is None:
        repo.add_members([came])
        repo.update_members([gone])
    else:
        repo.update_members([gone, came])
    repo.release([gone.person_id], batch.batch_id)
    subs = repo.substitutions([batch.batch_id])[batch.batch_id]
    repo.add_substitution(
        d.Substitution(
            batch.batch_id,
            len(subs) + 1,
            came.seat,
            gone.person_id,
            in_id,
            data["reason"],
            data["responded_on"],
            caller.actor,
        )  # fmt: skip
    )
    return publish_event("batch_updated", uow, caller, bumped(repo, batch))


# -- departure, arrival, cancellation -------------------------------------------------------


def record_departure(
    uow: UnitOfWork, caller: Caller, principal: Principal, data: dict, today: date
) -> dict:
    """The batch left (only once its advance is paid, or it has no costs): each seat departed or
    was a no-show, who is let go; `batch_departed` (the fund claims no-shows' shares)."""
    repo, batch, members = load(uow, data["batch_id"])
    check_company(principal, batch.hr_company)
    departed, changed = d.depart(batch, members, data["departed_on"], data["no_shows"], today)
    repo.update_members(changed)
    repo.release([m.person_id for m in changed if m.status == d.NO_SHOW], batch.batch_id)
    repo.save(departed, batch.version)
    return publish_event("batch_departed", uow, caller, departed)


def record_arrival(
    uow: UnitOfWork, caller: Caller, principal: Principal, data: dict, today: date
) -> dict:
    """The departed arrived (each stays held by the batch until their placement starts);
    `batch_arrived`."""
    repo, batch, members = load(uow, data["batch_id"])
    check_company(principal, batch.hr_company)
    arrived, changed = d.arrive(batch, members, data["arrived_on"], today)
    repo.update_members(changed)
    repo.save(arrived, batch.version)
    return publish_event("batch_arrived", uow, caller, arrived)


def release_from_batch(uow: UnitOfWork, caller: Caller, principal: Principal, data: dict) -> dict:
    """An arrived member the employer turned away on arrival, never placed from the batch: let
    go (`released`, with the reason), no longer held by the batch; `batch_updated`."""
    repo, batch, members = load(uow, data["batch_id"])
    check_company(principal, batch.hr_company)
    person_id = data["person_id"]
    released = d.release_arrived(batch, members, person_id, data["reason"])
    if repo.placed_from(batch.batch_id, person_id) is not None:
        raise AlreadyPlaced(batch_id=batch.batch_id, person_id=person_id)
    if not repo.release_one(person_id, batch.batch_id):  # a placement took the booking over
        raise AlreadyPlaced(
            message_en="the batch no longer holds this person (placed meanwhile)",
            message_zh="该批次已不再占用此人（期间已被安置）",
            batch_id=batch.batch_id,
            person_id=person_id,
        )
    repo.update_members([released])
    return publish_event("batch_updated", uow, caller, bumped(repo, batch))


def cancel_batch(
    uow: UnitOfWork, caller: Caller, principal: Principal, data: dict, wall_now: datetime
) -> dict:
    """A forming or approved batch will not go: everyone it holds is let go;
    `batch_cancelled`."""
    repo, batch, members = load(uow, data["batch_id"])
    check_company(principal, batch.hr_company)
    cancelled, changed = d.cancel(batch, members, data["reason"], wall_now)
    repo.update_members(changed)
    repo.release([m.person_id for m in changed], batch.batch_id)
    repo.save(cancelled, batch.version)
    return publish_event("batch_cancelled", uow, caller, cancelled)


# -- what the fund did with the advance ------------------------------------------------------


def batch_of_request(event) -> str | None:
    """The batch whose advance a fund event is about, or None (another service's request, or
    a proposal nobody asked for by event)."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    if event.type == "fund_request_refused":
        source, key = payload.get("source"), payload.get("request_key")
    else:
        request = payload.get("request") if isinstance(payload.get("request"), dict) else {}
        source, key = request.get("source"), request.get("request_key")
    if (
        source != "dispatch"
        or not isinstance(key, str)
        or not key.startswith(ADVANCE_REQUEST_PREFIX)
    ):
        return None
    return key[len(ADVANCE_REQUEST_PREFIX) :]


def apply_fund_events(uow: UnitOfWork, events, county: str) -> None:
    """The fund's news of batches' advances (`outflow_proposed`, `outflow_paid`,
    `outflow_rejected`, `fund_request_refused`), each announced as `batch_updated` when it
    changes what the batch knows."""
    for event in events:
        batch_id = batch_of_request(event)
        if batch_id is None:
            continue
        repo = BatchRepository(uow.connection)
        batch = repo.get(batch_id, lock=True)
        if batch is None:
            log.warning("%s names batch %s, which dispatch does not have", event.type, batch_id)
            continue
        advance = d.advance_after(batch.advance, event.type, event.payload)
        if advance is None:
            continue
        caller = on_behalf_of("dispatch", county, event.actor, event.correlation_id)
        publish_event("batch_updated", uow, caller, bumped(repo, batch, advance=advance))
