"""Validators for ID numbers, credit codes, division codes and phones.

Every valid vector below was checked by hand: the weighted sums are written out so a reviewer can
redo them without trusting the code under test.
"""

from datetime import date

import pytest

from sanbao_common.validators import (
    DivisionCode,
    InvalidCode,
    credit_code_check_char,
    id_number_birth_date,
    id_number_check_digit,
    id_number_sex,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
    parse_division_code,
)

# -- resident ID numbers ---------------------------------------------------------------------
# Weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; sum mod 11 -> "10X98765432"[rest].

# GB 11643-1999 worked example:
# 1*7 + 1*9 + 0*10 + 1*5 + 0*8 + 5*4 + 1*2 + 9*1 + 4*6 + 9*3 + 1*7 + 2*9 + 3*10 + 1*5 + 0*8
#   + 0*4 + 2*2 = 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 -> "X"
STANDARD_EXAMPLE_X = "11010519491231002X"
# GB 11643-1999 worked example (born 1880):
# 4*7 + 4*9 + 0*10 + 5*5 + 2*8 + 4*4 + 1*2 + 8*1 + 8*6 + 0*3 + 0*7 + 1*9 + 0*10 + 1*5 + 0*8
#   + 0*4 + 1*2 = 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195; 195 mod 11 = 8 -> "4"
STANDARD_EXAMPLE_1880 = "440524188001010014"

# 个旧市, born 1990-03-15, sequence 001 (male):
# 5*7 + 3*9 + 2*10 + 5*5 + 0*8 + 1*4 + 1*2 + 9*1 + 9*6 + 0*3 + 0*7 + 3*9 + 1*10 + 5*5 + 0*8
#   + 0*4 + 1*2 = 35+27+20+25+0+4+2+9+54+0+0+27+10+25+0+0+2 = 240; 240 mod 11 = 9 -> "3"
GEJIU_MAN = "532501199003150013"
# 元阳县, born 1985-07-22, sequence 024 (female):
# 5*7 + 3*9 + 2*10 + 5*5 + 2*8 + 8*4 + 1*2 + 9*1 + 8*6 + 5*3 + 0*7 + 7*9 + 2*10 + 2*5 + 0*8
#   + 2*4 + 4*2 = 35+27+20+25+16+32+2+9+48+15+0+63+20+10+0+8+8 = 338; 338 mod 11 = 8 -> "4"
YUANYANG_WOMAN = "532528198507220244"
# 金平县, born on the leap day 2000-02-29, sequence 137 (male):
# 5*7 + 3*9 + 2*10 + 5*5 + 3*8 + 0*4 + 2*2 + 0*1 + 0*6 + 0*3 + 0*7 + 2*9 + 2*10 + 9*5 + 1*8
#   + 3*4 + 7*2 = 35+27+20+25+24+0+4+0+0+0+0+18+20+45+8+12+14 = 252; 252 mod 11 = 10 -> "2"
JINPING_LEAP_DAY = "532530200002291372"
# 昆明市五华区 (born outside the county), born 1978-11-05, sequence 056 (female):
# 5*7 + 3*9 + 0*10 + 1*5 + 0*8 + 2*4 + 1*2 + 9*1 + 7*6 + 8*3 + 1*7 + 1*9 + 0*10 + 5*5 + 0*8
#   + 5*4 + 6*2 = 35+27+0+5+0+8+2+9+42+24+7+9+0+25+0+20+12 = 225; 225 mod 11 = 5 -> "7"
KUNMING_WOMAN = "530102197811050567"

VALID_IDS = [
    STANDARD_EXAMPLE_X,
    STANDARD_EXAMPLE_1880,
    GEJIU_MAN,
    YUANYANG_WOMAN,
    JINPING_LEAP_DAY,
    KUNMING_WOMAN,
]


