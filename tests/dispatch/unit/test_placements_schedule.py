"""When follow-ups fall due (start + 1, 3, 6 calendar months, clamped to the month's end) and
when one is due or overdue (after the grace days): pure functions, examples and properties."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatch.placements.schedule import add_months, due_dates, follow_up_state, outstanding

starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 6, 30))


@pytest.mark.parametrize(
    "start, months, due",
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # a leap year
        (date(2027, 1, 31), 3, date(2027, 4, 30)),
        (date(2027, 1, 31), 6, date(2027, 7, 31)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2027, 10, 15), 3, date(2028, 1, 15)),  # into the next year
        (date(2027, 12, 31), 1, date(2028, 1, 31)),
        (date(2027, 3, 30), 1, date(2027, 4, 30)),
    ],
)
def test_a_follow_up_falls_due_calendar_months_later_clamped_to_the_months_end(start, months, due):
    assert add_months(start, months) == due


def test_the_three_follow_ups_of_a_start_on_the_31st():
    assert due_dates(date(2027, 1, 31)) == {
        1: date(2027, 2, 28), 3: date(2027, 4, 30), 6: date(2027, 7, 31),
    }  # fmt: skip


def test_due_from_its_date_overdue_after_the_grace_days():
    due_on = date(2027, 2, 28)
    assert follow_up_state(due_on, date(2027, 2, 27), 7) is None
    assert follow_up_state(due_on, due_on, 7) == "due"
    assert follow_up_state(due_on, date(2027, 3, 7), 7) == "due"  # the 7th day of grace
    assert follow_up_state(due_on, date(2027, 3, 8), 7) == "overdue"
    assert follow_up_state(due_on, date(2027, 3, 1), 0) == "overdue"


def test_outstanding_leaves_out_what_was_recorded_and_what_is_not_due():
    start = date(2027, 1, 31)
    assert outstanding(start, set(), date(2027, 5, 1), 7) == [
        (1, date(2027, 2, 28), "overdue"), (3, date(2027, 4, 30), "due"),
    ]  # fmt: skip
    assert outstanding(start, {1}, date(2027, 5, 1), 7) == [(3, date(2027, 4, 30), "due")]
    assert outstanding(start, set(), date(2027, 2, 27), 7) == []


@given(starts, st.integers(min_value=0, max_value=120))
def test_a_due_date_is_in_the_right_month_and_never_past_the_start_day(start, months):
    due = add_months(start, months)
    assert (due.year * 12 + due.month) - (start.year * 12 + start.month) == months
    assert due.day <= start.day
    # clamped only when the month is shorter: the next day is in the month after
    if due.day < start.day:
        assert (due + timedelta(days=1)).day == 1


@given(starts)
def test_follow_ups_come_in_order_after_the_start(start):
    dates = due_dates(start)
    assert start < dates[1] < dates[3] < dates[6]
    assert dates[1] - start <= timedelta(days=31)


@given(starts, st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=30))
def test_a_follow_up_is_overdue_exactly_after_its_grace(start, days, grace):
    due_on = add_months(start, 1)
    today = start + timedelta(days=days)
    state = follow_up_state(due_on, today, grace)
    if today < due_on:
        assert state is None
    elif (today - due_on).days > grace:
        assert state == "overdue"
    else:
        assert state == "due"
