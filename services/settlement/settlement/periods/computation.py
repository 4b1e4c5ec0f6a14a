"""A period's lines computed from what settlement holds: every placement's items
(`settlement.domain.items`) under the rules in force, each part's payee resolved, assembled
against what closed periods settled (`settlement.domain.assembly`), as rows ready to insert.

Payees: the county's part goes to the agreement's county cooperative, the township's and the
village's to the active township and village cooperatives of the labourer's township and village,
the HR company's to the agreement's HR company, an agent's reward to the agent. A placement whose
rules are not in force, whose agreement is unknown or whose township or village has no
cooperative is pending (with its reason): it gets no lines this run, and settles later, as an
adjustment, once it can. The items of lines whose dispute was waived are frozen: never asked of
the HR company, never paid, they are neither computed again nor reversed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from hashlib import sha1

from sanbao_common.privacy import remask
from settlement.domain.assembly import NEGATIVE_NET_DEFERRED, assemble
from settlement.domain.items import (
    AGENT_REWARD,
    POLICY_SUBSIDY,
    SERVICE_REVENUE,
    Item,
    Pending,
    placement_items,
)
from settlement.inputs.repository import Inputs
from settlement.periods.repository import PeriodRepository
from settlement.rules.repository import Rules

# Line and statement ids: uuid5 of their business keys in this namespace (stable across runs).
NAMESPACE = uuid.UUID("6f1d4c1e-8a53-5b9e-9a57-5e7713d18a01")
COUNTERPARTY_KINDS = {SERVICE_REVENUE: "hr_company", POLICY_SUBSIDY: "bureau"}


_NAMESPACE_BYTES = NAMESPACE.bytes


def uuid5_text(name: str) -> str:
    """`str(uuid.uuid5(NAMESPACE, name))`, without building UUID objects (a run makes one per
    line: hundreds of thousands)."""
    digest = bytearray(sha1(_NAMESPACE_BYTES + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


@lru_cache(maxsize=4096)
def statement_id(period: str, agreement_id: str, kind: str, counterparty_id: str) -> str | None:
    """The statement a line belongs to (an agent's reward belongs to none)."""
    if kind == AGENT_REWARD:
        return None
    return uuid5_text(f"{period}|{agreement_id}|{kind}|{counterparty_id}")


def line_id(period: str, item_key: str, party: str) -> str:
    return uuid5_text(f"{period}|{item_key}|{party}")


@dataclass
class Computed:
    period: str
    through: date
    lines: list[dict] = field(default_factory=list)
    deferred: list[dict] = field(default_factory=list)  # by statement and payee
    pending: list[dict] = field(default_factory=list)
    counterparty_names: dict[str, str] = field(default_factory=dict)


class _Payees:
    """Who is paid each party's part: the county's and the HR company's as the agreement
    version that split the item names them (a later version never takes earlier months)."""

    def __init__(self, inputs: Inputs, agreements: dict, settled_payees: dict):
        self.townships, self.villages = inputs.cooperatives()
        self.parties = {
            (rules.agreement_id, rules.version): (rules.county_cooperative, rules.hr_company)
            for versions in agreements.values()
            for rules in versions
        }
        self.companies = {
            agreement_id: {rules.hr_company for rules in versions}
            for agreement_id, versions in agreements.items()
        }
        self.settled_payees = settled_payees
        self.placements: dict = {}

    def missing(self, placement, items: list[Item]) -> tuple[str, dict] | None:
        """Why a placement's items cannot be paid: another HR company than its agreement's,
        or a cooperative the directory does not have."""
        companies = self.companies.get(placement.agreement_id, set())
        if items and placement.hr_company not in companies:
            details = {"hr_company": placement.hr_company, "agreement_id": placement.agreement_id}
            return "HR_COMPANY_MISMATCH", details
        parties = {party for item in items for party in item.parts}
        if "township" in parties and placement.township_code not in self.townships:
            return "NO_PAYEE", {
                "missing": "township_coop",
                "division_code": placement.township_code,
            }
        if "village" in parties and placement.village_code not in self.villages:
            return "NO_PAYEE", {"missing": "village_coop", "division_code": placement.village_code}
        return None

    def of(self, item, party: str) -> str:
        if not isinstance(item, Item):  # what closed periods settled, no longer earned
            return self.settled_payees[(item.item_key, party)]
        placement = self.placements[item.placement_id]
        if party == "township":
            return self.townships[placement.township_code]
        if party == "village":
            return self.villages[placement.village_code]
        if party == "agent":
            return item.counterparty_id if item.kind == AGENT_REWARD else placement.agent_id
        county, hr_company = self.parties[(item.agreement_id, item.agreement_version)]
        return county if party == "county" else hr_company


def compute(connection, period: str, next_open: str, through: date, last_closed) -> Computed:
    """Every line of `period` (its rows replacing the open period's), with what is deferred and
    pending. `last_closed`: the latest closed period, whose lines and earlier ones are settled."""
    inputs, rules, repo = Inputs(connection), Rules(connection), PeriodRepository(connection)
    agreements = inputs.agreements()
    rewards, subsidies = rules.reward_rules(), rules.subsidy_rules()
    settled, settled_payees = repo.settled(last_closed)
    payees = _Payees(inputs, agreements, settled_payees)
    result = Computed(period, through)
    items: list[Item] = []
    pending_ids: set[str] = set()
    for placement in inputs.placements_iter():
        payees.placements[placement.placement_id] = placement
        found, pending = placement_items(
            placement, agreements.get(placement.agreement_id, []), rewards, subsidies, through
        )
        if not pending:
            missing = payees.missing(placement, found)
            if missing is not None:
                pending = [Pending(placement.placement_id, *missing)]
        if pending:
            pending_ids.add(placement.placement_id)
            result.pending.extend(_pending(p, placement) for p in pending)
            continue
        items.extend(found)
    frozen = repo.waived_keys() if settled else set()
    if frozen:
        items = [item for item in items if item.key not in frozen]
        settled = [entry for entry in settled if entry.item_key not in frozen]
    rows, deferred = assemble(period, next_open, items, settled, pending_ids, payees.of)
    unknown = {r.placement_id for r in rows + deferred if r.placement_id not in payees.placements}
    people = _People(payees.placements, repo.people(unknown) if unknown else {})
    result.lines = [_line(row, payees, people) for row in rows]
    result.deferred = _deferred_groups([_line(row, payees, people) for row in deferred])
    result.counterparty_names = {rule.payer_id: rule.payer_name for rule in subsidies}
    return result


def _pending(pending: Pending, placement) -> dict:
    return {
        "placement_id": pending.placement_id,
        "reason": pending.reason,
        "details": dict(pending.details or {}),
        "hr_company": placement.hr_company,
        "village_code": placement.village_code,
        "agent_id": placement.agent_id,
        "name": placement.name,
        "id_number_masked": remask(placement.id_number_masked),
    }


class _People:
    """What a line says of its labourer: the placement as settlement holds it now, or as a
    closed period's line said (a placement settlement no longer has)."""

    def __init__(self, placements: dict, settled_people: dict):
        self.placements, self.settled_people = placements, settled_people

    def of(self, placement_id: str) -> dict:
        p = self.placements.get(placement_id)
        if p is None:
            return self.settled_people.get(placement_id, {})
        return {
            "placement_version": p.version, "person_id": p.person_id, "name": p.name,
            "id_number_masked": remask(p.id_number_masked), "village_code": p.village_code,
            "township_code": p.township_code, "agent_id": p.agent_id,
        }  # fmt: skip


def _line(row, payees: _Payees, people: _People) -> dict:
    item = row.item
    source = item if item is not None else row.settled
    line = {
        "line_id": line_id(row.period, row.item_key, row.party),
        "period": row.period,
        "statement_id": statement_id(row.period, row.agreement_id, row.kind, row.counterparty_id),
        "kind": row.kind,
        "item_key": row.item_key,
        "party": row.party,
        "payee_id": payees.of(source, row.party),
        "amount_fen": row.amount_fen,
        "adjustment": row.adjustment,
        "placement_id": row.placement_id,
        "agreement_id": row.agreement_id,
        "counterparty_id": row.counterparty_id,
        "rule_id": None if item is None else item.rule_id,
        "rule_version": None if item is None else item.rule_version,
        "due_on": None if item is None else item.due_on,
        "follow_up_month": None if item is None else item.follow_up_month,
        "dispute_no": None,
        "placement_version": None, "person_id": None, "name": None, "id_number_masked": None,
        "village_code": None, "township_code": None, "agent_id": None,
    }  # fmt: skip
    line.update(people.of(row.placement_id))
    return line


def _deferred_groups(lines: list[dict]) -> list[dict]:
    """Deferred lines by statement (or agent reward) and payee: what each group nets to."""
    groups: dict[tuple, dict] = {}
    for line in lines:
        group_key = (line["kind"], line["agreement_id"], line["counterparty_id"], line["payee_id"])
        group = groups.setdefault(
            group_key,
            {
                "reason": NEGATIVE_NET_DEFERRED,
                "kind": line["kind"],
                "agreement_id": line["agreement_id"],
                "counterparty_id": line["counterparty_id"],
                "payee_id": line["payee_id"],
                "amount_fen": 0,
                "lines": 0,
                "village_codes": set(),
            },
        )
        group["amount_fen"] += line["amount_fen"]
        group["lines"] += 1
        group["village_codes"].add(line["village_code"] or "")
    found = [dict(g, village_codes=sorted(g["village_codes"])) for g in groups.values()]
    return sorted(found, key=lambda g: tuple(str(v) for v in g.values()))