@pytest.mark.parametrize("number", VALID_IDS)
def test_hand_checked_id_numbers_are_valid(number):
    assert normalize_id_number(number) == number
    assert id_number_check_digit(number[:17]) == number[17]


@pytest.mark.parametrize("number", [STANDARD_EXAMPLE_X, STANDARD_EXAMPLE_1880, GEJIU_MAN])
def test_any_single_character_change_is_refused(number):
    for position, original in enumerate(number):
        for replacement in "0123456789X":
            if replacement == original:
                continue
            changed = number[:position] + replacement + number[position + 1 :]
            with pytest.raises(InvalidCode):
                normalize_id_number(changed)


def test_changed_check_digit_reports_check_digit():
    with pytest.raises(InvalidCode) as caught:
        normalize_id_number("110105194912310021")
    assert caught.value.reason == "check_digit"
    assert str(caught.value) == "ID number check digit is wrong / 身份证号校验码错误"


def test_lowercase_x_is_normalised_to_upper():
    assert normalize_id_number("11010519491231002x") == STANDARD_EXAMPLE_X


def test_full_width_and_surrounding_spaces_are_normalised():
    full_width = "\u3000１１０１０５１９４９１２３１００２ｘ "
    assert normalize_id_number(full_width) == STANDARD_EXAMPLE_X


def test_bad_province_is_refused_even_with_a_correct_check_digit():
    # Standard example with "11" replaced by "99": 9*7 + 9*9 = 144 instead of 1*7 + 1*9 = 16,
    # so the sum is 167 - 16 + 144 = 295; 295 mod 11 = 9 -> "3".
    with pytest.raises(InvalidCode) as caught:
        normalize_id_number("990105194912310023")
    assert caught.value.reason == "province"


def test_30_february_is_refused():
    # 1,1,0,1,0,5,1,9,9,0,0,2,3,0,0,0,2: 7+9+0+5+0+20+2+9+54+0+0+18+30+0+0+0+4 = 158;
    # 158 mod 11 = 4 -> "8", so only the date is wrong.
    with pytest.raises(InvalidCode) as caught:
        normalize_id_number("110105199002300028")
    assert caught.value.reason == "birth_date"
    # Refusals are stored (a roster's refused rows): a mistyped date sits near a real birth date,
    # so its digits are not repeated back.
    assert "19900230" not in str(caught.value)


def test_future_birth_date_depends_on_today():
    # 1,1,0,1,0,5,2,0,3,0,0,1,0,1,0,0,2: 7+9+0+5+0+20+4+0+18+0+0+9+0+5+0+0+4 = 81;
    # 81 mod 11 = 4 -> "8". Born 2030-01-01.
    number = "110105203001010028"
    with pytest.raises(InvalidCode) as caught:
        normalize_id_number(number, today=date(2024, 6, 1))
    assert caught.value.reason == "birth_date"
    assert "2030-01-01" not in str(caught.value) and "20300101" not in str(caught.value)
    assert normalize_id_number(number, today=date(2030, 1, 1)) == number


def test_birth_year_before_1800_is_refused():
    # Standard example with 1949 -> 1799: position 8 9->7 (weight 1, -2), position 9 4->9
    # (weight 6, +30): 167 - 2 + 30 = 195; 195 mod 11 = 8 -> "4".
    with pytest.raises(InvalidCode) as caught:
        normalize_id_number("110105179912310024")
    assert caught.value.reason == "birth_date"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("11010519491231002", "length"),
        ("11010519491231002X1", "length"),
        ("", "length"),
        ("1101051949A231002X", "charset"),
        ("110105194912310X2X", "charset"),
        ("11010519491231002Y", "charset"),
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "charset"),  # Arabic-Indic digits are not folded by NFKC
    ],
)
def test_malformed_id_numbers(text, reason):
    with pytest.raises(InvalidCode) as caught:
        normalize_id_number(text)
    assert caught.value.reason == reason
    assert " / " in str(caught.value)


