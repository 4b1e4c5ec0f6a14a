"""Employers', service stations' and job orders' entrypoints: HR companies' people register
employers and their own stations and open and end orders under their own agreements
(`employers.manage`, `orders.manage`; a county administrator for any company); everyone reads
(`orders.read`: an HR company's people only their own company's orders)."""

from __future__ import annotations

from dispatch.orders import use_cases as orders
from dispatch.orders.schemas import CloseSchema, EmployerSchema, OrderSchema, StationSchema
from dispatch.parts import DispatchPart
from dispatch_contract.vocabularies import ORDER_ENDINGS, ORDER_OPEN, PLACE_SCOPES
from sanbao_common.errors import InvalidInput
from sanbao_common.rpc import load, optional_argument, rpc


class OrderEntrypoints(DispatchPart):
    @rpc(permission="employers.manage")
    def register_employer(self, employer: dict, idempotency_key: str) -> dict:
        """An employer: name, credit code, place scope and place, industry."""
        data, caller = load(EmployerSchema(), employer), self.context.caller()
        principal = self.access.principal
        return self._command(
            "register_employer",
            idempotency_key,
            employer,
            lambda uow: orders.register_employer(uow, caller, principal, data),
        )

    @rpc(permission="orders.read")
    def list_employers(self, industry: str | None = None, place_scope: str | None = None) -> dict:
        industry = optional_argument(industry, "industry", most=32)
        place_scope = optional_argument(place_scope, "place_scope", PLACE_SCOPES)
        with self.db.reader() as uow:
            return orders.list_employers(uow, industry, place_scope)

    @rpc(permission="employers.manage")
    def register_service_station(self, station: dict, idempotency_key: str) -> dict:
        """A service station (农民工服务站) of the caller's HR company (or, for a county
        administrator, of the HR company `station["hr_company"]` names)."""
        data, caller = load(StationSchema(), station), self.context.caller()
        principal = self.access.principal
        return self._command(
            "register_service_station",
            idempotency_key,
            station,
            lambda uow: orders.register_station(uow, caller, principal, data),
        )

    @rpc(permission="orders.read")
    def list_service_stations(self, hr_company: str | None = None) -> dict:
        hr_company = optional_argument(hr_company, "hr_company")
        with self.db.reader() as uow:
            return orders.list_stations(uow, hr_company)

    @rpc(permission="orders.manage")
    def open_job_order(self, order: dict, idempotency_key: str) -> dict:
        """A job order under a sealed agreement; publishes `job_order_opened`."""
        data, caller = load(OrderSchema(), order), self.context.caller()
        principal, today = self.access.principal, orders.county_today()
        return self._command(
            "open_job_order",
            idempotency_key,
            order,
            lambda uow: orders.open_order(uow, caller, principal, data, today),
        )

    @rpc(permission="orders.manage")
    def close_job_order(
        self, order_id: str, outcome: str, reason: str | None, idempotency_key: str
    ) -> dict:
        """An open order ends: `filled`, `closed` or `cancelled` (with a reason); publishes
        `job_order_closed`."""
        request = {"order_id": order_id, "outcome": outcome, "reason": reason}
        data, caller = load(CloseSchema(), request), self.context.caller()
        principal = self.access.principal
        return self._command(
            "close_job_order",
            idempotency_key,
            request,
            lambda uow: orders.close_order(uow, caller, principal, data),
        )

    @rpc(permission="orders.read")
    def get_job_order(self, order_id: str) -> dict:
        order_id = optional_argument(order_id, "order_id")
        if order_id is None:
            raise InvalidInput({"order_id": ["required"]})
        with self.db.reader() as uow:
            return orders.get_order(uow, self.access.principal, order_id)

    @rpc(permission="orders.read")
    def list_job_orders(self, status: str | None = None, agreement_id: str | None = None) -> dict:
        status = optional_argument(status, "status", (ORDER_OPEN, *ORDER_ENDINGS))
        agreement_id = optional_argument(agreement_id, "agreement_id")
        with self.db.reader() as uow:
            return orders.list_orders(uow, self.access.principal, status, agreement_id)
