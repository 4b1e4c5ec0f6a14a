"""The degree of organisation (组织化程度), computed: pure Python over the candidate pool and the
placements, as of one county date (docs/organisation-degree.md is this module in words).

Population: every labourer in the pool (merged records are not people: a placement under a
record merged into another counts for the kept one). For each person, once:
- organised away: a placement active on the date (started on or before it, not ended on or
  before it) whose place scope is away from home (州内, 省内, 省外: `AWAY_SCOPES`);
- else organised in the county: such a placement in the county (县内), reported beside;
- else self-arranged away: the four clears record them working away from home (their
  employment status is one of `AWAY_SCOPES`) and that record is the township's, not one
  registry wrote from a placement (`employment_source` null). A placement-sourced record is
  never self-arranged: its person counts as organised while a placement is active on the date,
  and as not away otherwise (before a start, after an end, a start still ahead).
`away` = organised away + self-arranged away; the degree = organised away / away (none when
nobody is away), so it never exceeds 100%. Stability at m months (3, 6): of the away placements
whose m-month date (start + m calendar months) is on or before the date, the share still
employed on that m-month date (not ended on or before it: the end date is the first day
away). Each is counted for everyone and for registered-poor labourers, by the person's village
now (township: the village code's first 9 digits; county: all), so villages add up to their
township and townships to the county."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from dispatch.placements.schedule import add_months
from dispatch_contract.placements import STABILITY_MONTHS
from registry_contract.vocabularies import AWAY_SCOPES

IN_COUNTY = "in_county"


@dataclass(frozen=True)
class Person:
    person_id: str
    village_code: str
    poor: bool
    employment_status: str | None
    # The placement registry wrote employment_status from; None: the township's own record.
    employment_source: str | None = None


@dataclass(frozen=True)
class PlacementFact:
    person_id: str
    place_scope: str
    starts_on: date
    ended_on: date | None


@dataclass
class Counts:
    labourers: int = 0
    away: int = 0
    organised_away: int = 0
    self_arranged_away: int = 0
    organised_in_county: int = 0

    def add(self, other: Counts) -> None:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_reply(self) -> dict:
        reply = {f.name: getattr(self, f.name) for f in fields(self)}
        reply["degree_percent"] = percent(self.organised_away, self.away)
        return reply


@dataclass
class Stability:
    placements: int = 0  # away placements whose m-month date has come
    employed: int = 0  # of them, still employed on that date (ended_on after it, or none)


@dataclass
class Figures:
    overall: Counts = field(default_factory=Counts)
    poor: Counts = field(default_factory=Counts)
    stability: dict[int, Stability] = field(
        default_factory=lambda: {m: Stability() for m in STABILITY_MONTHS}
    )

    def add(self, other: Figures) -> None:
        self.overall.add(other.overall)
        self.poor.add(other.poor)
        for months, counts in other.stability.items():
            self.stability[months].placements += counts.placements
            self.stability[months].employed += counts.employed


def percent(numerator: int, denominator: int) -> str | None:
    """numerator / denominator as a percentage with 2 decimals, rounded half up; None for 0/0."""
    if denominator == 0:
        return None
    value = Decimal(numerator * 100) / Decimal(denominator)
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def active_on(placement: PlacementFact, as_of: date) -> bool:
    """Started on or before `as_of` and not ended on or before it (the end date is the first
    day away from the job)."""
    return placement.starts_on <= as_of and (
        placement.ended_on is None or placement.ended_on > as_of
    )


def classify(person: Person, scopes: set[str]) -> str | None:
    """Which count the person is in: organised_away, organised_in_county, self_arranged_away,
    or None (none of them). An organised placement comes before what the four clears say, and
    four clears registry wrote from a placement (`employment_source`) are never self-arranged
    work: without a placement active on the date, that person is not away."""
    if scopes & AWAY_SCOPES:
        return "organised_away"
    if IN_COUNTY in scopes:
        return "organised_in_county"
    if person.employment_source is None and person.employment_status in AWAY_SCOPES:
        return "self_arranged_away"
    return None


def _count(counts: Counts, kind: str | None) -> None:
    counts.labourers += 1
    if kind is not None:
        setattr(counts, kind, getattr(counts, kind) + 1)
        if kind != "organised_in_county":
            counts.away += 1


def _add_stability(found: dict[int, Stability], placements: list, as_of: date) -> None:
    for placement in placements:
        if placement.place_scope not in AWAY_SCOPES:
            continue
        for months in STABILITY_MONTHS:
            mark = add_months(placement.starts_on, months)
            if mark <= as_of:
                found[months].placements += 1
                # ended_on is the first day no longer at work: ended on the mark is gone by it
                if placement.ended_on is None or placement.ended_on > mark:
                    found[months].employed += 1


def by_village(
    people: Iterable[Person], placements: Iterable[PlacementFact], as_of: date
) -> dict[str, Figures]:
    """village code -> the figures of the people whose village it is."""
    by_person: dict[str, list[PlacementFact]] = {}
    for placement in placements:
        by_person.setdefault(placement.person_id, []).append(placement)
    found: dict[str, Figures] = {}
    for person in people:
        figures = found.get(person.village_code)
        if figures is None:
            figures = found[person.village_code] = Figures()
        own = by_person.get(person.person_id)
        scopes = {p.place_scope for p in own if active_on(p, as_of)} if own else set()
        kind = classify(person, scopes)
        _count(figures.overall, kind)
        if person.poor:
            _count(figures.poor, kind)
        if own:
            _add_stability(figures.stability, own, as_of)
    return found


def roll_up(figures_by_village: dict[str, Figures], area: Callable[[str], str]) -> dict:
    """area code -> the sum of its villages' figures (`area(village_code)` names the area)."""
    found: dict[str, Figures] = {}
    for village, figures in figures_by_village.items():
        found.setdefault(area(village), Figures()).add(figures)
    return found


def degree_by(
    people: Iterable[Person],
    placements: Iterable[PlacementFact],
    as_of: date,
    area: Callable[[str], str],
) -> dict[str, Figures]:
    """area code -> figures; `area(village_code)` names the area a person counts in."""
    return roll_up(by_village(people, placements, as_of), area)


def area_of_level(level: str, county: str) -> Callable[[str], str]:
    """The area a village code counts in at `level` (county, township, village)."""
    if level == "village":
        return lambda village_code: village_code
    if level == "township":
        return lambda village_code: village_code[:9]
    return lambda village_code: county