def test_birth_date_and_sex():
    assert id_number_birth_date(STANDARD_EXAMPLE_X) == date(1949, 12, 31)
    assert id_number_birth_date(JINPING_LEAP_DAY) == date(2000, 2, 29)
    assert id_number_sex(STANDARD_EXAMPLE_X) == "female"  # 17th digit 2
    assert id_number_sex(GEJIU_MAN) == "male"  # 17th digit 1
    assert id_number_sex(YUANYANG_WOMAN) == "female"  # 17th digit 4
    assert id_number_sex(JINPING_LEAP_DAY) == "male"  # 17th digit 7


def test_check_digit_helper_refuses_bad_input():
    with pytest.raises(InvalidCode):
        id_number_check_digit("1101051949123100")
    with pytest.raises(InvalidCode):
        id_number_check_digit("1101051949123100A")


# -- unified social credit codes -------------------------------------------------------------
# Charset values: 0-9 = 0-9, A10 B11 C12 D13 E14 F15 G16 H17 J18 K19 L20 M21 N22 P23 Q24 R25
# T26 U27 W28 X29 Y30. Weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28.
# Check value = 31 - (sum mod 31), 31 -> 0.

# The example published with GB 32100:
# 9*1 + 1*3 + 3*9 + 5*27 + 0*19 + 1*26 + 0*16 + 0*17 + M21*20 + 0*29 + 0*25 + 0*13 + 1*8
#   + 0*24 + 0*10 + Y30*30 + 4*28 = 9+3+27+135+0+26+0+0+420+0+0+0+8+0+0+900+112 = 1640;
# 1640 mod 31 = 28 (31*52 = 1612); 31 - 28 = 3 -> "3"
PUBLISHED_CREDIT = "91350100M000100Y43"
# A 个旧市 enterprise:
# 9*1 + 1*3 + 5*9 + 3*27 + 2*19 + 5*26 + 0*16 + 1*17 + M21*20 + A10*29 + 6*25 + K19*13 + 0*8
#   + R25*24 + 1*10 + X29*30 + 2*28
#   = 9+3+45+81+38+130+0+17+420+290+150+247+0+600+10+870+56 = 2966;
# 2966 mod 31 = 21 (31*95 = 2945); 31 - 21 = 10 -> "A"
GEJIU_COMPANY = "91532501MA6K0R1X2A"
# A 元阳县 social organisation (民政):
# 5*1 + 2*3 + 5*9 + 3*27 + 2*19 + 5*26 + 2*16 + 8*17 + M21*20 + J18*29 + 0*25 + 1*13 + 2*8
#   + 3*24 + 4*10 + 5*30 + 6*28
#   = 5+6+45+81+38+130+32+136+420+522+0+13+16+72+40+150+168 = 1874;
# 1874 mod 31 = 14 (31*60 = 1860); 31 - 14 = 17 -> "H"
YUANYANG_SOCIETY = "52532528MJ0123456H"
# The same with M21 instead of 6 at position 17: 1874 - 6*28 + 21*28 = 1706 + 588 = 2294
# = 31*74, so sum mod 31 = 0; 31 - 0 = 31 -> 0 -> "0" (the wrap-around case)
WRAP_AROUND = "52532528MJ012345M0"

VALID_CREDIT_CODES = [PUBLISHED_CREDIT, GEJIU_COMPANY, YUANYANG_SOCIETY, WRAP_AROUND]


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_hand_checked_credit_codes_are_valid(code):
    assert normalize_credit_code(code) == code
    assert credit_code_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_single_character_changes_to_credit_codes_fail(code):
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for position, original in enumerate(code):
        for replacement in charset:
            if replacement == original:
                continue
            changed = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(InvalidCode):
                normalize_credit_code(changed)


