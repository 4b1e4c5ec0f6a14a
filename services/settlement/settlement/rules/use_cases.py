"""Setting the county's rules: each call adds one version, never edits one. A new version of a
rule (its `rule_id` given) keeps the rule's scope; every rule of one scope (a village's reward
rules, the county-wide reward rules, the subsidy rules) lies on one timeline: a later one takes
effect after the latest one there. No rule takes effect inside a closed month: every rule, the
county's very first ones too, takes effect on or after the day after the last closed period, so
a change never rewrites how a closed month was settled (it brings no adjustment for it either).
Beyond that, only the county's very first reward rule and its very first subsidy rule may take
effect on a past day (a county starting settlement after dispatch has run, before any period is
closed); every other rule or version (a village's first own rule too) takes effect after its
scope's latest and not before today."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from settlement.adapters.rule_tables import reward_rules, subsidy_rules
from settlement.domain.periods import last_day
from settlement.periods.repository import PeriodRepository
from settlement.rules.errors import RuleNotFound, rejected
from settlement.rules.repository import Rules
from settlement.rules.schemas import reward_view, subsidy_view


def _open_from(uow: UnitOfWork) -> date | None:
    """The first day after the last closed period, or None when none is closed."""
    last = PeriodRepository(uow.connection).last_closed()
    return None if last is None else last_day(last) + timedelta(days=1)


def _check_timeline(
    effective_from: date,
    latest: date | None,
    today: date,
    first_of_county: bool,
    open_from: date | None,
) -> None:
    """`latest`: the latest effective_from of the rule's scope; `first_of_county`: no rule of
    its kind (reward, subsidy) exists yet in the county."""
    if open_from is not None and effective_from < open_from:
        raise _in_closed_period(open_from)
    if first_of_county:
        return
    if latest is not None and effective_from <= latest:
        raise rejected(
            "effective_from",
            f"takes effect after the latest rule of its scope, which took effect {latest}",
            f"须晚于同一范围内最新规则的生效日 {latest}",
        )
    if effective_from < today:
        raise rejected(
            "effective_from",
            f"a rule cannot take effect in the past (today is {today})",
            f"规则不得追溯既往（今天是 {today}）",
        )


def _in_closed_period(open_from: date):
    return rejected(
        "effective_from",
        f"a rule cannot take effect in a closed period (open from {open_from})",
        f"规则不得在已结账的月份生效（{open_from} 起方可）",
    )


def _identity(rules: Rules, table, rule_id: str | None) -> tuple[str, int, object]:
    """(rule id, version, the previous version's row or None)."""
    if rule_id is None:
        return str(uuid.uuid4()), 1, None
    previous = rules.latest_version(table, rule_id)
    if previous is None:
        raise RuleNotFound(rule_id=rule_id)
    return rule_id, previous.version + 1, previous


def check_village(village_code: str | None, county: str) -> None:
    if village_code is not None and not village_code.startswith(county):
        raise rejected(
            "village_code",
            f"is not a village of county {county}",
            f"不是本县（{county}）的村",
        )


def set_reward_rule(uow: UnitOfWork, caller: Caller, data: dict, today: date) -> dict:
    check_village(data["village_code"], caller.county)
    rules = Rules(uow.connection)
    rule_id, version, previous = _identity(rules, reward_rules, data["rule_id"])
    if previous is not None and previous.village_code != data["village_code"]:
        raise rejected(
            "village_code",
            f"a rule keeps its scope: this one's is {previous.village_code or 'county-wide'}",
            f"规则的适用范围不可更改：本规则为 {previous.village_code or '全县'}",
        )
    _check_timeline(
        data["effective_from"],
        rules.latest_reward_start(data["village_code"]),
        today,
        first_of_county=rules.latest_reward_start(None, any_scope=True) is None,
        open_from=_open_from(uow),
    )
    row = rules.add(
        reward_rules,
        {
            "rule_id": rule_id,
            "version": version,
            "effective_from": data["effective_from"],
            "village_code": data["village_code"],
            "per_labourer_fen": data["per_labourer"],
            "after_months": data["after_months"],
            "created_at": datetime.now(UTC),
            "created_by": caller.actor,
        },
    )
    return reward_view(row)


def set_subsidy_rule(uow: UnitOfWork, caller: Caller, data: dict, today: date) -> dict:
    rules = Rules(uow.connection)
    rule_id, version, _ = _identity(rules, subsidy_rules, data["rule_id"])
    latest = rules.latest_subsidy_start()
    _check_timeline(
        data["effective_from"],
        latest,
        today,
        first_of_county=latest is None,
        open_from=_open_from(uow),
    )
    row = rules.add(
        subsidy_rules,
        {
            "rule_id": rule_id,
            "version": version,
            "effective_from": data["effective_from"],
            "payer_id": data["payer_id"],
            "payer_name": data["payer_name"],
            "per_head_fen": data["per_head"],
            "qualifying_days": data["qualifying_days"],
            "created_at": datetime.now(UTC),
            "created_by": caller.actor,
        },
    )
    return subsidy_view(row)
