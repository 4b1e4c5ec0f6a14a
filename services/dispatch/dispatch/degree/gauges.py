"""What `DispatchService.refresh_gauges` sets of placements and the degree of organisation: the
county's and each township's figures today (the kit's clock), active placements and overdue
follow-ups. Every replica computes the same from the same database."""

from __future__ import annotations

from datetime import date

from dispatch import metrics
from dispatch.degree.compute import area_of_level, by_village, roll_up
from dispatch.degree.use_cases import read_facts
from dispatch.placements.repository import PlacementRepository
from dispatch.placements.schedule import outstanding
from dispatch_contract.placements import ACTIVE, OVERDUE
from sanbao_common.db import UnitOfWork


def refresh(uow: UnitOfWork, county: str, today: date, grace_days: int) -> None:
    people, facts = read_facts(uow)
    villages = by_village(people, facts, today)
    by_level = {
        level: roll_up(villages, area_of_level(level, county)) for level in ("county", "township")
    }
    active = PlacementRepository(uow.connection).find(status=ACTIVE)
    overdue = sum(
        1
        for p in active
        for _, _, state in outstanding(p.starts_on, {f.month for f in p.follow_ups}, today,
                                       grace_days)
        if state == OVERDUE
    )  # fmt: skip
    for gauge in metrics.DEGREE_GAUGES:
        gauge.clear()
    for level, figures in by_level.items():
        metrics.set_degree(level, figures)
    metrics.placements_active.set(len(active))
    metrics.follow_ups_overdue.set(overdue)
