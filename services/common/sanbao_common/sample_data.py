"""Deterministic, valid-looking people and organisations for tests, benchmarks and the demo.

Everything comes from one `random.Random(seed)`, so a seed names a data set: the same seed and
the same sequence of calls give the same names and codes on every machine. The codes are valid
(check digits included) but made up; any match with a real person or company is chance.
"""

from __future__ import annotations

import random
from datetime import date

from sanbao_common.validators import (
    CREDIT_CHARSET,
    credit_code_check_char,
    id_number_check_digit,
    parse_division_code,
)

HONGHE_COUNTIES: tuple[tuple[str, str], ...] = (
    ("532501", "个旧市"),
    ("532502", "开远市"),
    ("532503", "蒙自市"),
    ("532504", "弥勒市"),
    ("532523", "屏边苗族自治县"),
    ("532524", "建水县"),
    ("532525", "石屏县"),
    ("532527", "泸西县"),
    ("532528", "元阳县"),
    ("532529", "红河县"),
    ("532530", "金平苗族瑶族傣族自治县"),
    ("532531", "绿春县"),
    ("532532", "河口瑶族自治县"),
)

# Real county-level codes outside Honghe: people born elsewhere register where they live now.
OUTSIDER_COUNTIES: tuple[tuple[str, str], ...] = (
    ("530102", "昆明市五华区"),
    ("530111", "昆明市官渡区"),
    ("532601", "文山市"),
    ("510107", "成都市武侯区"),
    ("440305", "深圳市南山区"),
    ("522601", "凯里市"),
)

# Common Han surnames plus ones frequent among the Hani, Yi, Miao, Yao and Dai of southern Yunnan.
SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许邓冯韩曹普白陶龙卢沙者毕鲁熊侯项盘刀施段"
)
GIVEN_NAME_CHARS = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红文云建国志春梅海"
    "德成福荣金兴昌光发正祥晓雪佳琳俊斌鹏宇浩娅翠芬顺"
)
MOBILE_PREFIXES = (
    *("135", "137", "139", "150", "151", "158", "187", "188"),  # China Mobile
    *("133", "177", "189", "199"),  # China Telecom
)

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code check


def _org_code_check_char(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    total = sum(int(char, 36) * weight for char, weight in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _county_code(county: str) -> str:
    return parse_division_code(county, level="county").code


class SampleData:
    """A reproducible source of sample names and codes; see the module docstring."""

    def __init__(self, seed: int):
        self.seed = seed
        self._rng = random.Random(seed)

    def name(self) -> str:
        """Surname plus one or (more often) two given-name characters."""
        given_count = 2 if self._rng.random() < 0.75 else 1
        given = "".join(self._rng.choice(GIVEN_NAME_CHARS) for _ in range(given_count))
        return self._rng.choice(SURNAMES) + given

    def id_number(
        self,
        county: str = "532501",
        birth_year_range: tuple[int, int] = (1966, 2006),
        sex: str | None = None,
    ) -> str:
        """A valid ID number issued in `county`, born in the (inclusive) year range."""
        county = _county_code(county)
        if sex not in (None, "male", "female"):
            raise ValueError(f"sex must be 'male', 'female' or None, not {sex!r}")
        sex = sex or self._rng.choice(("male", "female"))
        born = self._birth_date(*birth_year_range)
        # Sequence numbers: odd for men, even for women, never 000.
        if sex == "male":
            sequence = self._rng.randrange(500) * 2 + 1
        else:
            sequence = self._rng.randrange(1, 500) * 2
        first17 = f"{county}{born:%Y%m%d}{sequence:03d}"
        return first17 + id_number_check_digit(first17)

    def outsider_id_number(
        self, birth_year_range: tuple[int, int] = (1966, 2006), sex: str | None = None
    ) -> str:
        """A valid ID number first issued in a county outside Honghe."""
        county = self._rng.choice(OUTSIDER_COUNTIES)[0]
        return self.id_number(county, birth_year_range, sex)

    def _birth_date(self, first_year: int, last_year: int) -> date:
        # Clamped to today so that a range reaching into the future still yields valid numbers.
        first = date(first_year, 1, 1).toordinal()
        last = min(date(last_year, 12, 31), date.today()).toordinal()
        if last < first:
            raise ValueError(f"empty birth year range {first_year}-{last_year}")
        return date.fromordinal(self._rng.randint(first, last))

    def phone(self) -> str:
        """An 11-digit mainland mobile number with a common carrier prefix."""
        return self._rng.choice(MOBILE_PREFIXES) + f"{self._rng.randrange(10**8):08d}"

    def village_code(self, county: str = "532501") -> str:
        """A 12-digit village code: township 001-015, village committee 201-220."""
        county = _county_code(county)
        return f"{county}{self._rng.randint(1, 15):03d}{self._rng.randint(201, 220):03d}"

    def credit_code(self) -> str:
        """A valid credit code of an enterprise ("91") registered in a Honghe county."""
        county = self._rng.choice(HONGHE_COUNTIES)[0]
        # Codes issued since 2015 use "MA" + 6 characters as the organisation code body.
        body = "MA" + "".join(self._rng.choice(CREDIT_CHARSET) for _ in range(6))
        first17 = f"91{county}{body}{_org_code_check_char(body)}"
        return first17 + credit_code_check_char(first17)
