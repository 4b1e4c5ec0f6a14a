"""The village books' entrypoints: a village cooperative's operator records a use of its income
(`village_books.record`), another of them approves or rejects it (`village_books.approve`), and
the county, the bureaus' finance people, auditors and the cooperatives of the area read the
books (`village_books.read`). Income arrives by the fund's `outflow_paid` (distributions)."""

from __future__ import annotations

from sanbao_common import clock
from sanbao_common.rpc import load, rpc, text_argument
from settlement.domain.periods import parse_period
from settlement.parts import SettlementPart
from settlement.villages import use_cases
from settlement.villages.schemas import RejectSchema, UseSchema
from settlement.villages.statement import village_statement


class VillageEntrypoints(SettlementPart):
    def _village_command(self, method: str, key: str, request: dict, use_case, *args) -> dict:
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            method, key, request, lambda uow: use_case(uow, caller, principal, *args)
        )

    @rpc(permission="village_books.record")
    def record_village_use(self, use: dict, idempotency_key: str) -> dict:
        """A use of the caller's village cooperative's income (`use`: agent_rewards,
        public_works or working_costs; `amount` yuan text; `reference`; `note`, `agent_id`,
        `period` optional), pending another operator's approval."""
        data = load(UseSchema(), use)
        return self._village_command(
            "record_village_use", idempotency_key, use, use_cases.record_use, data,
            clock.now(), clock.today(),
        )  # fmt: skip

    @rpc(permission="village_books.approve")
    def approve_village_use(self, use_id: str, idempotency_key: str) -> dict:
        use_id = text_argument(use_id, "use_id", 36)
        return self._village_command(
            "approve_village_use", idempotency_key, {"use_id": use_id}, use_cases.approve_use,
            use_id, clock.now(), clock.today(),
        )  # fmt: skip

    @rpc(permission="village_books.approve")
    def reject_village_use(self, use_id: str, reason: str, idempotency_key: str) -> dict:
        request = {"use_id": use_id, "reason": reason}
        data = load(RejectSchema(), request)
        return self._village_command(
            "reject_village_use", idempotency_key, request, use_cases.reject_use, data,
            clock.now(),
        )  # fmt: skip

    @rpc(permission="village_books.read")
    def village_books(self, org_id: str, period: str | None = None) -> dict:
        org_id = text_argument(org_id, "org_id", 36)
        period = None if period is None else parse_period(text_argument(period, "period", 7))
        with self.db.reader() as uow:
            return village_statement(uow.connection, self.access.principal, org_id, period)
