"""The rules an item is computed by, and which version of them is in force on a day.

- Service revenue and subsidy sharing come from the agreement versions dispatch sealed
  (`agreement_version_sealed`: the terms, never re-entered here). `rules_from_terms` reads one
  version's terms; `agreement_in_force` picks, among an agreement's versions, the one with the
  highest `version` whose `effective_from` is on or before the day.
- Agents' rewards are the county's policy, optionally per village: `reward_rule_for` prefers a
  rule for the placement's own village in force on the day, else the county-wide one
  (`village_code` None). Subsidy claims follow the county's subsidy rule (`subsidy_rule_for`).
  Both are versioned with effective dates; the latest `effective_from` on or before the day
  wins (then the highest version), so re-running a past period finds the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from dispatch_contract.agreements import SHARE_PARTIES, SUBSIDY_KINDS, WHOLE_BP
from sanbao_common.errors import DomainError


class MalformedTerms(DomainError):
    code = "MALFORMED_TERMS"
    message_en = "the sealed agreement terms lack a field settlement needs, or it is not valid"
    message_zh = "协议条款缺少结算所需字段或字段不合法"


@dataclass(frozen=True)
class Revenue:
    """Service revenue the HR company owes per placement (fen), shared by `shares_bp`."""

    per_placement_fen: int
    qualifying_days: int
    per_month_fen: int
    max_months: int  # 0: no limit
    shares_bp: dict[str, int]


@dataclass(frozen=True)
class SubsidyShare:
    """How a subsidy received is shared: cooperatives vs HR company, then among cooperatives."""

    cooperatives_bp: int
    hr_company_bp: int
    cooperative_shares_bp: dict[str, int]


@dataclass(frozen=True)
class AgreementRules:
    agreement_id: str
    version: int
    effective_from: date
    county_cooperative: str
    hr_company: str
    revenue: Revenue
    subsidies: dict[str, SubsidyShare]


@dataclass(frozen=True)
class RewardRule:
    """The county's (village_code None) or one village's agent reward: `per_labourer_fen` for
    each labourer an agent mobilised still at work `after_months` months after starting."""

    rule_id: str
    version: int
    effective_from: date
    village_code: str | None
    per_labourer_fen: int
    after_months: int


@dataclass(frozen=True)
class SubsidyRule:
    """The county's per-head subsidy for organising a registered-poor labourer's move, paid by
    `payer_id` (e.g. the human-resources bureau) once the placement lasted `qualifying_days`."""

    rule_id: str
    version: int
    effective_from: date
    payer_id: str
    payer_name: str
    per_head_fen: int
    qualifying_days: int


def _field(data: Mapping, name: str, where: str):
    if not isinstance(data, Mapping) or name not in data:
        raise MalformedTerms(field=f"{where}{name}", problem="missing")
    return data[name]


def _count(data: Mapping, name: str, where: str = "") -> int:
    value = _field(data, name, where)
    if type(value) is not int or value < 0:
        raise MalformedTerms(field=f"{where}{name}", problem="not a non-negative integer")
    return value


def _text(data: Mapping, name: str) -> str:
    value = _field(data, name, "")
    if not isinstance(value, str) or not value:
        raise MalformedTerms(field=name, problem="not a text")
    return value


def _shares(data: Mapping, name: str, where: str) -> dict[str, int]:
    shares = _field(data, name, where)
    if not isinstance(shares, Mapping) or set(shares) != set(SHARE_PARTIES):
        raise MalformedTerms(field=f"{where}{name}", problem=f"not shares of {SHARE_PARTIES}")
    result = {party: _count(shares, party, f"{where}{name}.") for party in SHARE_PARTIES}
    if sum(result.values()) != WHOLE_BP:
        raise MalformedTerms(field=f"{where}{name}", problem=f"does not add up to {WHOLE_BP}")
    return result


def _revenue(data: Mapping) -> Revenue:
    revenue = _field(data, "revenue", "")
    where = "revenue."
    return Revenue(
        per_placement_fen=_count(revenue, "per_placement_fen", where),
        qualifying_days=_count(revenue, "qualifying_days", where),
        per_month_fen=_count(revenue, "per_month_fen", where),
        max_months=_count(revenue, "max_months", where),
        shares_bp=_shares(revenue, "shares_bp", where),
    )


def _subsidies(data: Mapping) -> dict[str, SubsidyShare]:
    subsidies = _field(data, "subsidies", "")
    result = {}
    for kind in SUBSIDY_KINDS:
        where = f"subsidies.{kind}."
        rule = _field(subsidies, kind, "subsidies.")
        share = SubsidyShare(
            cooperatives_bp=_count(rule, "cooperatives_bp", where),
            hr_company_bp=_count(rule, "hr_company_bp", where),
            cooperative_shares_bp=_shares(rule, "cooperative_shares_bp", where),
        )
        if share.cooperatives_bp + share.hr_company_bp != WHOLE_BP:
            raise MalformedTerms(field=f"subsidies.{kind}", problem=f"not {WHOLE_BP} in all")
        result[kind] = share
    return result


def rules_from_terms(terms: Mapping) -> AgreementRules:
    """One sealed agreement version's terms (the JSON object dispatch publishes) as rules, or
    MalformedTerms naming the field."""
    effective_from = _field(terms, "effective_from", "")
    try:
        effective = (
            effective_from
            if isinstance(effective_from, date)
            else date.fromisoformat(effective_from)
        )
    except (TypeError, ValueError):
        raise MalformedTerms(field="effective_from", problem="not a date") from None
    version = _count(terms, "version")
    if version < 1:
        raise MalformedTerms(field="version", problem="versions start at 1")
    return AgreementRules(
        agreement_id=_text(terms, "agreement_id"),
        version=version,
        effective_from=effective,
        county_cooperative=_text(terms, "county_cooperative"),
        hr_company=_text(terms, "hr_company"),
        revenue=_revenue(terms),
        subsidies=_subsidies(terms),
    )


def agreement_in_force(versions: Sequence[AgreementRules], on: date) -> AgreementRules | None:
    """The version with the highest `version` among those in effect on `on`, or None."""
    in_effect = [v for v in versions if v.effective_from <= on]
    return max(in_effect, key=lambda v: v.version, default=None)


def reward_rule_for(rules: Sequence[RewardRule], village_code: str, on: date) -> RewardRule | None:
    """The reward rule for a labourer of `village_code` on `on`: the village's own rule in force
    if there is one, else the county-wide rule in force, else None."""
    for scope in (village_code, None):
        found = _latest([r for r in rules if r.village_code == scope], on)
        if found is not None:
            return found
    return None


def subsidy_rule_for(rules: Sequence[SubsidyRule], on: date) -> SubsidyRule | None:
    """The county's subsidy rule in force on `on`, or None."""
    return _latest(rules, on)


def _latest(rules, on: date):
    in_effect = [r for r in rules if r.effective_from <= on]
    return max(in_effect, key=lambda r: (r.effective_from, r.version, r.rule_id), default=None)
