"""dispatch's business metrics, set by `DispatchService.refresh_gauges` before each scrape.

The degree of organisation's gauges (docs/organisation-degree.md) are labelled by `level`
(`county`, `township`), `area` (the division code) and `group` (`overall`, `poor`); an area
where nobody works away from home has no degree (the ratio is left out, not 0)."""

from __future__ import annotations

from prometheus_client import Gauge

candidates_in_pool = Gauge("sanbao_dispatch_candidates", "Labourers in dispatch's candidate pool")

_AREA = ("level", "area", "group")
organisation_degree = Gauge(
    "sanbao_dispatch_organisation_degree_ratio",
    "People in an organised placement away from home / people working away from home",
    _AREA,
)
organised_away = Gauge(
    "sanbao_dispatch_organised_away_labourers",
    "People with an organised placement away from home (州内, 省内, 省外) today",
    _AREA,
)
self_arranged_away = Gauge(
    "sanbao_dispatch_self_arranged_away_labourers",
    "People working away from home by their own arrangement (the four clears), not organised",
    _AREA,
)
organised_in_county = Gauge(
    "sanbao_dispatch_organised_in_county_labourers",
    "People with an organised placement in the county (县内) today, reported beside the degree",
    _AREA,
)
placement_stability = Gauge(
    "sanbao_dispatch_placement_stability_ratio",
    "Of the away placements started at least `months` months ago, the share still employed then",
    ("level", "area", "months"),
)
placements_active = Gauge("sanbao_dispatch_placements_active", "Placements active now")
follow_ups_overdue = Gauge(
    "sanbao_dispatch_follow_ups_overdue", "Follow-ups of active placements past their grace days"
)

DEGREE_GAUGES = (
    organisation_degree, organised_away, self_arranged_away, organised_in_county,
    placement_stability,
)  # fmt: skip


def set_degree(level: str, figures_by_area: dict) -> None:
    """The gauges of one level from `dispatch.degree.compute.degree_by`'s figures."""
    for area, figures in figures_by_area.items():
        for group, counts in (("overall", figures.overall), ("poor", figures.poor)):
            labels = (level, area, group)
            organised_away.labels(*labels).set(counts.organised_away)
            self_arranged_away.labels(*labels).set(counts.self_arranged_away)
            organised_in_county.labels(*labels).set(counts.organised_in_county)
            if counts.away:
                organisation_degree.labels(*labels).set(counts.organised_away / counts.away)
        for months, counts in figures.stability.items():
            if counts.placements:
                placement_stability.labels(level, area, str(months)).set(
                    counts.employed / counts.placements
                )
