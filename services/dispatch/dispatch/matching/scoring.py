"""Who may be put forward for a job order, and how well each fits it: the rules, one candidate at
a time. `dispatch.matching.pool` ranks a whole pool by the same rules with bitsets; a property
test holds the two to the same answers (tests/dispatch/unit/test_matching_pool.py).

Eligible (all must hold; docs/decisions/0018-matching-eligibility-and-scoring.md says why):
- in the pool as a candidate: status active, `willing_to_go`, not working (employment status
  none of the four place scopes) nor unable to work, not booked on a batch, not "none" (无) as
  intention;
- willing to go as far as the order's place: the person's intention scope is the FARTHEST they
  mean to go (registry keeps the farthest named), so an order at that scope or nearer home is
  within it, a farther one is not; an intention with places but no scope registry could tell
  (null) excludes no scope;
- within the order's age limits by birth year: the age on the start date is `year - birth_year`
  or one less (the birthday may be later in the year), and either may be the one inside the
  limits; the exact age is registry's check when a batch is approved.

Ranked: registered-poor first, then by the fit score (0-100, the sum of the factors below, each
earning points out of its weight), then by person id. `explain` gives each factor's weight,
points and reason, so a score always adds up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dispatch_contract.vocabularies import PLACE_SCOPES
from registry_contract.industries_and_skills import industry_section

# Employment statuses that make a person no candidate: working somewhere (a place scope) or
# unable to work.
NOT_AVAILABLE = frozenset(PLACE_SCOPES) | {"unable_to_work"}
NO_INTENTION = "none"
NEAREST_FIRST = {scope: rank for rank, scope in enumerate(PLACE_SCOPES)}

# factor -> its weight (the most points it can earn); they add up to 100.
WEIGHTS: dict[str, int] = {
    "place": 20,
    "industry": 25,
    "skills": 25,
    "age": 10,
    "training": 5,
    "wage": 10,
    "start": 5,
}
# The points of each level of a factor below its full weight.
PLACE_NEARER, PLACE_UNTOLD = 14, 6
INDUSTRY_SECTION, INDUSTRY_UNTOLD = 15, 8
AGE_AT_EDGE = 4
WAGE_UP_TO_MAX, WAGE_UNTOLD = 6, 5
START_UNTOLD = 3
MULTIPLE = 3  # candidates put forward per head wanted
# The most one reply lists (a 10,000-head order would otherwise list 30,000, 40 MiB explained):
# as batches and placements hold people, the next ask lists the next best.
MAX_LISTED = 1000


def section(code: str) -> str | None:
    """The GB/T 4754 section of an industry code (None for one that is none)."""
    return industry_section(code)


@dataclass(frozen=True)
class OrderTerms:
    """What matching reads of a job order (`dispatch.orders.queries.order_for_matching`)."""

    order_id: str
    wanted: int  # MULTIPLE x head count, at most MAX_LISTED
    scope: str
    industry: str
    skills: tuple[str, ...]
    age_min: int | None
    age_max: int | None
    wage_min_fen: int
    wage_max_fen: int
    starts_on: date

    @classmethod
    def of(cls, order: dict) -> OrderTerms:
        wanted = min(MULTIPLE * order["head_count"], MAX_LISTED)
        return cls(
            order["order_id"], wanted, order["place_scope"], order["industry"],
            tuple(sorted(set(order["skills"]))), order["age_min"], order["age_max"],
            order["wage_min_fen"], order["wage_max_fen"], order["starts_on"],
        )  # fmt: skip

    @property
    def section(self) -> str | None:
        return section(self.industry)

    def birth_years(self, sure: bool = False) -> tuple[int | None, int | None]:
        """(earliest, latest) birth year allowed (None: no limit that way). The age on the start
        date is `year - birth_year` or one less; `sure`: both inside the limits, else either."""
        year = self.starts_on.year
        earliest = None if self.age_max is None else year - self.age_max - (0 if sure else 1)
        latest = None if self.age_min is None else year - self.age_min - (1 if sure else 0)
        return earliest, latest

    def within_scope(self, person_scope: str | None) -> bool:
        return person_scope is None or (
            person_scope in NEAREST_FIRST
            and NEAREST_FIRST[person_scope] >= NEAREST_FIRST[self.scope]
        )


def _between(value: int, bounds: tuple[int | None, int | None]) -> bool:
    low, high = bounds
    return (low is None or value >= low) and (high is None or value <= high)


def available(candidate) -> bool:
    """A candidate for any order at all (before the order's own constraints)."""
    return (
        candidate.status == "active"
        and candidate.willing_to_go
        and candidate.employment_status not in NOT_AVAILABLE
        and candidate.booked_by is None
        and candidate.intention_scope != NO_INTENTION
    )


def eligible(candidate, order: OrderTerms) -> bool:
    return (
        available(candidate)
        and order.within_scope(candidate.intention_scope)
        and _between(candidate.birth_year, order.birth_years())
    )


@dataclass(frozen=True)
class Factor:
    factor: str
    weight: int
    points: int
    why: str
    why_zh: str

    def as_reply(self) -> dict:
        return dict(self.__dict__)


def explain(candidate, order: OrderTerms) -> list[Factor]:
    """Each factor of `candidate`'s fit for `order` (an eligible candidate): the points add up
    to its score."""
    return [
        _factor("place", *_place(candidate, order)),
        _factor("industry", *_industry(candidate, order)),
        _factor("skills", *_skills(candidate, order)),
        _factor("age", *_age(candidate, order)),
        _factor("training", *_training(candidate)),
        _factor("wage", *_wage(candidate, order)),
        _factor("start", *_start(candidate, order)),
    ]


def score(candidate, order: OrderTerms) -> int:
    return sum(factor.points for factor in explain(candidate, order))


def _factor(name: str, points: int, why: str, why_zh: str) -> Factor:
    return Factor(name, WEIGHTS[name], points, why, why_zh)


def _place(candidate, order: OrderTerms) -> tuple[int, str, str]:
    scope = candidate.intention_scope
    if scope == order.scope:
        return (
            WEIGHTS["place"],
            f"means to go as far as {scope}, where the job is",
            "意向范围与工作地一致",
        )
    if scope is None:
        return (
            PLACE_UNTOLD,
            "named places but no scope: how far is not known",
            "意向地点未能归入范围",
        )
    return (
        PLACE_NEARER,
        f"means to go as far as {scope}; the job is nearer home",
        "工作地比意向范围近",
    )


def _industry(candidate, order: OrderTerms) -> tuple[int, str, str]:
    codes = candidate.industry_codes
    if order.industry in codes:
        return (
            WEIGHTS["industry"],
            f"wants to work in {order.industry}",
            f"意向行业包含 {order.industry}",
        )
    wanted = order.section
    if wanted is not None and any(section(code) == wanted for code in codes):
        return (
            INDUSTRY_SECTION,
            f"wants work in section {wanted}, not {order.industry} itself",
            f"意向行业属同一门类 {wanted}",
        )
    if not codes:
        return INDUSTRY_UNTOLD, "named no industry (or none the vocabulary knows)", "未说明意向行业"
    return 0, f"wants other industries ({', '.join(codes)})", "意向行业不同"


def _skills(candidate, order: OrderTerms) -> tuple[int, str, str]:
    weight, asked = WEIGHTS["skills"], order.skills
    if not asked:
        return weight, "the order asks for no particular skill", "岗位无技能要求"
    held = [code for code in asked if code in candidate.skill_codes]
    points = weight * len(held) // len(asked)
    return (
        points,
        f"holds {len(held)} of {len(asked)} skills asked ({', '.join(held) or '-'})",
        f"具备所需技能 {len(held)}/{len(asked)}",
    )


def _age(candidate, order: OrderTerms) -> tuple[int, str, str]:
    weight = WEIGHTS["age"]
    if order.age_min is None and order.age_max is None:
        return weight, "the order sets no age limit", "岗位无年龄限制"
    age = order.starts_on.year - candidate.birth_year
    if _between(candidate.birth_year, order.birth_years(sure=True)):
        return weight, f"{age - 1} or {age} at the start: inside the limits", "开工时年龄在要求之内"
    return (
        AGE_AT_EDGE,
        f"{age - 1} or {age} at the start: one of them is outside the limits",
        "开工时年龄在要求边缘，须核实",
    )


def _training(candidate) -> tuple[int, str, str]:
    if candidate.training_intention:
        return WEIGHTS["training"], "willing to be trained", "愿意参加培训"
    return 0, "no training wanted", "无培训意向"


def _wage(candidate, order: OrderTerms) -> tuple[int, str, str]:
    expected = candidate.expected_wage_fen
    if expected is None:
        return WAGE_UNTOLD, "expected wage not told", "未说明期望月薪"
    if expected <= order.wage_min_fen:
        return (
            WEIGHTS["wage"],
            "expects no more than the order's lowest wage",
            "期望月薪不高于岗位最低月薪",
        )
    if expected <= order.wage_max_fen:
        return (
            WAGE_UP_TO_MAX,
            "expects more than the lowest wage, within the range",
            "期望月薪在岗位月薪范围内",
        )
    return 0, "expects more than the order's highest wage", "期望月薪高于岗位最高月薪"


def _start(candidate, order: OrderTerms) -> tuple[int, str, str]:
    earliest = candidate.earliest_start
    if earliest is None:
        return START_UNTOLD, "earliest start not told", "未说明最早出发日期"
    if earliest <= order.starts_on:
        return WEIGHTS["start"], f"can leave from {earliest}, by the start", "可在开工前出发"
    return 0, f"can leave only from {earliest}, after the start", "最早出发日期晚于开工日期"
