"""Integer-fen money: parsing, formatting and the largest-remainder split."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanbao_common.money import InvalidAmount, format_yuan, parse_yuan, split_largest_remainder

# No example database: the tests must not write into the shared tree.
properties = settings(database=None, max_examples=300, deadline=None)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1234", 123400),
        ("1234.5", 123450),
        ("1234.50", 123450),
        ("0.01", 1),
        ("0", 0),
        ("0.5", 50),
        ("0.00", 0),
        ("1,234.50", 123450),
        ("12,345,678.9", 1234567890),
        ("123,456", 12345600),
        ("１２３", 12300),
        ("１，２３４．５", 123450),
        ("  42.10\t", 4210),
        ("\u300042\u3000", 4200),  # ideographic spaces around the number
        ("9999999999999.99", 10**15 - 1),
    ],
)
def test_accepted_amounts(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [("-5", -500), ("-0.05", -5), ("－１２．３", -1230), ("-1,000", -100000), ("-0", 0)],
)
def test_negative_amounts_when_allowed(text, fen):
    assert parse_yuan(text, allow_negative=True) == fen


@pytest.mark.parametrize("text", ["-5", "-0.05", "－１２．３"])
def test_negative_amounts_refused_by_default(text):
    with pytest.raises(InvalidAmount) as caught:
        parse_yuan(text)
    assert caught.value.reason == "negative"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("1.005", "precision"),
        ("0.001", "precision"),
        ("1e3", "exponent"),
        ("1E3", "exponent"),
        ("1.5e-2", "exponent"),
        ("nan", "not_number"),
        ("NaN", "not_number"),
        ("inf", "not_number"),
        ("Infinity", "not_number"),
        ("+5", "sign"),
        ("¥5", "currency_symbol"),
        ("￥5", "currency_symbol"),
        ("$5", "currency_symbol"),
        ("5元", "currency_symbol"),
        ("€5", "currency_symbol"),
        ("1 234", "space"),
        ("12 .5", "space"),
        (".5", "decimal_point"),
        ("5.", "decimal_point"),
        ("007", "leading_zero"),
        ("00.5", "leading_zero"),
        ("012,345", "grouping"),
        ("12,34.5", "grouping"),
        ("1,2345", "grouping"),
        ("1,234,56", "grouping"),
        (",123", "grouping"),
        ("10000000000000", "too_large"),  # exactly 10**15 fen
        ("10,000,000,000,000.00", "too_large"),
        ("123456789012345678901234567890", "too_large"),
        ("1.2.3", "syntax"),
        ("abc", "syntax"),
        ("١٢٣", "syntax"),  # Arabic-Indic digits: NFKC leaves them alone, and so do we
        ("5-", "syntax"),
    ],
)
def test_refused_amounts(text, reason):
    with pytest.raises(InvalidAmount) as caught:
        parse_yuan(text)
    assert caught.value.reason == reason
    english, separator, chinese = str(caught.value).partition(" / ")
    assert english and separator and chinese


def test_currency_refusal_says_so():
    with pytest.raises(InvalidAmount, match="currency"):
        parse_yuan("¥5")


def test_double_minus_refused_even_when_negatives_allowed():
    with pytest.raises(InvalidAmount):
        parse_yuan("--5", allow_negative=True)
    with pytest.raises(InvalidAmount):
        parse_yuan("-", allow_negative=True)


def test_parse_refuses_non_strings():
    with pytest.raises(TypeError):
        parse_yuan(12.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fen", "plain", "grouped"),
    [
        (123450, "1234.50", "1,234.50"),
        (-5, "-0.05", "-0.05"),
        (0, "0.00", "0.00"),
        (1, "0.01", "0.01"),
        (100, "1.00", "1.00"),
        (-123456789, "-1234567.89", "-1,234,567.89"),
        (10**15 - 1, "9999999999999.99", "9,999,999,999,999.99"),
    ],
)
def test_format_yuan(fen, plain, grouped):
    assert format_yuan(fen) == plain
    assert format_yuan(fen, grouping=True) == grouped


@pytest.mark.parametrize("value", [True, False, 1.5, "100", None])
def test_format_refuses_non_int(value):
    with pytest.raises(TypeError):
        format_yuan(value)  # type: ignore[arg-type]


@properties
@given(st.integers(min_value=0, max_value=10**15 - 1))
def test_format_then_parse_round_trips(fen):
    assert parse_yuan(format_yuan(fen)) == fen
    assert parse_yuan(format_yuan(fen, grouping=True)) == fen


@properties
@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_signed_round_trip(fen):
    assert parse_yuan(format_yuan(fen, grouping=True), allow_negative=True) == fen


# -- largest-remainder split -----------------------------------------------------------------


def test_split_hand_worked_thirds():
    # 100 * 1/3 = 33 rest 1 for each party; 100 - 99 = 1 fen left, remainders tie, first wins.
    assert split_largest_remainder(100, [("a", 1), ("b", 1), ("c", 1)]) == {
        "a": 34,
        "b": 33,
        "c": 33,
    }


def test_split_single_fen_goes_to_first_party_on_tie():
    assert split_largest_remainder(1, [("x", 1), ("y", 1)]) == {"x": 1, "y": 0}
    assert split_largest_remainder(1, [("y", 1), ("x", 1)]) == {"y": 1, "x": 0}


def test_split_largest_remainder_beats_order():
    # 10 fen by 2500:2500:5000 basis points: exact shares 2.5, 2.5, 5 -> floors 2, 2, 5 (sum 9);
    # 1 fen left; remainders 0.5, 0.5, 0 tie between a and b -> the earlier party, a, gets it.
    assert split_largest_remainder(10, [("a", 2500), ("b", 2500), ("c", 5000)]) == {
        "a": 3,
        "b": 2,
        "c": 5,
    }
    # 10 fen by 1:3:6 -> exact 1, 3, 6, nothing left over.
    assert split_largest_remainder(10, [("a", 1), ("b", 3), ("c", 6)]) == {"a": 1, "b": 3, "c": 6}
    # 7 fen by 1:2:4 exact: 1, 2, 4.  8 fen by 1:2:4: 8/7, 16/7, 32/7 -> floors 1, 2, 4 (sum 7);
    # remainders 1/7, 2/7, 4/7 -> the last party (largest remainder) gets the extra fen.
    assert split_largest_remainder(8, [("a", 1), ("b", 2), ("c", 4)]) == {"a": 1, "b": 2, "c": 5}


def test_split_zero_total():
    assert split_largest_remainder(0, [("a", 3), ("b", 7)]) == {"a": 0, "b": 0}


@pytest.mark.parametrize(
    ("total", "weights"),
    [
        (-1, [("a", 1)]),
        (100, []),
        (100, [("a", 0)]),
        (100, [("a", 1), ("b", -1)]),
        (100, [("a", 1), ("a", 2)]),
        (100, [("a", 1.5)]),
        (100, [("a", True)]),
    ],
)
def test_split_refuses_bad_input(total, weights):
    with pytest.raises(ValueError):
        split_largest_remainder(total, weights)


parties = st.lists(
    st.tuples(st.text(min_size=1, max_size=4), st.integers(min_value=1, max_value=10**6)),
    min_size=1,
    max_size=12,
    unique_by=lambda party: party[0],
)


@properties
@given(st.integers(min_value=0, max_value=10**15), parties)
def test_split_properties(total, weights):
    parts = split_largest_remainder(total, weights)
    assert list(parts) == [name for name, _ in weights]
    assert sum(parts.values()) == total
    weight_sum = sum(weight for _, weight in weights)
    for name, weight in weights:
        # |part - total*weight/weight_sum| < 1, multiplied through by weight_sum.
        assert abs(parts[name] * weight_sum - total * weight) < weight_sum
        assert parts[name] >= 0
    assert split_largest_remainder(total, list(weights)) == parts
