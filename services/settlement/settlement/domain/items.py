"""What one placement has earned by a day: its items, each with a stable key, a due date, an
amount in fen and that amount split into parties.

- `rev:<placement>:once` — service revenue `per_placement_fen` once the placement has *lasted*
  `qualifying_days`: due on starts_on + qualifying_days days; earned if the placement has not
  ended, or ended at least that many days after it started ((ended_on - starts_on).days >=
  qualifying_days, i.e. ended_on >= due_on).
- `rev:<placement>:m<k>` (k = 1, 2, …) — `per_month_fen` for the k-th completed month: due on
  mark_k = starts_on + k calendar months (day clamped to the month's end, `periods.add_months`);
  earned if the placement has not ended or ended on or after mark_k; at most `max_months` months
  when that is above 0. It names the follow-up of month k when one was recorded.
- `sub:<placement>` — the county's per-head policy subsidy for a registered-poor labourer's
  placement that lasted the subsidy rule's `qualifying_days` (due as for `once`), claimed from the
  rule's payer and shared by the agreement's `subsidies["policy"]`: first between the cooperatives
  and the HR company, then the cooperatives' part among county, township and village.
- `rew:<placement>` — the agent's reward (`per_labourer_fen`) for a placement with an agent still
  at work `after_months` calendar months after it started: due on that mark, earned if the
  placement had not ended before it.

Which rules: an item's amount and shares are those of the version in force on its due date (the
agreement version with the highest `version` in effect; the latest reward/subsidy rule in
effect). The length of the qualifying wait itself (`qualifying_days`, `after_months`) is read
from the version in force on the day the placement started — the terms it started under say when
it qualifies — or, when it started before any version took effect, from the first version.

Only items due on or before `through` are produced. Parts of 0 fen are left out; the parts
always add up to the amount. A placement whose agreement settlement has never received
(`AGREEMENT_UNKNOWN`), or with an earned item on a day no agreement version is in force
(`NO_RULES_IN_FORCE`), is pending: no items at all, and the reason. A missing reward or subsidy
rule is not pending: there is simply nothing to claim.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from dispatch_contract.agreements import SHARE_PARTIES
from settlement.domain.periods import add_months
from settlement.domain.rules import (
    AgreementRules,
    RewardRule,
    SubsidyRule,
    agreement_in_force,
    reward_rule_for,
    subsidy_rule_for,
)
from settlement.domain.shares import split_bp

SERVICE_REVENUE = "service_revenue"
POLICY_SUBSIDY = "policy_subsidy"
AGENT_REWARD = "agent_reward"
KINDS = (SERVICE_REVENUE, POLICY_SUBSIDY, AGENT_REWARD)

# Every party an item's parts may name, in the fixed order rows are listed in.
PARTIES = (*SHARE_PARTIES, "hr_company", "agent")
SUBSIDY_SPLIT = ("cooperatives", "hr_company")

AGREEMENT_UNKNOWN = "AGREEMENT_UNKNOWN"
NO_RULES_IN_FORCE = "NO_RULES_IN_FORCE"


@dataclass(frozen=True, slots=True)
class Placement:
    placement_id: str
    version: int
    agreement_id: str
    hr_company: str
    person_id: str
    name: str
    id_number_masked: str
    village_code: str
    township_code: str
    agent_id: str | None
    poor: bool
    starts_on: date
    ended_on: date | None
    follow_up_months: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Item:
    key: str
    kind: str  # SERVICE_REVENUE | POLICY_SUBSIDY | AGENT_REWARD
    placement_id: str
    due_on: date
    amount_fen: int
    parts: dict[str, int]  # party -> fen (> 0), adding up to amount_fen
    agreement_id: str
    rule_id: str  # the agreement id, or the reward / subsidy rule's id
    rule_version: int
    follow_up_month: int | None
    counterparty_id: str  # hr_company, the subsidy's payer_id, or the agent's user id
    # The agreement version whose shares split it (revenue, subsidy); None for a reward.
    agreement_version: int | None = None


@dataclass(frozen=True, slots=True)
class Pending:
    placement_id: str
    reason: str  # AGREEMENT_UNKNOWN | NO_RULES_IN_FORCE (callers add NO_PAYEE, …)
    details: dict


class _NoRules(Exception):
    def __init__(self, on: date):
        self.on = on


@lru_cache(maxsize=4096)
def _split(amount_fen: int, shares: tuple[tuple[str, int], ...], order: tuple[str, ...]):
    return tuple(split_bp(amount_fen, dict(shares), order).items())


def _parts(amount_fen: int, shares: dict[str, int], order: tuple[str, ...]) -> dict[str, int]:
    """The non-zero parts of a largest-remainder split (cached: amounts and shares repeat)."""
    return {p: v for p, v in _split(amount_fen, tuple(shares.items()), order) if v}


def _basis(find: Callable[[date], object], candidates: Sequence, starts_on: date):
    """The rule the qualifying wait is read from: in force on the start date, else the first."""
    found = find(starts_on)
    if found is None and candidates:
        found = find(min(c.effective_from for c in candidates))
    return found


def _lasted(p: Placement, due_on: date) -> bool:
    return p.ended_on is None or p.ended_on >= due_on


def placement_items(
    p: Placement,
    agreements: Sequence[AgreementRules],
    rewards: Sequence[RewardRule],
    subsidies: Sequence[SubsidyRule],
    through: date,
) -> tuple[list[Item], list[Pending]]:
    """Every item `p` has earned with a due date on or before `through`, or no items and why it
    is pending. `agreements` may hold other agreements' versions too (only p's are used)."""
    versions = [v for v in agreements if v.agreement_id == p.agreement_id]
    if p.starts_on > through:
        return [], []
    if not versions:
        pending = Pending(p.placement_id, AGREEMENT_UNKNOWN, {"agreement_id": p.agreement_id})
        return [], [pending]

    def in_force(on: date) -> AgreementRules:
        found = agreement_in_force(versions, on)
        if found is None:
            raise _NoRules(on)
        return found

    try:
        items = _revenue_items(p, versions, in_force, through)
        items += _subsidy_items(p, subsidies, in_force, through)
    except _NoRules as missing:
        details = {"agreement_id": p.agreement_id, "on": missing.on.isoformat()}
        return [], [Pending(p.placement_id, NO_RULES_IN_FORCE, details)]
    items += _reward_items(p, rewards, through)
    return items, []


def _revenue_items(p: Placement, versions, in_force, through: date) -> list[Item]:
    items = []
    basis = _basis(lambda on: agreement_in_force(versions, on), versions, p.starts_on)
    due_on = p.starts_on + timedelta(days=basis.revenue.qualifying_days)
    if due_on <= through and _lasted(p, due_on):
        rules = in_force(due_on)
        if rules.revenue.per_placement_fen > 0:
            items.append(_revenue_item(p, f"rev:{p.placement_id}:once", due_on, rules, None))
    k = 1
    mark = add_months(p.starts_on, 1)
    while mark <= through and _lasted(p, mark):
        rules = in_force(mark)
        limit = rules.revenue.max_months
        if rules.revenue.per_month_fen > 0 and (limit == 0 or k <= limit):
            key = f"rev:{p.placement_id}:m{k}"
            items.append(_revenue_item(p, key, mark, rules, k))
        k += 1
        mark = add_months(p.starts_on, k)
    return items


def _revenue_item(p: Placement, key: str, due_on: date, rules: AgreementRules, month) -> Item:
    revenue = rules.revenue
    amount = revenue.per_placement_fen if month is None else revenue.per_month_fen
    return Item(
        key=key,
        kind=SERVICE_REVENUE,
        placement_id=p.placement_id,
        due_on=due_on,
        amount_fen=amount,
        parts=_parts(amount, revenue.shares_bp, SHARE_PARTIES),
        agreement_id=p.agreement_id,
        rule_id=rules.agreement_id,
        rule_version=rules.version,
        follow_up_month=month if month in p.follow_up_months else None,
        counterparty_id=rules.hr_company,
        agreement_version=rules.version,
    )


def subsidy_parts(amount_fen: int, rules: AgreementRules) -> dict[str, int]:
    """A policy subsidy's parts: cooperatives vs HR company, then the cooperatives' part among
    county, township and village (each split by largest remainder); zero parts left out."""
    share = rules.subsidies["policy"]
    first = {"cooperatives": share.cooperatives_bp, "hr_company": share.hr_company_bp}
    halves = dict(_split(amount_fen, tuple(first.items()), SUBSIDY_SPLIT))
    parts = _parts(halves["cooperatives"], share.cooperative_shares_bp, SHARE_PARTIES)
    if halves["hr_company"]:
        parts["hr_company"] = halves["hr_company"]
    return parts


def _subsidy_items(p: Placement, subsidies, in_force, through: date) -> list[Item]:
    if not p.poor or not subsidies:
        return []
    basis = _basis(lambda on: subsidy_rule_for(subsidies, on), subsidies, p.starts_on)
    due_on = p.starts_on + timedelta(days=basis.qualifying_days)
    if due_on > through or not _lasted(p, due_on):
        return []
    rule = subsidy_rule_for(subsidies, due_on)
    if rule is None or rule.per_head_fen <= 0:
        return []
    rules = in_force(due_on)
    item = Item(
        key=f"sub:{p.placement_id}",
        kind=POLICY_SUBSIDY,
        placement_id=p.placement_id,
        due_on=due_on,
        amount_fen=rule.per_head_fen,
        parts=subsidy_parts(rule.per_head_fen, rules),
        agreement_id=p.agreement_id,
        rule_id=rule.rule_id,
        rule_version=rule.version,
        follow_up_month=None,
        counterparty_id=rule.payer_id,
        agreement_version=rules.version,
    )
    return [item]


def _reward_items(p: Placement, rewards, through: date) -> list[Item]:
    if not p.agent_id or not rewards:
        return []
    mine = [r for r in rewards if r.village_code in (p.village_code, None)]
    basis = _basis(lambda on: reward_rule_for(mine, p.village_code, on), mine, p.starts_on)
    if basis is None:
        return []
    due_on = add_months(p.starts_on, basis.after_months)
    if due_on > through or not _lasted(p, due_on):
        return []
    rule = reward_rule_for(mine, p.village_code, due_on)
    if rule is None or rule.per_labourer_fen <= 0:
        return []
    item = Item(
        key=f"rew:{p.placement_id}",
        kind=AGENT_REWARD,
        placement_id=p.placement_id,
        due_on=due_on,
        amount_fen=rule.per_labourer_fen,
        parts={"agent": rule.per_labourer_fen},
        agreement_id=p.agreement_id,
        rule_id=rule.rule_id,
        rule_version=rule.version,
        follow_up_month=None,
        counterparty_id=p.agent_id,
    )
    return [item]
