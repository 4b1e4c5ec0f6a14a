"""When a placement's follow-ups fall due, and whether one is due or overdue on a day: pure
Python on county dates (Asia/Shanghai; the caller gives `today` from the kit's clock).

A follow-up at m months falls due on the start date plus m calendar months, the day clamped to
the last day of that month (started 31 January: due 28 or 29 February, 30 April, 31 July). It
is due from that day, and overdue once `grace_days` more days have passed without it."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from dispatch_contract.placements import DUE, FOLLOW_UP_MONTHS, OVERDUE


def add_months(start: date, months: int) -> date:
    """`start` plus `months` calendar months, the day clamped to the month's last."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_dates(starts_on: date) -> dict[int, date]:
    """month -> the day the follow-up at that month falls due."""
    return {month: add_months(starts_on, month) for month in FOLLOW_UP_MONTHS}


def follow_up_state(due_on: date, today: date, grace_days: int) -> str | None:
    """`due`, `overdue`, or None (not due yet) for a follow-up not recorded."""
    if today < due_on:
        return None
    return OVERDUE if today > due_on + timedelta(days=grace_days) else DUE


def outstanding(
    starts_on: date, recorded: set[int], today: date, grace_days: int
) -> list[tuple[int, date, str]]:
    """(month, due_on, state) of every follow-up fallen due on `today` and not recorded."""
    found = []
    for month, due_on in due_dates(starts_on).items():
        state = follow_up_state(due_on, today, grace_days)
        if state is not None and month not in recorded:
            found.append((month, due_on, state))
    return found
