"""Placements' and follow-ups' use cases, each inside the unit of work it is given (the
entrypoint's command commits). Checks run first where they can; a refusal found later (a booking
another caller took meanwhile) raises too, and any refusal rolls the whole unit of work back, so
a refused request leaves nothing written.

Who acts: the placement's HR company (`placements.manage`, its own placements; a county
administrator any); a placement's end may also be recorded by the labourer's agent or a
cooperative whose area holds the labourer's village (`placements.end`). Who reads: an HR
company's people their own company's placements; an area-bound cooperative's people (agents
included) their own area's; everyone else, all."""

from __future__ import annotations

import logging
import uuid
from datetime import date

from dispatch.agreements.queries import agreement_for_orders
from dispatch.orders.use_cases import acting_company, reading_company
from dispatch.placements import domain as d
from dispatch.placements.errors import (
    AgreementNotInForce,
    AlreadyPlaced,
    NotInBatch,
    PlacementNotFound,
)
from dispatch.placements.events import placement_event
from dispatch.placements.repository import PlacementRepository
from dispatch.placements.schedule import outstanding
from dispatch.placements.schemas import placement_state
from dispatch_contract.placements import ACTIVE
from sanbao_common import clock
from sanbao_common.access import AGENT, COOP_OPERATOR, OutOfScope, Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events

log = logging.getLogger(__name__)


def _out_of_scope(what: str, **details) -> OutOfScope:
    return OutOfScope(
        message_en=f"this placement belongs to another {what}",
        message_zh="此安置记录不属于您的" + ("人力资源公司" if what == "HR company" else "辖区"),
        **details,
    )


def check_reads(principal: Principal, placement: d.Placement) -> None:
    company = reading_company(principal)
    if company is not None and company != placement.hr_company:
        raise _out_of_scope("HR company", placement_id=placement.placement_id)
    area = principal.area
    if area is not None and not placement.village_code.startswith(area):
        raise _out_of_scope("area", placement_id=placement.placement_id)


def _check_manages(principal: Principal, hr_company: str) -> None:
    company = acting_company(principal)
    if company is not None and company != hr_company:
        raise _out_of_scope("HR company", hr_company=hr_company)


def _check_ends(principal: Principal, placement: d.Placement) -> None:
    """The HR company's people (or a county administrator); else the labourer's agent, or a
    cooperative's people whose area holds the labourer's village."""
    roles = set(principal.roles)
    if acting_company(principal) in (None, placement.hr_company):
        return
    if AGENT in roles and principal.user_id == placement.agent_id:
        return
    area = principal.area
    in_area = area is not None and placement.village_code.startswith(area)
    if roles & {AGENT, COOP_OPERATOR} and in_area:
        return
    raise _out_of_scope("HR company or area", placement_id=placement.placement_id)


def _found(repo: PlacementRepository, placement_id: str) -> d.Placement:
    placement = repo.get(placement_id)
    if placement is None:
        raise PlacementNotFound(placement_id=placement_id)
    return placement


# -- start -----------------------------------------------------------------------------------


def start_placement(
    uow: UnitOfWork, caller: Caller, principal: Principal, data: dict, today: date
) -> dict:
    """An arrived member of a batch placed (`StartSchema`, loaded); `placement_started`. The
    person's booking moves from the batch to the placement."""
    repo = PlacementRepository(uow.connection)
    company = repo.batch_company(data["batch_id"])
    if company is not None:
        _check_manages(principal, company)
    member = repo.arrived_member(data["batch_id"], data["person_id"])
    if member is None:
        raise NotInBatch(batch_id=data["batch_id"], person_id=data["person_id"])
    if repo.placed_from(data["batch_id"], data["person_id"]) is not None:
        raise AlreadyPlaced(batch_id=data["batch_id"], person_id=data["person_id"])
    d.check_start(data["starts_on"], data["wage"], member["arrived_on"], today)
    agreement = agreement_for_orders(uow.connection, member["agreement_id"], data["starts_on"])
    if agreement is None or agreement["version_in_force"] is None:
        raise AgreementNotInForce(
            agreement_id=member["agreement_id"], starts_on=data["starts_on"].isoformat()
        )
    placement = _new_placement(repo, caller, member, data, agreement["version_in_force"])
    if not repo.move_booking(member["person_id"], member["batch_id"], placement.placement_id):
        raise NotInBatch(
            message_en="the batch no longer holds this person (booked elsewhere or released)",
            message_zh="该批次已不再占用此人（已被其他批次或安置占用，或已释放）",
            batch_id=data["batch_id"],
            person_id=data["person_id"],
        )
    repo.add(placement)
    state = placement_state(placement)
    write_events(uow, [placement_event("placement_started", caller, state)])
    return state


