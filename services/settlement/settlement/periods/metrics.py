"""settlement's business metrics of periods: periods closed, and the placements left pending
at the last close."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

periods_closed = Counter("sanbao_settlement_periods_closed_total", "Settlement periods closed")
pending_placements = Gauge(
    "sanbao_settlement_pending_placements",
    "Placements the last closed period could not settle (no rules in force, no payee, …)",
)
