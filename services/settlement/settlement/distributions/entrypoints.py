"""Distributions' entrypoints: the fund's news of the receivables settlement asked for and of
the distributions it asked for (by event), and what people read of them (`settlement.read`,
narrowed by `distributions.scope`) or ask again (`settlement.run`: the county cooperative)."""

from __future__ import annotations

from datetime import UTC, datetime

from nameko import config

from sanbao_common import clock
from sanbao_common.access import OutOfScope
from sanbao_common.messaging.consumer import consume
from sanbao_common.rpc import optional_argument, rpc, text_argument
from settlement.distributions import use_cases
from settlement.distributions.errors import DistributionNotFound
from settlement.distributions.repository import DistributionRepository
from settlement.distributions.scope import line_filter, sees_whole
from settlement.domain.periods import parse_period
from settlement.parts import SettlementPart
from settlement.villages.repository import VillageBooks


def read_distributions(connection, principal, period=None, statement_ref=None) -> list[dict]:
    """The distributions the caller sees, each with the lines they see."""
    repo = DistributionRepository(connection)
    found = repo.find(period, statement_ref)
    lines = repo.lines([row["distribution_id"] for row in found])
    payees = {line["payee_id"] for ls in lines.values() for line in ls}
    keep = line_filter(principal, VillageBooks(connection).divisions(payees))
    now = datetime.now(UTC)
    shown = []
    for row in found:
        seen = keep(row, lines[row["distribution_id"]])
        if seen or (not lines[row["distribution_id"]] and sees_whole(principal, row)):
            shown.append(use_cases.view(row, seen, now))
    return shown


class DistributionEntrypoints(SettlementPart):
    @rpc(permission="settlement.read")
    def list_distributions(self, period: str | None = None, statement_ref: str | None = None):
        """The distributions asked for (of a period, of a statement's receivable), each with its
        status (`requested`, `proposed`, `paid`, `rejected`, `refused`, `expired`) and lines."""
        period = None if period is None else parse_period(text_argument(period, "period", 7))
        statement_ref = optional_argument(statement_ref, "statement_ref", most=100)
        with self.db.reader() as uow:
            shown = read_distributions(uow.connection, self.access.principal, period, statement_ref)
        return {
            "distributions": shown,
            "total_fen": sum(d["amount_fen"] for d in shown),
            "paid_fen": sum(d["amount_fen"] for d in shown if d["status"] == "paid"),
        }

    @rpc(permission="settlement.read")
    def get_distribution(self, distribution_id: str) -> dict:
        distribution_id = text_argument(distribution_id, "distribution_id", 36)
        with self.db.reader() as uow:
            repo = DistributionRepository(uow.connection)
            row = repo.get(distribution_id)
            if row is None:
                raise DistributionNotFound(distribution_id=distribution_id)
            lines = repo.lines([distribution_id])[distribution_id]
            divisions = VillageBooks(uow.connection).divisions(x["payee_id"] for x in lines)
        seen = line_filter(self.access.principal, divisions)(row, lines)
        if not seen and (lines or not sees_whole(self.access.principal, row)):
            raise OutOfScope(distribution_id=distribution_id)
        return use_cases.view(row, seen, datetime.now(UTC))

    @rpc(permission="settlement.run")
    def request_distribution_again(self, distribution_id: str, idempotency_key: str) -> dict:
        """A refused, rejected or expired distribution asked of the fund again, on the caller's
        behalf (a county cooperative operator or a county administrator); publishes
        `distribution_requested` naming the proposal it replaces."""
        distribution_id = text_argument(distribution_id, "distribution_id", 36)
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            "request_distribution_again", idempotency_key, {"distribution_id": distribution_id},
            lambda uow: use_cases.request_again(
                uow, caller, principal, distribution_id, datetime.now(UTC)
            ),
        )  # fmt: skip

    # -- the fund's news ------------------------------------------------------------------------

    @consume("fund", "receivable_recorded")
    def handle_receivable_recorded(self, uow, events) -> None:
        use_cases.apply_receivable_events(uow, events, config["COUNTY"], datetime.now(UTC))

    @consume("fund", "receivable_matched")
    def handle_receivable_matched(self, uow, events) -> None:
        use_cases.apply_receivable_events(uow, events, config["COUNTY"], datetime.now(UTC))

    @consume("fund", "outflow_proposed")
    def handle_outflow_proposed(self, uow, events) -> None:
        use_cases.apply_fund_events(uow, events, datetime.now(UTC), clock.today())

    @consume("fund", "outflow_paid")
    def handle_outflow_paid(self, uow, events) -> None:
        use_cases.apply_fund_events(uow, events, datetime.now(UTC), clock.today())

    @consume("fund", "outflow_rejected")
    def handle_outflow_rejected(self, uow, events) -> None:
        use_cases.apply_fund_events(uow, events, datetime.now(UTC), clock.today())

    @consume("fund", "fund_request_refused")
    def handle_fund_request_refused(self, uow, events) -> None:
        use_cases.apply_fund_events(uow, events, datetime.now(UTC), clock.today())
