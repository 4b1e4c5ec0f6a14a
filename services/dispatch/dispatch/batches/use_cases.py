"""Batches' use cases while a batch forms, and reads: each inside the unit of work it is given
(the entrypoint's command commits). Checks run first where they can (forming writes the batch
row before its invitations are checked); a booking is refused only as it is written (a
concurrent caller held the person first). Any refusal rolls the whole unit of work back, so a
refused request leaves nothing written.

Who acts: the batch's own HR company forms, invites, costs, departs, arrives and cancels (a
county administrator for any company); an answer is recorded by someone whose area covers the
person's village, or by the person's own agent; the county cooperative approves (see
`dispatch.batches.lifecycle`). An HR company's people read only their own company's batches."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import select

from dispatch.adapters.order_tables import job_orders
from dispatch.batches import domain as d
from dispatch.batches.errors import (
    AlreadyBooked,
    AlreadyInBatch,
    BatchNotFound,
    HeldUnderMergedRecord,
    NotInPool,
    OverHeadCount,
)
from dispatch.batches.events import batch_event, states
from dispatch.batches.repository import BatchRepository
from dispatch.orders.domain import JobOrder
from dispatch.orders.errors import OrderNotFound, OrderNotOpen
from dispatch.orders.repository import OrderRepository
from dispatch.orders.use_cases import acting_company, reading_company
from dispatch_contract.batches import FORMING
from dispatch_contract.vocabularies import ORDER_OPEN
from sanbao_common.access import AGENT, AREA_KINDS, COUNTY_ADMIN, OutOfScope, Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events

# -- who ------------------------------------------------------------------------------------


def check_company(principal: Principal, hr_company: str, reading: bool = False) -> None:
    company = reading_company(principal) if reading else acting_company(principal)
    if company is not None and company != hr_company:
        raise OutOfScope(
            message_en="this batch belongs to another HR company",
            message_zh="该输送批次属于其他人力资源公司",
            hr_company=hr_company,
        )


def check_answering(principal: Principal, member: d.Member) -> None:
    """An answer for a person comes from the county's administrator, someone of a cooperative
    or village group whose area covers the person's village, or the person's own agent."""
    if COUNTY_ADMIN in principal.roles:
        return
    if AGENT in principal.roles and member.agent_id == principal.user_id:
        return
    if principal.organisation_kind in AREA_KINDS and principal.covers(member.village_code):
        return
    raise OutOfScope(
        message_en="this person lives outside your area",
        message_zh="此人不在您的管辖范围内",
        person_id=member.person_id,
    )


# -- reading and saving ---------------------------------------------------------------------


def load(uow: UnitOfWork, batch_id: str, lock: bool = True):
    """(repository, batch, members) of an existing batch, its row held until the commit."""
    repo = BatchRepository(uow.connection)
    batch = repo.get(batch_id, lock=lock)
    if batch is None:
        raise BatchNotFound(batch_id=batch_id)
    return repo, batch, repo.members([batch_id])[batch_id]


def open_order(uow: UnitOfWork, order_id: str) -> JobOrder:
    """The batch's order, open, its row held until the commit (so that two batches of one
    order never both take its last places)."""
    uow.connection.execute(
        select(job_orders.c.order_id).where(job_orders.c.order_id == order_id).with_for_update()
    )
    order = OrderRepository(uow.connection).order(order_id)
    if order is None:
        raise OrderNotFound(order_id=order_id)
    if order.status != ORDER_OPEN:
        raise OrderNotOpen(order_id=order_id, status=order.status)
    return order


def publish_event(type_: str, uow: UnitOfWork, caller: Caller, batch: d.Batch, *more) -> dict:
    """The batch's state as stored now, announced as `type_` (and `more` envelopes after)."""
    (state,) = states(uow.connection, [batch])
    write_events(uow, [batch_event(type_, caller, state), *more])
    return state


def bumped(repo: BatchRepository, batch: d.Batch, **changes) -> d.Batch:
    """The batch with `changes`, at its next version, saved over the version it was read at."""
    changed = replace(batch, version=batch.version + 1, **changes)
    repo.save(changed, batch.version)
    return changed


def costs_of(data: list[dict]) -> tuple[d.Cost, ...]:
    return tuple(d.Cost(c["kind"], c["per"], c["amount"]) for c in data)


# -- invitations ----------------------------------------------------------------------------


def check_free(repo: BatchRepository, pool: dict[str, dict], people: list[str]) -> None:
    """Nobody holds these people: not under their own records, nor under a record registry
    merged into one of theirs."""
    booked = [p for p in people if pool[p]["booked_by"] is not None]
    if booked:
        raise AlreadyBooked(person_ids=booked)
    merged = repo.held_under_merged(people)
    if merged:
        raise HeldUnderMergedRecord(
            person_ids=sorted(merged), held_as=sorted(m for ms in merged.values() for m in ms)
        )


