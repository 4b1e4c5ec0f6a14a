"""The county's rule versions (settlement.adapters.rule_tables): as rows for the RPCs and as
the domain's RewardRule / SubsidyRule for a period's run."""

from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from settlement.adapters.rule_tables import reward_rules, subsidy_rules
from settlement.domain.rules import RewardRule, SubsidyRule


class Rules:
    def __init__(self, connection: Connection):
        self.connection = connection

    # -- rows ---------------------------------------------------------------------------------

    def reward_rows(self) -> list:
        return self.connection.execute(
            select(reward_rules).order_by(
                reward_rules.c.village_code.is_not(None),
                reward_rules.c.village_code,
                reward_rules.c.effective_from,
                reward_rules.c.rule_id,
                reward_rules.c.version,
            )
        ).all()

    def subsidy_rows(self) -> list:
        return self.connection.execute(
            select(subsidy_rules).order_by(
                subsidy_rules.c.effective_from, subsidy_rules.c.rule_id, subsidy_rules.c.version
            )
        ).all()

    def latest_version(self, table, rule_id: str):
        """The rule's latest version row, or None."""
        return self.connection.execute(
            select(table)
            .where(table.c.rule_id == rule_id)
            .order_by(table.c.version.desc())
            .limit(1)
        ).first()

    def latest_reward_start(self, village_code: str | None, any_scope: bool = False):
        """The latest effective_from of the reward rules of one scope (a village, or
        county-wide when None; every scope with `any_scope`), or None."""
        query = select(func.max(reward_rules.c.effective_from))
        if not any_scope:
            query = query.where(
                reward_rules.c.village_code.is_(None)
                if village_code is None
                else reward_rules.c.village_code == village_code
            )
        return self.connection.execute(query).scalar()

    def latest_subsidy_start(self):
        return self.connection.execute(select(func.max(subsidy_rules.c.effective_from))).scalar()

    def add(self, table, values: dict):
        self.connection.execute(insert(table).values(**values))
        return self.connection.execute(
            select(table).where(
                table.c.rule_id == values["rule_id"], table.c.version == values["version"]
            )
        ).one()

    # -- the domain's rules -------------------------------------------------------------------

    def reward_rules(self) -> list[RewardRule]:
        return [
            RewardRule(
                rule_id=row.rule_id,
                version=row.version,
                effective_from=row.effective_from,
                village_code=row.village_code,
                per_labourer_fen=row.per_labourer_fen,
                after_months=row.after_months,
            )
            for row in self.reward_rows()
        ]

    def subsidy_rules(self) -> list[SubsidyRule]:
        return [
            SubsidyRule(
                rule_id=row.rule_id,
                version=row.version,
                effective_from=row.effective_from,
                payer_id=row.payer_id,
                payer_name=row.payer_name,
                per_head_fen=row.per_head_fen,
                qualifying_days=row.qualifying_days,
            )
            for row in self.subsidy_rows()
        ]
