"""A pool of candidates indexed for ranking, and the ranking itself: for an order, the best
`order.wanted` eligible candidates, registered-poor first, then by fit score, then by person id.
The rules are `dispatch.matching.scoring`'s; here they are applied to every candidate at once with
bitsets (`dispatch.matching.bitsets`), so that the pool is read once for any number of orders.
The `match_order` RPC ranks one order by the same code, over a pool loaded for it.

The poor and the others are two tiers indexed apart: no score puts anyone of the second before
anyone of the first, and the poor tier alone (30% of a pool, and nearly always enough to fill an
order) is ranked with integers a third as wide.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from dispatch.matching import bitsets
from dispatch.matching.scoring import (
    AGE_AT_EDGE,
    INDUSTRY_SECTION,
    INDUSTRY_UNTOLD,
    NEAREST_FIRST,
    PLACE_NEARER,
    PLACE_UNTOLD,
    START_UNTOLD,
    WAGE_UNTOLD,
    WAGE_UP_TO_MAX,
    WEIGHTS,
    OrderTerms,
    available,
    section,
)
from dispatch_contract.vocabularies import PLACE_SCOPES

SCORE_BITS = sum(WEIGHTS.values()).bit_length()


class Match(NamedTuple):
    candidate: object  # the pool's row: person_id, name, poor, ... (scoring.available's fields)
    score: int


class Pool:
    """Candidates (anything with the attributes `scoring` reads), the available ones kept, in two
    tiers: registered-poor, then the others."""

    def __init__(self, candidates: Iterable):
        kept = [c for c in candidates if available(c)]
        self.poor = Tier([c for c in kept if c.poor])
        self.others = Tier([c for c in kept if not c.poor])

    @property
    def rows(self) -> list:
        return self.poor.rows + self.others.rows

    @property
    def size(self) -> int:
        return self.poor.size + self.others.size

    def rank(self, order: OrderTerms) -> list[Match]:
        """The best `order.wanted` eligible candidates, in rank order."""
        chosen = self.poor.best(order, order.wanted)
        if len(chosen) < order.wanted:
            chosen += self.others.best(order, order.wanted - len(chosen))
        return chosen

    def count_eligible(self, order: OrderTerms) -> int:
        return self.poor.eligible(order).bit_count() + self.others.eligible(order).bit_count()


class Tier:
    """Candidates in person id order (bit i: the i-th), indexed: one set of candidates per scope,
    birth year, industry code and section, skill; the thresholds of birth years, expected wages
    and earliest starts."""

    def __init__(self, rows: list):
        self.rows = sorted(rows, key=_person_id)
        self.size = len(self.rows)
        self.everyone = (1 << self.size) - 1
        sets = _Sets(self.rows)
        self.training, self.no_industry = sets.one("training"), sets.one("no_industry")
        self.scope = {s: sets.one("scope", s) for s in (*PLACE_SCOPES, None)}
        self.industry, self.section, self.skill = sets.by("industry", "section", "skill")
        self.born = bitsets.Thresholds(sets.values("born"))
        self.wage, self.wage_untold = (
            bitsets.Thresholds(sets.values("wage")),
            sets.one("wage", None),
        )
        self.start = bitsets.Thresholds(sets.values("start"))
        self.start_untold = sets.one("start", None)

    def best(self, order: OrderTerms, k: int) -> list[Match]:
        """The k best of this tier for `order`, in rank order."""
        among = self.eligible(order)
        if not among or k <= 0:
            return []
        slices, offset = self._scores(order)
        chosen = bitsets.members(bitsets.best(slices, among, k))
        scored = sorted(zip([-s for s in bitsets.scores(slices, chosen)], chosen, strict=True))
        return [Match(self.rows[i], offset - negative) for negative, i in scored]

    def eligible(self, order: OrderTerms) -> int:
        far_enough = self.scope[None]
        for scope, rank in NEAREST_FIRST.items():
            if rank >= NEAREST_FIRST[order.scope]:
                far_enough |= self.scope[scope]
        earliest, latest = order.birth_years()
        if earliest is None and latest is None:
            return far_enough
        return far_enough & self.born.between(earliest, latest)

    def _scores(self, order: OrderTerms) -> tuple[list[int], int]:
        """Every candidate's score as bit slices, and the points every candidate earns alike
        (kept out of the slices)."""
        slices, offset = [0] * SCORE_BITS, 0
        for levels in (
            self._place(order), self._industry(order), self._skills(order), self._age(order),
            [(WEIGHTS["training"], self.training)], self._wage(order), self._start(order),
        ):  # fmt: skip
            if isinstance(levels, int):
                offset += levels
            else:
                bitsets.add_points(slices, levels)
        return slices, offset

    def _place(self, order: OrderTerms) -> list:
        nearer = 0
        for scope, rank in NEAREST_FIRST.items():
            if rank > NEAREST_FIRST[order.scope]:
                nearer |= self.scope[scope]
        return [
            (WEIGHTS["place"], self.scope[order.scope]),
            (PLACE_NEARER, nearer),
            (PLACE_UNTOLD, self.scope[None]),
        ]

    def _industry(self, order: OrderTerms) -> list:
        exact = self.industry.get(order.industry, 0)
        same_section = self.section.get(order.section, 0) & ~exact
        return [
            (WEIGHTS["industry"], exact),
            (INDUSTRY_SECTION, same_section),
            (INDUSTRY_UNTOLD, self.no_industry),
        ]

    def _skills(self, order: OrderTerms) -> list | int:
        weight, asked = WEIGHTS["skills"], order.skills
        if not asked:
            return weight
        held = [0] * len(asked).bit_length()  # how many of the skills asked each one holds
        for code in asked:
            bitsets.add_points(held, [(1, self.skill.get(code, 0))])
        levels = []
        for count in range(1, len(asked) + 1):
            having = self.everyone
            for b, part in enumerate(held):
                having &= part if count >> b & 1 else ~part
            levels.append((weight * count // len(asked), having))
        return levels

    def _age(self, order: OrderTerms) -> list | int:
        if order.age_min is None and order.age_max is None:
            return WEIGHTS["age"]
        sure = self.born.between(*order.birth_years(sure=True))
        return [(WEIGHTS["age"], sure), (AGE_AT_EDGE, self.everyone & ~sure)]

    def _wage(self, order: OrderTerms) -> list:
        up_to_min = self.wage.at_most(order.wage_min_fen)
        up_to_max = self.wage.at_most(order.wage_max_fen) & ~up_to_min
        return [
            (WEIGHTS["wage"], up_to_min),
            (WAGE_UP_TO_MAX, up_to_max),
            (WAGE_UNTOLD, self.wage_untold),
        ]

    def _start(self, order: OrderTerms) -> list:
        return [
            (WEIGHTS["start"], self.start.at_most(order.starts_on)),
            (START_UNTOLD, self.start_untold),
        ]


def _person_id(candidate) -> str:
    return candidate.person_id


class _Sets:
    """The sets of a tier's candidates, by what they hold. Candidates are first grouped by each
    attribute's distinct values (a pool of 100,000 has a few hundred distinct code lists), then
    each distinct value's set is built once and added to the sets of the codes it names."""

    def __init__(self, rows: list):
        groups = {name: defaultdict(list) for name in _ATTRIBUTES}
        scope, born, wage, start = (groups[n] for n in ("scope", "born", "wage", "start"))
        industry, skill, training = groups["industry"], groups["skill"], groups["training"]
        for i, c in enumerate(rows):
            scope[c.intention_scope].append(i)
            born[c.birth_year].append(i)
            wage[c.expected_wage_fen].append(i)
            start[c.earliest_start].append(i)
            industry[tuple(c.industry_codes)].append(i)
            skill[tuple(c.skill_codes)].append(i)
            training[bool(c.training_intention)].append(i)
        size = len(rows)
        self.sets = {
            (name, value): bitsets.from_indices(found, size)
            for name, values in groups.items()
            for value, found in values.items()
        }
        self.coded: dict[str, dict] = {"industry": {}, "section": {}, "skill": {}}
        for (name, codes), members in self.sets.items():
            if name == "industry":
                self._add("industry", codes, members)
                self._add("section", {section(code) for code in codes} - {None}, members)
            elif name == "skill":
                self._add("skill", set(codes), members)

    def _add(self, kind: str, codes, members: int) -> None:
        found = self.coded[kind]
        for code in codes:
            found[code] = found.get(code, 0) | members

    def one(self, name: str, value=True) -> int:
        if name == "no_industry":
            return self.sets.get(("industry", ()), 0)
        return self.sets.get((name, value), 0)

    def by(self, *kinds: str) -> tuple[dict, ...]:
        return tuple(self.coded[kind] for kind in kinds)

    def values(self, name: str) -> dict:
        """value -> set, for the candidates who gave a value."""
        return {v: bits for (n, v), bits in self.sets.items() if n == name and v is not None}


_ATTRIBUTES = ("scope", "born", "wage", "start", "industry", "skill", "training")
