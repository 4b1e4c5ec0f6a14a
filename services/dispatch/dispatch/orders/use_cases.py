"""Employers', service stations' and job orders' use cases, each inside the unit of work it is
given (the entrypoint's command commits). Every check runs before anything is written, so a
refused request leaves nothing behind.

Who acts for which HR company: a county administrator for any; anyone else (an HR company's
operator) only for their own organisation: its stations, orders under its agreements. An HR
company's people read only its own orders (its employers' wages are its business); everyone else
reads all of them, and employers and stations are the county's directory, read by all."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select

from dispatch.adapters.agreement_tables import agreements
from dispatch.agreements.queries import agreement_for_orders
from dispatch.orders import domain as d
from dispatch.orders.errors import (
    AgreementNotFound,
    EmployerNotFound,
    HrCompanyUnknown,
    OrderNotFound,
    StationNotFound,
)
from dispatch.orders.events import order_event
from dispatch.orders.repository import OrderRepository
from dispatch.orders.schemas import employer_state, order_state, station_state
from dispatch.vocabulary.queries import known_codes
from dispatch_contract.vocabularies import ORDER_OPEN
from registry_contract.industries_and_skills import INDUSTRY, SKILL
from sanbao_common import clock
from sanbao_common.access import COUNTY_ADMIN, OutOfScope, Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events

HR_COMPANY = "hr_company"  # the organisation kind whose people are HR operators


def county_today() -> date:
    """The county's business date (the kit's clock, which tests and workloads move)."""
    return clock.today()


def acting_company(principal: Principal) -> str | None:
    """The one HR company the caller acts for, or None for a county administrator (any)."""
    return None if COUNTY_ADMIN in principal.roles else principal.organisation_id


def reading_company(principal: Principal) -> str | None:
    """The one HR company whose orders the caller reads: their own, for an HR company's
    people; None (all) for everyone else."""
    return principal.organisation_id if principal.organisation_kind == HR_COMPANY else None


def _check_company(principal: Principal, hr_company: str, reading: bool = False) -> None:
    company = reading_company(principal) if reading else acting_company(principal)
    if company is not None and company != hr_company:
        raise OutOfScope(
            message_en="this belongs to another HR company",
            message_zh="此记录属于其他人力资源公司",
            hr_company=hr_company,
        )


def _vocabulary(uow: UnitOfWork, kind: str) -> dict:
    return known_codes(uow.connection, kind, include_retired=True)


# -- employers -----------------------------------------------------------------------------


def register_employer(uow: UnitOfWork, caller: Caller, principal: Principal, data: dict) -> dict:
    """A new employer (`EmployerSchema`, loaded); one per credit code."""
    (industry,) = d.resolve_codes(INDUSTRY, [data["industry"]], _vocabulary(uow, INDUSTRY))
    employer = d.Employer(
        employer_id=str(uuid.uuid4()),
        name=data["name"],
        credit_code=data["credit_code"],
        place_scope=data["place_scope"],
        place=data["place"],
        industry=industry,
        registered_by_org=principal.organisation_id,
        version=1,
        registered_at=datetime.now(UTC),
        registered_by=caller.actor,
    )
    OrderRepository(uow.connection).add_employer(employer)
    return employer_state(employer)


def list_employers(uow: UnitOfWork, industry: str | None, place_scope: str | None) -> dict:
    found = OrderRepository(uow.connection).employers(industry, place_scope)
    return {"employers": [employer_state(e) for e in found]}


# -- service stations ----------------------------------------------------------------------


def _known_hr_company(uow: UnitOfWork, org_id: str) -> bool:
    """An HR company the county has an agreement with (drafted or sealed): dispatch knows an
    organisation's kind only from the agreements its seals were checked for."""
    return (
        uow.connection.execute(
            select(agreements.c.agreement_id).where(agreements.c.hr_company == org_id).limit(1)
        ).first()
        is not None
    )


def register_station(uow: UnitOfWork, caller: Caller, principal: Principal, data: dict) -> dict:
    """A service station (`StationSchema`, loaded) of the caller's HR company, or of the one a
    county administrator names."""
    hr_company = data["hr_company"] or acting_company(principal)
    if hr_company is None:
        raise HrCompanyUnknown(
            message_en="name the HR company (hr_company) the station belongs to",
            message_zh="请指明服务站所属的人力资源公司（hr_company）",
        )
    _check_company(principal, hr_company)
    if not _known_hr_company(uow, hr_company):
        raise HrCompanyUnknown(hr_company=hr_company)
    station = d.ServiceStation(
        station_id=str(uuid.uuid4()),
        hr_company=hr_company,
        name=data["name"],
        place_scope=data["place_scope"],
        place=data["place"],
        version=1,
        registered_at=datetime.now(UTC),
        registered_by=caller.actor,
    )
    OrderRepository(uow.connection).add_station(station)
    return station_state(station)