@pytest.mark.parametrize("letter", "IOZSV")
def test_letters_never_used_are_refused(letter):
    with pytest.raises(InvalidCode) as caught:
        normalize_credit_code("91532501MA6K0R1X2" + letter)
    assert caught.value.reason == "charset"
    with pytest.raises(InvalidCode) as caught:
        normalize_credit_code("91532501M" + letter + "6K0R1X2A")
    assert caught.value.reason == "charset"


def test_lowercase_and_full_width_credit_codes_are_normalised():
    assert normalize_credit_code(" 91350100m000100y43 ") == PUBLISHED_CREDIT
    assert normalize_credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == PUBLISHED_CREDIT


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("91350100M000100Y4", "length"),
        ("91350100M000100Y433", "length"),
        # "10" is not a province: 9*1 + 1*3 + 1*9 + M21*20 + A10*29 = 9+3+9+420+290 = 731;
        # 731 mod 31 = 18 (31*23 = 713); 31 - 18 = 13 -> "D", so only the division is wrong.
        ("91100000MA0000000D", "province"),
        # Authority B: GEJIU_COMPANY's sum with 11 instead of 9 at weight 1 is 2968;
        # 2968 mod 31 = 23; 31 - 23 = 8 -> "8", so only the authority is wrong.
        ("B1532501MA6K0R1X28", "authority"),
        ("9153A501MA6K0R1X2A", "division"),
        ("91532501MA6K0R1X2B", "check_digit"),
    ],
)
def test_malformed_credit_codes(text, reason):
    with pytest.raises(InvalidCode) as caught:
        normalize_credit_code(text)
    assert caught.value.reason == reason


# -- administrative division codes -----------------------------------------------------------


def test_division_levels_parents_and_containment():
    county = parse_division_code("532501")
    township = parse_division_code("532501001")
    village = parse_division_code(" 532501001201 ")
    assert (county.level, township.level, village.level) == ("county", "township", "village")
    assert village.county == township.county == county.county == "532501"
    assert village.township == township.township == "532501001"
    assert county.township is None
    assert village.parent == township
    assert township.parent == county
    assert county.parent is None
    assert county.contains(village) and county.contains(township) and county.contains(county)
    assert township.contains(village)
    assert not village.contains(township)
    assert not township.contains(county)
    assert not county.contains(parse_division_code("532502001201"))
    assert not parse_division_code("532501002").contains(village)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("532500", "level"),  # 红河州 itself, a prefecture
        ("530000", "level"),  # 云南省
        ("530001", "level"),
        ("5325011", "length"),
        ("53250", "length"),
        ("532501000", "level"),
        ("532501001000", "level"),
        ("992501", "province"),
        ("10 2501", "charset"),
        ("53250A", "charset"),
    ],
)
def test_refused_division_codes(text, reason):
    with pytest.raises(InvalidCode) as caught:
        parse_division_code(text)
    assert caught.value.reason == reason


def test_required_level():
    assert parse_division_code("532501", level="county").code == "532501"
    with pytest.raises(InvalidCode) as caught:
        parse_division_code("532501001", level="county")
    assert caught.value.reason == "level"
    with pytest.raises(ValueError):
        parse_division_code("532501", level="prefecture")


def test_division_code_cannot_be_built_invalid():
    with pytest.raises(InvalidCode):
        DivisionCode("532500")
    assert parse_division_code("５３２５０１").code == "532501"


# -- mobile phone numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "13769347503",
        "+86 137 6934 7503",
        "137-6934-7503",
        "8613769347503",
        "+86-13769347503",
        "１３７６９３４７５０３",
        " 137 6934 7503 ",
    ],
)
def test_accepted_phones(text):
    assert normalize_phone(text) == "13769347503"


@pytest.mark.parametrize(
    "text",
    ["12769347503", "1376934750", "137693475031", "+8612769347503", "+1 13769347503", "", "abc"],
)
def test_refused_phones(text):
    with pytest.raises(InvalidCode) as caught:
        normalize_phone(text)
    assert caught.value.reason == "phone"
