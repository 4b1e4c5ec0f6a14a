"""Periods (calendar months "YYYY-MM") and the two ways settlement splits fen: the largest
remainder with a fixed party order, and the pro-rata floor of partial payments."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.domain.periods import (
    InvalidPeriod,
    add_months,
    first_day,
    last_day,
    next_period,
    parse_period,
    period_of,
    previous_period,
)
from settlement.domain.shares import pro_rata_floor, split_bp

PARTIES = ("county", "township", "village")


@pytest.mark.parametrize("text", ["2027-03", "2000-01", "2099-12"])
def test_a_period_is_a_month(text):
    assert parse_period(text) == text


@pytest.mark.parametrize(
    "text", ["2027-3", "2027-13", "2027-00", "27-03", "1999-12", "", None, 202703]
)
def test_anything_else_is_refused_with_its_code(text):
    with pytest.raises(InvalidPeriod) as refused:
        parse_period(text)
    assert refused.value.code == "INVALID_PERIOD"


def test_month_arithmetic():
    assert period_of(date(2027, 2, 28)) == "2027-02"
    assert first_day("2028-02") == date(2028, 2, 1)
    assert last_day("2028-02") == date(2028, 2, 29)  # a leap year
    assert last_day("2027-02") == date(2027, 2, 28)
    assert next_period("2027-12") == "2028-01"
    assert previous_period("2027-01") == "2026-12"
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 1, 31), 3) == date(2027, 4, 30)
    assert add_months(date(2027, 3, 31), -1) == date(2027, 2, 28)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 11, 30)))
def test_every_day_lies_in_its_period(day):
    period = period_of(day)
    assert first_day(period) <= day <= last_day(period)
    assert previous_period(next_period(period)) == period
    assert first_day(next_period(period)) == date.fromordinal(last_day(period).toordinal() + 1)


@pytest.mark.parametrize(
    "amount, shares, parts",
    [
        (30000, (5000, 2000, 3000), (15000, 6000, 9000)),
        (1, (5000, 2000, 3000), (1, 0, 0)),
        (1, (2000, 3000, 5000), (0, 0, 1)),
        (2, (3333, 3333, 3334), (1, 0, 1)),  # remainders .6666, .6666, .6668
        (10, (3333, 3334, 3333), (3, 4, 3)),
        (1, (3334, 3333, 3333), (1, 0, 0)),
        (2, (5000, 0, 5000), (1, 0, 1)),
        (1, (5000, 0, 5000), (1, 0, 0)),  # a tie goes to the party earlier in the order
        (0, (5000, 2000, 3000), (0, 0, 0)),
    ],
)
def test_largest_remainder_split_with_ties_in_party_order(amount, shares, parts):
    split = split_bp(amount, dict(zip(PARTIES, shares, strict=True)), PARTIES)
    assert split == dict(zip(PARTIES, parts, strict=True))


def test_a_split_refuses_what_makes_no_sense():
    with pytest.raises(ValueError):
        split_bp(-1, {"county": 10000}, PARTIES)
    with pytest.raises(ValueError):
        split_bp(1, {"county": 0}, PARTIES)
    with pytest.raises(ValueError):
        split_bp(1, {"agent": 10000}, PARTIES)


shares_bp = st.lists(st.integers(0, 10000), min_size=2, max_size=2).map(
    lambda cuts: (min(cuts), max(cuts) - min(cuts), 10000 - max(cuts))
)


@given(st.integers(0, 10**9), shares_bp)
def test_a_split_adds_up_to_the_fen_and_is_close_to_exact(amount, shares):
    split = split_bp(amount, dict(zip(PARTIES, shares, strict=True)), PARTIES)
    assert sum(split.values()) == amount
    for party, bp in zip(PARTIES, shares, strict=True):
        assert amount * bp // 10000 <= split[party] <= amount * bp // 10000 + 1


@pytest.mark.parametrize(
    "paid, owed",
    [
        (0, {"a": 0, "b": 0, "c": 0}),
        (500, {"a": 166, "b": 166, "c": 167}),
        (1000, {"a": 332, "b": 332, "c": 334}),
        (1001, {"a": 333, "b": 333, "c": 335}),  # the last instalment pays what floors held back
        (2000, {"a": 333, "b": 333, "c": 335}),  # an overpayment shares no more than the total
    ],
)
def test_pro_rata_floor_examples(paid, owed):
    assert pro_rata_floor(paid, 1001, {"a": 333, "b": 333, "c": 335}) == owed


weights = st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 10**7), min_size=1)


@given(weights, st.integers(0, 10**7), st.data())
def test_pro_rata_floor_is_monotone_never_overpays_and_is_exact_when_paid(w, extra, data):
    total = sum(w.values()) + extra
    if total == 0:
        total = 1
    first = data.draw(st.integers(0, total))
    second = data.draw(st.integers(first, total))
    low, high = pro_rata_floor(first, total, w), pro_rata_floor(second, total, w)
    assert all(low[key] <= high[key] <= w[key] for key in w)
    assert sum(low.values()) <= first and sum(high.values()) <= second
    if extra == 0 and sum(w.values()) > 0:
        assert pro_rata_floor(total, total, w) == w


def test_pro_rata_floor_refuses_impossible_weights():
    with pytest.raises(ValueError):
        pro_rata_floor(1, 10, {"a": 11})
    with pytest.raises(ValueError):
        pro_rata_floor(1, 0, {})