def list_stations(uow: UnitOfWork, hr_company: str | None) -> dict:
    found = OrderRepository(uow.connection).stations(hr_company)
    return {"stations": [station_state(s) for s in found]}


# -- job orders ----------------------------------------------------------------------------


def open_order(
    uow: UnitOfWork, caller: Caller, principal: Principal, data: dict, today: date
) -> dict:
    """A job order (`OrderSchema`, loaded) under a sealed agreement; `job_order_opened`."""
    agreement = agreement_for_orders(uow.connection, data["agreement_id"], data["starts_on"])
    if agreement is None:
        raise AgreementNotFound(agreement_id=data["agreement_id"])
    _check_company(principal, agreement["hr_company"])
    d.check_agreement_open(agreement, today)
    repo = OrderRepository(uow.connection)
    employer = repo.employer(data["employer_id"])
    if employer is None:
        raise EmployerNotFound(employer_id=data["employer_id"])
    if data["station_id"] is not None:
        station = repo.station(data["station_id"])
        if station is None or station.hr_company != agreement["hr_company"]:
            raise StationNotFound(station_id=data["station_id"])
    (industry,) = d.resolve_codes(
        INDUSTRY, [data["industry"] or employer.industry], _vocabulary(uow, INDUSTRY)
    )
    order = d.JobOrder(
        order_id=str(uuid.uuid4()),
        agreement_id=agreement["agreement_id"],
        hr_company=agreement["hr_company"],
        employer_id=employer.employer_id,
        station_id=data["station_id"],
        title=data["title"],
        positions=data["positions"],
        head_count=data["head_count"],
        wage_min_fen=data["wage_min"],
        wage_max_fen=data["wage_max"],
        place_scope=data["place_scope"] or employer.place_scope,
        place=data["place"] or employer.place,
        industry=industry,
        skills=tuple(d.resolve_codes(SKILL, data["skills"], _vocabulary(uow, SKILL))),
        age_min=data["age_min"],
        age_max=data["age_max"],
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        status=ORDER_OPEN,
        reason=None,
        version=1,
        opened_at=datetime.now(UTC),
        opened_by=caller.actor,
    )
    d.check_order(order, agreement, today)
    repo.add_order(order)
    state = order_state(order, employer.name)
    write_events(uow, [order_event("job_order_opened", caller, state)])
    return state


def _found(repo: OrderRepository, order_id: str) -> d.JobOrder:
    order = repo.order(order_id)
    if order is None:
        raise OrderNotFound(order_id=order_id)
    return order


def close_order(uow: UnitOfWork, caller: Caller, principal: Principal, data: dict) -> dict:
    """An open order ends as `outcome` (`CloseSchema`, loaded); `job_order_closed`."""
    repo = OrderRepository(uow.connection)
    order = _found(repo, data["order_id"])
    _check_company(principal, order.hr_company)
    ended = d.end_order(order, data["outcome"], data["reason"], datetime.now(UTC), caller.actor)
    repo.save_ended(ended)
    state = order_state(ended, repo.employer_names({order.employer_id})[order.employer_id])
    write_events(uow, [order_event("job_order_closed", caller, state)])
    return state


def get_order(uow: UnitOfWork, principal: Principal, order_id: str) -> dict:
    repo = OrderRepository(uow.connection)
    order = _found(repo, order_id)
    _check_company(principal, order.hr_company, reading=True)
    return order_state(order, repo.employer_names({order.employer_id})[order.employer_id])


def list_orders(
    uow: UnitOfWork, principal: Principal, status: str | None, agreement_id: str | None
) -> dict:
    """Orders (of the caller's HR company only, for its people), soonest start first."""
    repo = OrderRepository(uow.connection)
    found = repo.orders(status, agreement_id, reading_company(principal))
    found.sort(key=lambda order: (order.starts_on, order.order_id))
    names = repo.employer_names({order.employer_id for order in found})
    return {"orders": [order_state(order, names[order.employer_id]) for order in found]}
