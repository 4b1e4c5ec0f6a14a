"""Settlement periods: calendar months written "YYYY-MM", on county business dates
(Asia/Shanghai; the caller takes today from `sanbao_common.clock.today()`).

Periods close in month order, so "the month after" and "the month before" are all the
arithmetic the rest needs, with `add_months` for the marks an item falls due on: a start date
plus k calendar months, the day clamped to that month's last day (started 31 January: 28 or 29
February, 31 March, 30 April) — the same rule as dispatch's follow-up schedule.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from sanbao_common.errors import DomainError

_PERIOD = re.compile(r"^(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])$")


class InvalidPeriod(DomainError):
    code = "INVALID_PERIOD"
    message_en = "a period is a calendar month written YYYY-MM, e.g. 2027-03"
    message_zh = "结算期为自然月，格式 YYYY-MM，例如 2027-03"


def parse_period(text: str) -> str:
    """`text` if it is a month "YYYY-MM" (year 2000 or later), else InvalidPeriod."""
    match = _PERIOD.match(text) if isinstance(text, str) else None
    if match is None or int(match["year"]) < 2000:
        raise InvalidPeriod(period=text)
    return text


def period_of(day: date) -> str:
    """The period a day falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def _year_month(period: str) -> tuple[int, int]:
    return int(period[:4]), int(period[5:7])


def first_day(period: str) -> date:
    year, month = _year_month(period)
    return date(year, month, 1)


def last_day(period: str) -> date:
    year, month = _year_month(period)
    return date(year, month, calendar.monthrange(year, month)[1])


def next_period(period: str) -> str:
    return period_of(add_months(first_day(period), 1))


def previous_period(period: str) -> str:
    return period_of(add_months(first_day(period), -1))


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months (negative: earlier), the day clamped to the month's
    last."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
