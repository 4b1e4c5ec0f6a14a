"""Storage of employers, service stations and job orders inside a unit of work's connection."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from dispatch.adapters.order_tables import employers, job_orders, service_stations
from dispatch.orders.domain import Employer, JobOrder, ServiceStation
from dispatch.orders.errors import EmployerExists, OrderNotOpen, StationExists


def _aware(row) -> dict:
    """A row's values, its times in UTC (SQLite gives them back without their offset)."""
    data = dict(row._mapping)
    for name, value in data.items():
        if isinstance(value, datetime) and value.tzinfo is None:
            data[name] = value.replace(tzinfo=UTC)
    return data


def _employer(row) -> Employer:
    return Employer(**_aware(row))


def _station(row) -> ServiceStation:
    return ServiceStation(**_aware(row))


def _order(row) -> JobOrder:
    data = _aware(row)
    data["skills"] = tuple(data["skills"] or ())
    return JobOrder(**data)


class OrderRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    # -- employers ---------------------------------------------------------------------------

    def add_employer(self, employer: Employer) -> None:
        """Stored, or EmployerExists when its credit code was taken, even by a concurrent
        call (the unique key decides; this transaction then rolls back)."""
        existing = self.employer_by_credit_code(employer.credit_code)
        if existing is not None:
            raise EmployerExists(employer_id=existing.employer_id, name=existing.name)
        try:
            self.connection.execute(insert(employers), [asdict(employer)])
        except IntegrityError:
            raise EmployerExists(credit_code=employer.credit_code) from None

    def employer(self, employer_id: str) -> Employer | None:
        row = self.connection.execute(
            select(employers).where(employers.c.employer_id == employer_id)
        ).first()
        return _employer(row) if row is not None else None

    def employer_by_credit_code(self, credit_code: str) -> Employer | None:
        row = self.connection.execute(
            select(employers).where(employers.c.credit_code == credit_code)
        ).first()
        return _employer(row) if row is not None else None

    def employers(self, industry: str | None = None, place_scope: str | None = None) -> list:
        query = select(employers).order_by(employers.c.name, employers.c.employer_id)
        if industry is not None:
            query = query.where(employers.c.industry == industry)
        if place_scope is not None:
            query = query.where(employers.c.place_scope == place_scope)
        return [_employer(row) for row in self.connection.execute(query)]

    def employer_names(self, employer_ids: set[str]) -> dict[str, str]:
        if not employer_ids:
            return {}
        rows = self.connection.execute(
            select(employers.c.employer_id, employers.c.name).where(
                employers.c.employer_id.in_(employer_ids)
            )
        )
        return {row.employer_id: row.name for row in rows}

    # -- service stations --------------------------------------------------------------------

    def add_station(self, station: ServiceStation) -> None:
        """Stored, or StationExists when its HR company has a station of that name."""
        found = self.connection.execute(
            select(service_stations.c.station_id).where(
                service_stations.c.hr_company == station.hr_company,
                service_stations.c.name == station.name,
            )
        ).first()
        if found is not None:
            raise StationExists(station_id=found.station_id)
        try:
            self.connection.execute(insert(service_stations), [asdict(station)])
        except IntegrityError:
            raise StationExists(name=station.name) from None

    def station(self, station_id: str) -> ServiceStation | None:
        row = self.connection.execute(
            select(service_stations).where(service_stations.c.station_id == station_id)
        ).first()
        return _station(row) if row is not None else None

    def stations(self, hr_company: str | None = None) -> list[ServiceStation]:
        query = select(service_stations).order_by(
            service_stations.c.hr_company, service_stations.c.name
        )
        if hr_company is not None:
            query = query.where(service_stations.c.hr_company == hr_company)
        return [_station(row) for row in self.connection.execute(query)]

    # -- job orders --------------------------------------------------------------------------

    def add_order(self, order: JobOrder) -> None:
        row = asdict(order)
        row["skills"] = list(order.skills)
        self.connection.execute(insert(job_orders), [row])

    def order(self, order_id: str) -> JobOrder | None:
        row = self.connection.execute(
            select(job_orders).where(job_orders.c.order_id == order_id)
        ).first()
        return _order(row) if row is not None else None

    def save_ended(self, order: JobOrder) -> None:
        """The order's end, only over the version it was read at: of two concurrent ends,
        the second finds the order ended and is refused."""
        changed = self.connection.execute(
            update(job_orders)
            .where(
                job_orders.c.order_id == order.order_id,
                job_orders.c.version == order.version - 1,
            )
            .values(
                status=order.status,
                reason=order.reason,
                version=order.version,
                closed_at=order.closed_at,
                closed_by=order.closed_by,
            )
        ).rowcount
        if changed != 1:
            raise OrderNotOpen(order_id=order.order_id)

    def orders(
        self,
        status: str | None = None,
        agreement_id: str | None = None,
        hr_company: str | None = None,
        after: str | None = None,
        limit: int | None = None,
        statuses: tuple[str, ...] | None = None,
    ) -> list[JobOrder]:
        """Orders by id (`after` one, at most `limit`: pages for a resync)."""
        query = select(job_orders).order_by(job_orders.c.order_id)
        if status is not None:
            query = query.where(job_orders.c.status == status)
        if statuses is not None:
            query = query.where(job_orders.c.status.in_(statuses))
        if agreement_id is not None:
            query = query.where(job_orders.c.agreement_id == agreement_id)
        if hr_company is not None:
            query = query.where(job_orders.c.hr_company == hr_company)
        if after is not None:
            query = query.where(job_orders.c.order_id > after)
        if limit is not None:
            query = query.limit(limit)
        return [_order(row) for row in self.connection.execute(query)]
