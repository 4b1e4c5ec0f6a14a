"""The county's reward and subsidy rules: set by a county administrator (`settlement.rules`),
read by whoever reads settlement (`settlement.read`). Each set adds a version
(settlement.rules.use_cases); nothing is published: a period's run reads them."""

from __future__ import annotations

from sanbao_common import clock
from sanbao_common.rpc import load, rpc
from settlement.parts import SettlementPart
from settlement.rules import use_cases as rules
from settlement.rules.repository import Rules
from settlement.rules.schemas import (
    RewardRuleSchema,
    SubsidyRuleSchema,
    reward_view,
    subsidy_view,
)


class RuleEntrypoints(SettlementPart):
    @rpc(permission="settlement.rules")
    def set_reward_rule(self, rule: dict, idempotency_key: str) -> dict:
        """A new agents' reward rule, or (`rule_id` given) its next version: `village_code` (12
        digits of this county, or null: county-wide), `per_labourer` (yuan), `after_months`
        (1 to 24), `effective_from`. Replies the version kept."""
        data, caller = load(RewardRuleSchema(), rule), self.context.caller()
        today = clock.today()
        return self._command(
            "set_reward_rule",
            idempotency_key,
            rule,
            lambda uow: rules.set_reward_rule(uow, caller, data, today),
        )

    @rpc(permission="settlement.rules")
    def set_subsidy_rule(self, rule: dict, idempotency_key: str) -> dict:
        """A new policy subsidy rule, or (`rule_id` given) its next version: `payer_id` and
        `payer_name` (the paying body), `per_head` (yuan per registered-poor labourer placed),
        `qualifying_days` (0 to 3660), `effective_from`. Replies the version kept."""
        data, caller = load(SubsidyRuleSchema(), rule), self.context.caller()
        today = clock.today()
        return self._command(
            "set_subsidy_rule",
            idempotency_key,
            rule,
            lambda uow: rules.set_subsidy_rule(uow, caller, data, today),
        )

    @rpc(permission="settlement.read")
    def list_reward_rules(self) -> dict:
        """Every version of every reward rule: county-wide first, then by village, each scope
        by effective date."""
        with self.db.reader() as uow:
            return {"rules": [reward_view(row) for row in Rules(uow.connection).reward_rows()]}

    @rpc(permission="settlement.read")
    def list_subsidy_rules(self) -> dict:
        """Every version of every subsidy rule, by effective date."""
        with self.db.reader() as uow:
            return {"rules": [subsidy_view(row) for row in Rules(uow.connection).subsidy_rows()]}
