"""The unified social credit code check (GB 32100-2015) as properties: every code built by the
standard's rule is accepted, in any of the forms a clerk types it, and every slip a clerk makes
copying one (a character changed, two neighbours swapped, one left out or doubled) is refused
with a reason. The worked examples are in test_validators.py."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanbao_common.validators import (
    CREDIT_CHARSET,
    PROVINCE_CODES,
    InvalidCode,
    credit_code_check_char,
    normalize_credit_code,
)

AUTHORITIES = "123456789ANY"


@st.composite
def credit_codes(draw) -> str:
    """A code as a registration authority issues one: authority, category, a division code of a
    real province, the organisation's nine characters, and the check character."""
    authority = draw(st.sampled_from(AUTHORITIES))
    category = draw(st.sampled_from("12359"))
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    division = province + draw(st.text("0123456789", min_size=4, max_size=4))
    body = draw(st.text(CREDIT_CHARSET, min_size=9, max_size=9))
    first17 = authority + category + division + body
    return first17 + credit_code_check_char(first17)


@given(credit_codes())
def test_every_code_built_by_the_rule_is_accepted_as_it_is(code):
    assert normalize_credit_code(code) == code


@given(credit_codes(), st.sampled_from(["lower", "full_width", "spaces"]))
def test_the_forms_a_clerk_types_are_the_same_code(code, form):
    typed = {
        "lower": code.lower(),
        "full_width": "".join(chr(ord(c) + 0xFEE0) for c in code),  # what a Chinese IME gives
        "spaces": f"  {code}\t",
    }[form]
    assert normalize_credit_code(typed) == code


@given(credit_codes(), st.integers(0, 17), st.sampled_from(CREDIT_CHARSET))
def test_any_one_character_changed_is_refused(code, position, replacement):
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(InvalidCode) as caught:
        normalize_credit_code(changed)
    assert caught.value.reason in {"check_digit", "authority", "division", "province"}


@given(credit_codes(), st.integers(0, 15))
def test_two_neighbours_swapped_are_refused(code, position):
    # MOD 31 with weights 3^i: swapping a and b changes the sum by (a - b) * 2 * 3^i, never a
    # multiple of 31 unless a == b. (A swap with the check character itself can go unseen.)
    a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2 :]
    with pytest.raises(InvalidCode):
        normalize_credit_code(swapped)


@given(credit_codes(), st.integers(0, 17))
def test_a_character_left_out_or_doubled_is_refused_by_length(code, position):
    for slip in (code[:position] + code[position + 1 :], code[: position + 1] + code[position:]):
        with pytest.raises(InvalidCode) as caught:
            normalize_credit_code(slip)
        assert caught.value.reason == "length"


@given(credit_codes(), st.sampled_from("IOZSV"), st.integers(0, 17))
def test_letters_the_standard_never_uses_are_named(code, letter, position):
    with pytest.raises(InvalidCode) as caught:
        normalize_credit_code(code[:position] + letter + code[position + 1 :])
    assert caught.value.reason == "charset"
    assert letter in caught.value.message_en


@pytest.mark.parametrize("text", ["", "—" * 18, "532501199001011239"])
def test_what_is_no_credit_code_at_all_is_refused(text):
    # The last is a valid resident ID number: position 3-4 "25" is no province.
    with pytest.raises(InvalidCode):
        normalize_credit_code(text)


def test_the_refusal_reads_in_both_languages():
    with pytest.raises(InvalidCode) as caught:
        normalize_credit_code("91350100M000100Y44")
    assert str(caught.value) == (
        "credit code check character is wrong / 统一社会信用代码校验码错误"
    )
