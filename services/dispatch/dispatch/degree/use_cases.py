"""The degree of organisation as dispatch reports it: read the pool and the placements, compute
(`dispatch.degree.compute`), reply by area. Counts only: nobody's personal data."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from dispatch.adapters.placement_tables import placements
from dispatch.adapters.tables import candidates
from dispatch.degree.compute import (
    Figures,
    Person,
    PlacementFact,
    area_of_level,
    by_village,
    percent,
    roll_up,
)
from sanbao_common.db import UnitOfWork

ACTIVE_CANDIDATE = "active"  # merged records are tombstones, not people


def read_facts(uow: UnitOfWork) -> tuple[list[Person], list[PlacementFact]]:
    """Every labourer in the pool and every placement, as the computation counts them (a
    placement under a merged record as the kept record's)."""
    c, p = candidates.c, placements.c
    people = [
        Person(
            row.person_id,
            row.village_code,
            bool(row.poor),
            row.employment_status,
            row.employment_source,
        )
        for row in uow.connection.execute(
            select(
                c.person_id, c.village_code, c.poor, c.employment_status, c.employment_source
            ).where(c.status == ACTIVE_CANDIDATE)
        )
    ]
    # A placement of a record registry merged into another counts for the kept record (the
    # person), which is the one in the population.
    record = candidates.alias("record")
    person = func.coalesce(record.c.merged_into, p.person_id).label("person_id")
    facts = [
        PlacementFact(row.person_id, row.place_scope, row.starts_on, row.ended_on)
        for row in uow.connection.execute(
            select(person, p.place_scope, p.starts_on, p.ended_on).select_from(
                placements.outerjoin(record, record.c.person_id == p.person_id)
            )
        )
    ]
    return people, facts


def _area(level: str, code: str, figures: Figures) -> dict:
    return {
        "level": level,
        "code": code,
        "overall": figures.overall.as_reply(),
        "poor": figures.poor.as_reply(),
        "stability": [
            {
                "months": months,
                "placements": counts.placements,
                "employed": counts.employed,
                "share_percent": percent(counts.employed, counts.placements),
            }
            for months, counts in sorted(figures.stability.items())
        ],
    }


def organisation_degree(uow: UnitOfWork, as_of: date, level: str, county: str) -> dict:
    """{"as_of", "by", "county", "areas": [...by code], "total": the county's}."""
    people, facts = read_facts(uow)
    villages = by_village(people, facts, as_of)
    areas = roll_up(villages, area_of_level(level, county))
    total = roll_up(villages, area_of_level("county", county)).get(county, Figures())
    return {
        "as_of": as_of.isoformat(),
        "by": level,
        "county": county,
        "areas": [_area(level, code, areas[code]) for code in sorted(areas)],
        "total": _area("county", county, total),
    }