def invite(
    uow: UnitOfWork, repo: BatchRepository, batch: d.Batch, members: list[d.Member],
    people: list[str], today: date,
) -> None:  # fmt: skip
    """Invite `people` (checked all first: in the pool, not held, within the head count and the
    batch's size, `d.check_size`), then hold each of them for the batch. A declined or released
    member may be invited again (in the row they have)."""
    order = open_order(uow, batch.order_id)
    known = {m.person_id: m for m in members}
    again = [p for p in people if p in known]
    taken = [p for p in again if known[p].status not in (d.DECLINED, d.RELEASED)]
    if taken:
        raise AlreadyInBatch(person_ids=taken)
    d.check_size(members, len(people), len(people) - len(again))
    pool = repo.candidates(people)
    absent = [p for p in people if p not in pool or pool[p]["status"] != "active"]
    if absent:
        raise NotInPool(person_ids=absent)
    check_free(repo, pool, people)
    held = repo.held_for_order(order.order_id)
    if held + len(people) > order.head_count:
        raise OverHeadCount(head_count=order.head_count, held=held, asked=len(people))
    for person_id in people:
        if not repo.book(person_id, batch.batch_id):
            raise AlreadyBooked(person_ids=[person_id])
    seq = max((m.invited_seq for m in members), default=0)
    fresh = []
    for person_id in people:
        if person_id in known:
            continue
        seq += 1
        p = pool[person_id]
        fresh.append(
            d.Member(
                batch.batch_id,
                person_id,
                seq,
                p["name"],
                p["id_number_masked"],
                p["village_code"],
                p["agent_id"],
                d.INVITED,
                None,
                None,
                today,
                None,
                None,
            )  # fmt: skip
        )
    repo.add_members(fresh)
    repo.update_members(
        [
            replace(
                known[p], status=d.INVITED, invited_on=today, responded_on=None, responded_by=None
            )
            for p in again
        ]  # fmt: skip
    )


def form_batch(
    uow: UnitOfWork, caller: Caller, principal: Principal, data: dict, today: date,
    now: datetime,
) -> dict:  # fmt: skip
    """A batch (`FormSchema`, loaded) for an open order of the caller's HR company, inviting
    `people`; `batch_formed`."""
    order = open_order(uow, data["order_id"])
    check_company(principal, order.hr_company)
    batch = d.Batch(
        batch_id=str(uuid.uuid4()), order_id=order.order_id, agreement_id=order.agreement_id,
        hr_company=order.hr_company, status=FORMING, costs=costs_of(data["costs"]),
        advance=None, formed_at=now, formed_by=caller.actor, approved_at=None,
        approved_by=None, departed_on=None, arrived_on=None, cancelled_reason=None, version=1,
    )  # fmt: skip
    repo = BatchRepository(uow.connection)
    repo.add(batch)
    invite(uow, repo, batch, [], data["people"], today)
    return publish_event("batch_formed", uow, caller, batch)


def invite_to_batch(
    uow: UnitOfWork, caller: Caller, principal: Principal, data: dict, today: date
) -> dict:
    """More people invited to a forming batch; `batch_updated`."""
    repo, batch, members = load(uow, data["batch_id"])
    check_company(principal, batch.hr_company)
    d.check_status(batch, "joined", FORMING)
    invite(uow, repo, batch, members, data["people"], today)
    return publish_event("batch_updated", uow, caller, bumped(repo, batch))


def record_response(
    uow: UnitOfWork, caller: Caller, principal: Principal, data: dict, today: date
) -> dict:
    """An invited person confirmed or declined (on `responded_on`); a decline lets them go.
    `batch_updated`."""
    repo, batch, members = load(uow, data["batch_id"])
    member = next((m for m in members if m.person_id == data["person_id"]), None)
    if member is not None:
        check_answering(principal, member)
    answered = d.respond(
        batch, members, data["person_id"], data["response"], data["responded_on"],
        caller.actor, today,
    )  # fmt: skip
    repo.update_members([answered])
    if answered.status == d.DECLINED:
        repo.release([answered.person_id], batch.batch_id)
    return publish_event("batch_updated", uow, caller, bumped(repo, batch))


def set_batch_costs(uow: UnitOfWork, caller: Caller, principal: Principal, data: dict) -> dict:
    """The cost estimate of a forming batch, replaced whole; `batch_updated`."""
    repo, batch, _ = load(uow, data["batch_id"])
    check_company(principal, batch.hr_company)
    d.check_status(batch, "costed", FORMING)
    return publish_event(
        "batch_updated", uow, caller, bumped(repo, batch, costs=costs_of(data["costs"]))
    )


# -- reads ----------------------------------------------------------------------------------


def get_batch(uow: UnitOfWork, principal: Principal, batch_id: str) -> dict:
    _, batch, _ = load(uow, batch_id, lock=False)
    check_company(principal, batch.hr_company, reading=True)
    (state,) = states(uow.connection, [batch])
    return state


def list_batches(
    uow: UnitOfWork, principal: Principal, order_id: str | None, status: str | None
) -> dict:
    """Batches (of the caller's HR company only, for its people), by id."""
    found = BatchRepository(uow.connection).find(
        order_id=order_id, status=status, hr_company=reading_company(principal)
    )
    return {"batches": states(uow.connection, found)}
