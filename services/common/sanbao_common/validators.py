"""Checks for the codes a labour-export record is keyed on.

Resident ID numbers (GB 11643-1999), unified social credit codes (GB 32100-2015), administrative
division codes (GB/T 2260 county level, extended to township and village) and mainland mobile
numbers. Clerks type these from paper and phones, often with a Chinese IME switched to full-width,
so every `normalize_*`/`parse_*` function first folds the text with NFKC and only then validates.

Every refusal is an `InvalidCode` whose `reason` is a stable short code a caller can branch on and
whose text is "English / 中文" so it can be shown to either audience unchanged.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

# Province-level codes in use. 71 (Taiwan) and 81/82/83 appear on residence permits for Hong Kong,
# Macau and Taiwan residents, who can register as job seekers too.
_PROVINCE_RANGES = ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65), (71, 71), (81, 83))
PROVINCE_CODES = frozenset(
    f"{n:02d}" for low, high in _PROVINCE_RANGES for n in range(low, high + 1)
)

_DIGITS = re.compile(r"[0-9]+", re.ASCII)  # str.isdigit() would let Arabic-Indic digits through


class InvalidCode(ValueError):
    """A code the user typed is not valid; `reason` says which rule it broke."""

    def __init__(self, reason: str, message_en: str, message_zh: str):
        self.reason = reason
        self.message_en = message_en
        self.message_zh = message_zh
        super().__init__(f"{message_en} / {message_zh}")


def _fold(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    return unicodedata.normalize("NFKC", text).strip()


def _is_digits(text: str) -> bool:
    return _DIGITS.fullmatch(text) is not None


def _check_province(code: str, what_en: str, what_zh: str) -> None:
    if code not in PROVINCE_CODES:
        raise InvalidCode(
            "province",
            f"{what_en} does not start with a valid province code ({code})",
            f"{what_zh}的省级代码无效（{code}）",
        )


# -- resident ID number (GB 11643-1999) ------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_EARLIEST_YEAR = 1800  # GB 11643's own worked example is born in 1880


def id_number_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    if len(first17) != 17:
        raise InvalidCode("length", "expected 17 digits", "应为17位数字")
    if not _is_digits(first17):
        raise InvalidCode("charset", "expected digits only", "只能包含数字")
    # map() over the digits: this runs for every row of a 100,000-row roster.
    total = sum(map(operator.mul, map(int, first17), _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def _id_birth_date(number: str) -> date:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidCode(
            "birth_date",
            # The digits are not echoed: a refusal is stored, and a typo sits near a birth date.
            "ID number has no such birth date",
            "身份证号中的出生日期不存在",
        ) from None


def normalize_id_number(text: str, *, today: date | None = None) -> str:
    """The canonical 18-character ID number, or InvalidCode.

    Only the province part of the address code is checked: the address code records where the
    number was first issued, and people born outside the county are registered too.
    """
    number = _fold(text)
    if number.endswith("x"):
        number = number[:-1] + "X"
    if len(number) != 18:
        raise InvalidCode(
            "length",
            f"ID number must have 18 characters, not {len(number)}",
            f"身份证号应为18位，当前为{len(number)}位",
        )
    if not _is_digits(number[:17]) or not (_is_digits(number[17]) or number[17] == "X"):
        raise InvalidCode(
            "charset",
            "ID number must be 17 digits followed by a digit or X",
            "身份证号应为17位数字加1位数字或X",
        )
    _check_province(number[:2], "ID number", "身份证号")
    born = _id_birth_date(number)
    today = today or date.today()
    if born.year < _ID_EARLIEST_YEAR or born > today:
        raise InvalidCode(
            "birth_date",
            f"ID number birth date is out of range (born in {born.year})",
            f"身份证号中的出生日期超出范围（{born.year}年）",
        )
    if id_number_check_digit(number[:17]) != number[17]:
        raise InvalidCode("check_digit", "ID number check digit is wrong", "身份证号校验码错误")
    return number


def id_number_birth_date(id_number: str) -> date:
    """Birth date recorded in a (validated) ID number."""
    return _id_birth_date(normalize_id_number(id_number))


def id_number_sex(id_number: str) -> str:
    """'male' or 'female': GB 11643 gives men odd and women even sequence numbers."""
    return "male" if int(normalize_id_number(id_number)[16]) % 2 else "female"


# -- unified social credit code (GB 32100-2015) ----------------------------------------------

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V: too easy to misread
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# 1 机构编制, 5 民政, 9 工商, Y 其他 are in the standard; the rest were assigned later and occur.
_CREDIT_AUTHORITIES = frozenset("123456789ANY")


def credit_code_check_char(first17: str) -> str:
    """GB 32100 check character (MOD 31) for the first 17 characters of a credit code."""
    if len(first17) != 17:
        raise InvalidCode("length", "expected 17 characters", "应为17位字符")
    if any(char not in CREDIT_CHARSET for char in first17):
        raise InvalidCode(
            "charset", "character not allowed in a credit code", "含有信用代码不允许的字符"
        )
    total = sum(
        CREDIT_CHARSET.index(char) * weight
        for char, weight in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def normalize_credit_code(text: str) -> str:
    """The canonical 18-character unified social credit code, or InvalidCode."""
    code = _fold(text).upper()
    if len(code) != 18:
        raise InvalidCode(
            "length",
            f"credit code must have 18 characters, not {len(code)}",
            f"统一社会信用代码应为18位，当前为{len(code)}位",
        )
    bad = sorted({char for char in code if char not in CREDIT_CHARSET})
    if bad:
        raise InvalidCode(
            "charset",
            f"credit code contains characters it never uses: {''.join(bad)}"
            " (I, O, Z, S and V never occur)",
            f"统一社会信用代码含有不使用的字符：{''.join(bad)}（不使用I、O、Z、S、V）",
        )
    if code[0] not in _CREDIT_AUTHORITIES:
        raise InvalidCode(
            "authority",
            f"credit code has an unknown registration authority ({code[0]})",
            f"统一社会信用代码的登记管理部门代码无效（{code[0]}）",
        )
    if not _is_digits(code[2:8]):
        raise InvalidCode(
            "division",
            "credit code positions 3-8 must be a division code of six digits",
            "统一社会信用代码第3-8位应为6位行政区划码",
        )
    _check_province(code[2:4], "credit code division part", "统一社会信用代码的行政区划码")
    if credit_code_check_char(code[:17]) != code[17]:
        raise InvalidCode(
            "check_digit", "credit code check character is wrong", "统一社会信用代码校验码错误"
        )
    return code


# -- administrative division codes -----------------------------------------------------------

_LEVELS = {6: "county", 9: "township", 12: "village"}


def _division_problem(code: str) -> InvalidCode | None:
    if not _is_digits(code):
        return InvalidCode("charset", "division code must be digits only", "行政区划码只能包含数字")
    if len(code) not in _LEVELS:
        return InvalidCode(
            "length",
            f"division code must have 6, 9 or 12 digits, not {len(code)}",
            f"行政区划码应为6、9或12位，当前为{len(code)}位",
        )
    if code[:2] not in PROVINCE_CODES:
        return InvalidCode(
            "province",
            f"division code has no such province ({code[:2]})",
            f"行政区划码的省级代码无效（{code[:2]}）",
        )
    # All-zero digits at a level stand for "the whole parent unit" (532500 is the prefecture,
    # 530000 the province), so such a code is not a unit of the level its length claims.
    for start, end, zeros in ((2, 4, "00"), (4, 6, "00"), (6, 9, "000"), (9, 12, "000")):
        if len(code) >= end and code[start:end] == zeros:
            return InvalidCode(
                "level",
                f"{code} is a code of a higher level padded with zeros, not a {_LEVELS[len(code)]}",
                f"{code}是上级区划补零的代码，不是有效的{_level_zh(_LEVELS[len(code)])}代码",
            )
    return None


def _level_zh(level: str) -> str:
    return {"county": "县级", "township": "乡级", "village": "村级"}[level]


@dataclass(frozen=True)
class DivisionCode:
    """A county (6), township (9) or village (12 digits) division code; valid by construction."""

    code: str

    def __post_init__(self) -> None:
        if not isinstance(self.code, str):
            raise TypeError("division code must be a str")
        problem = _division_problem(self.code)
        if problem:
            raise problem

    @property
    def level(self) -> str:
        return _LEVELS[len(self.code)]

    @property
    def county(self) -> str:
        return self.code[:6]

    @property
    def township(self) -> str | None:
        return self.code[:9] if len(self.code) >= 9 else None

    @property
    def parent(self) -> DivisionCode | None:
        return DivisionCode(self.code[:-3]) if len(self.code) > 6 else None

    def contains(self, other: DivisionCode) -> bool:
        """True if `other` is this unit or lies inside it."""
        return other.code.startswith(self.code)

    def __str__(self) -> str:
        return self.code


def parse_division_code(text: str, *, level: str | None = None) -> DivisionCode:
    """A DivisionCode from user text; `level` ("county"/"township"/"village") demands that level."""
    if level is not None and level not in _LEVELS.values():
        raise ValueError(f"unknown division level {level!r}")
    division = DivisionCode(_fold(text))
    if level is not None and division.level != level:
        raise InvalidCode(
            "level",
            f"expected a {level} code, got a {division.level} code ({division.code})",
            f"应为{_level_zh(level)}区划码，实际为{_level_zh(division.level)}区划码（{division.code}）",
        )
    return division


# -- mainland mobile numbers -----------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
_SEPARATORS = re.compile(r"[\s-]+")


def normalize_phone(text: str) -> str:
    """The 11-digit mainland mobile number, without country code or separators, or InvalidCode."""
    phone = _SEPARATORS.sub("", _fold(text))
    for prefix in ("+86", "86"):
        if phone.startswith(prefix) and len(phone) == len(prefix) + 11:
            phone = phone[len(prefix) :]
            break
    if not _MOBILE.fullmatch(phone):
        raise InvalidCode(
            "phone",
            "not a mainland mobile number (11 digits starting 13-19)",
            "不是有效的大陆手机号（11位，以13-19开头）",
        )
    return phone