def _new_placement(
    repo: PlacementRepository, caller: Caller, member: dict, data: dict, version: int
) -> d.Placement:
    """The placement of `member`, with the labourer's village, agent and poor flag as the pool
    holds them now (the roster's, if the pool no longer has the person)."""
    person = repo.candidate(member["person_id"]) or {}
    village = person.get("village_code") or member["village_code"]
    order = repo.order_place(member["order_id"])
    return d.Placement(
        placement_id=str(uuid.uuid4()),
        batch_id=member["batch_id"],
        order_id=member["order_id"],
        agreement_id=member["agreement_id"],
        agreement_version=version,
        hr_company=member["hr_company"],
        employer_id=order["employer_id"],
        employer_name=order["employer_name"],
        person_id=member["person_id"],
        name=member["name"],
        id_number_masked=member["id_number_masked"],
        village_code=village,
        township_code=village[:9],
        agent_id=person.get("agent_id", member["agent_id"]),
        poor=bool(person.get("poor", False)),
        place_scope=order["place_scope"],
        place=order["place"],
        starts_on=data["starts_on"],
        wage_fen=data["wage"],
        current_wage_fen=data["wage"],
        status=ACTIVE,
        version=1,
        started_at=clock.now(),
        started_by=caller.actor,
    )


# -- follow-up and end -----------------------------------------------------------------------


def record_follow_up(
    uow: UnitOfWork, caller: Caller, principal: Principal, placement_id: str, data: dict,
    today: date,
) -> dict:  # fmt: skip
    """A follow-up (`FollowUpSchema`, loaded) recorded; `placement_followed_up`."""
    repo = PlacementRepository(uow.connection)
    placement = _found(repo, placement_id)
    _check_manages(principal, placement.hr_company)
    changed = d.follow_up(placement, data, today, clock.now(), caller.actor)
    (record,) = [f for f in changed.follow_ups if f.month == data["month"]]
    repo.save_follow_up(changed, record)
    state = placement_state(changed)
    write_events(uow, [placement_event("placement_followed_up", caller, state)])
    return state


def end_placement(
    uow: UnitOfWork, caller: Caller, principal: Principal, data: dict, today: date
) -> dict:
    """The placement ended (`EndSchema`, loaded); `placement_ended`. The labourer is free: no
    batch or placement holds them, and matching lists them again."""
    repo = PlacementRepository(uow.connection)
    placement = _found(repo, data["placement_id"])
    _check_ends(principal, placement)
    ended = d.end(
        placement, data["ended_on"], data["reason"], data["note"], today, clock.now(),
        caller.actor,
    )  # fmt: skip
    repo.save_ended(ended)
    if not repo.move_booking(ended.person_id, ended.placement_id, None):
        # Not this placement's hold (another batch or placement holds the person, or nobody):
        # left as it is, but said.
        log.warning(
            "placement %s ended but did not hold person %s: their booking is left as it is",
            ended.placement_id,
            ended.person_id,
        )
    state = placement_state(ended)
    write_events(uow, [placement_event("placement_ended", caller, state)])
    return state


# -- reads -----------------------------------------------------------------------------------


def get_placement(uow: UnitOfWork, principal: Principal, placement_id: str) -> dict:
    placement = _found(PlacementRepository(uow.connection), placement_id)
    check_reads(principal, placement)
    return placement_state(placement)


def _readable(uow: UnitOfWork, principal: Principal, hr_company: str | None, **filters) -> list:
    company = reading_company(principal)
    if company is not None and hr_company not in (None, company):
        raise _out_of_scope("HR company", hr_company=hr_company)
    return PlacementRepository(uow.connection).find(
        hr_company=company or hr_company, area=principal.area, **filters
    )


def list_placements(
    uow: UnitOfWork, principal: Principal, hr_company: str | None, status: str | None,
    batch_id: str | None, person_id: str | None,
) -> dict:  # fmt: skip
    """Placements the caller reads, soonest start first."""
    found = _readable(
        uow, principal, hr_company, status=status, batch_id=batch_id, person_id=person_id
    )
    found.sort(key=lambda p: (p.starts_on, p.placement_id))
    return {"placements": [placement_state(p) for p in found]}


def list_follow_ups(
    uow: UnitOfWork, principal: Principal, state: str | None, hr_company: str | None,
    today: date, grace_days: int,
) -> dict:  # fmt: skip
    """Follow-ups of active placements fallen due on `today` and not recorded, `due` (within
    the grace days) or `overdue` (past them), earliest due first."""
    found = []
    for p in _readable(uow, principal, hr_company, status=ACTIVE):
        recorded = {f.month for f in p.follow_ups}
        for month, due_on, status in outstanding(p.starts_on, recorded, today, grace_days):
            if state is None or status == state:
                found.append(_due_item(p, month, due_on, status))
    found.sort(key=lambda item: (item["due_on"], item["placement_id"], item["month"]))
    return {"as_of": today.isoformat(), "grace_days": grace_days, "follow_ups": found}


def _due_item(p: d.Placement, month: int, due_on: date, status: str) -> dict:
    return {
        "placement_id": p.placement_id, "hr_company": p.hr_company, "person_id": p.person_id,
        "name": p.name, "id_number_masked": p.id_number_masked, "village_code": p.village_code,
        "agent_id": p.agent_id, "employer_name": p.employer_name, "starts_on":
        p.starts_on.isoformat(), "month": month, "due_on": due_on.isoformat(), "state": status,
    }  # fmt: skip
