"""Periods' and statements' entrypoints: the county cooperative runs and closes a month and
resolves disputes (`settlement.run`); the HR company acknowledges its statement
(`settlement.acknowledge`); everyone concerned reads within their scope (`settlement.read`).
Business dates come from the kit's clock."""

from __future__ import annotations

from sanbao_common import clock
from sanbao_common.rpc import load, optional_argument, rpc, text_argument
from settlement.domain.periods import parse_period
from settlement.parts import SettlementPart
from settlement.periods import asking, parties, reads, statements
from settlement.periods import use_cases as periods
from settlement.periods.schemas import AcknowledgeSchema, ResolveSchema

STATEMENT_KINDS = ("service_revenue", "policy_subsidy")


def _period(value) -> str:
    return parse_period(text_argument(value, "period", most=20))


class PeriodEntrypoints(SettlementPart):
    @rpc(permission="settlement.run")
    def run_period(self, period: str, idempotency_key: str) -> dict:
        """The open period's lines computed (again); nothing published. Replies its summary."""
        period, caller = _period(period), self.context.caller()
        principal, today = self.access.principal, clock.today()
        return self._command(
            "run_period",
            idempotency_key,
            {"period": period},
            lambda uow: periods.run_period(uow, caller, principal, period, today),
        )

    @rpc(permission="settlement.run")
    def close_period(self, period: str, idempotency_key: str) -> dict:
        """Run once more and closed: statements issued; `period_settled`, `agent_reward_due`,
        `subsidy_claimed` and the subsidies' `receivable_requested` published."""
        period, caller = _period(period), self.context.caller()
        principal, today = self.access.principal, clock.today()
        return self._command(
            "close_period",
            idempotency_key,
            {"period": period},
            lambda uow: periods.close_period(uow, caller, principal, period, today),
        )

    @rpc(permission="settlement.acknowledge")
    def acknowledge_statement(
        self, statement_id: str, disputes: list | None, idempotency_key: str
    ) -> dict:
        """The HR company's acknowledgement, disputing placements' lines with a reason; the
        acknowledged amount's `receivable_requested`, once."""
        request = {"statement_id": statement_id, "disputes": disputes or []}
        data, caller = load(AcknowledgeSchema(), request), self.context.caller()
        principal = self.access.principal
        return self._command(
            "acknowledge_statement",
            idempotency_key,
            request,
            lambda uow: statements.acknowledge_statement(uow, caller, principal, data),
        )

    @rpc(permission="settlement.run")
    def resolve_dispute(
        self, statement_id: str, dispute_no: int, outcome: str, note: str | None,
        idempotency_key: str,
    ) -> dict:  # fmt: skip
        """A dispute found `owed` (its own `receivable_requested`) or `waived`."""
        request = {"statement_id": statement_id, "dispute_no": dispute_no, "outcome": outcome,
                   "note": note}  # fmt: skip
        data, caller = load(ResolveSchema(), request), self.context.caller()
        principal = self.access.principal
        return self._command(
            "resolve_dispute",
            idempotency_key,
            request,
            lambda uow: statements.resolve_dispute(uow, caller, principal, data),
        )

    @rpc(permission="settlement.run")
    def request_receivable_again(self, statement_ref: str, idempotency_key: str) -> dict:
        """A receivable the fund refused (`statement_ref`: a statement id or `<id>:d<n>`)
        asked for again: the same `receivable_requested` once more, the receivable `requested`."""
        statement_ref = text_argument(statement_ref, "statement_ref", most=60)
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            "request_receivable_again",
            idempotency_key,
            {"statement_ref": statement_ref},
            lambda uow: asking.request_receivable_again(uow, caller, principal, statement_ref),
        )

    @rpc(permission="settlement.read")
    def get_period(self, period: str) -> dict:
        period = _period(period)
        with self.db.reader() as uow:
            return reads.period_summary(uow.connection, self.access.principal, period)

    @rpc(permission="settlement.read")
    def list_periods(self) -> dict:
        with self.db.reader() as uow:
            return reads.list_periods(uow.connection, self.access.principal)

    @rpc(permission="settlement.read")
    def get_statement(self, statement_id: str) -> dict:
        statement_id = text_argument(statement_id, "statement_id", most=36)
        with self.db.reader() as uow:
            return reads.get_statement(uow.connection, self.access.principal, statement_id)

    @rpc(permission="settlement.read")
    def list_statements(self, period: str | None = None, kind: str | None = None) -> dict:
        period = None if period is None else _period(period)
        kind = optional_argument(kind, "kind", STATEMENT_KINDS)
        with self.db.reader() as uow:
            return reads.list_statements(uow.connection, self.access.principal, period, kind)

    @rpc(permission="settlement.read")
    def party_statement(self, period: str, party: str, party_id: str) -> dict:
        """One party's lines of the period: `hr_company`, `cooperative`, `agent`, `labourer`."""
        period = _period(period)
        party = text_argument(party, "party", most=20, allowed=parties.PARTIES)
        party_id = text_argument(party_id, "party_id", most=36)
        with self.db.reader() as uow:
            return parties.party_statement(
                uow.connection, self.access.principal, period, party, party_id
            )
