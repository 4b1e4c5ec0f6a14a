"""Sample data must be valid by the validators and reproducible per seed."""

import pytest

from sanbao_common.sample_data import HONGHE_COUNTIES, SampleData
from sanbao_common.validators import (
    id_number_birth_date,
    id_number_sex,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
    parse_division_code,
)

ROUNDS = 300
HONGHE_CODES = {code for code, _ in HONGHE_COUNTIES}


def test_honghe_counties_are_the_thirteen_county_codes():
    assert len(HONGHE_COUNTIES) == 13 == len(HONGHE_CODES)
    assert all(code.startswith("5325") for code in HONGHE_CODES)
    assert dict(HONGHE_COUNTIES)["532501"] == "个旧市"
    assert dict(HONGHE_COUNTIES)["532532"] == "河口瑶族自治县"
    for code in HONGHE_CODES:
        assert parse_division_code(code, level="county").code == code


def test_generated_id_numbers_are_valid():
    data = SampleData(1)
    for _ in range(ROUNDS):
        number = data.id_number()
        assert normalize_id_number(number) == number
        assert number.startswith("532501")
        assert 1966 <= id_number_birth_date(number).year <= 2006
        assert number[14:17] != "000"


@pytest.mark.parametrize("sex", ["male", "female"])
def test_id_number_sex_county_and_year_range(sex):
    data = SampleData(2)
    for code, _ in HONGHE_COUNTIES:
        for _ in range(20):
            number = data.id_number(code, birth_year_range=(1990, 1991), sex=sex)
            assert normalize_id_number(number) == number
            assert number[:6] == code
            assert id_number_sex(number) == sex
            assert id_number_birth_date(number).year in (1990, 1991)


def test_outsider_id_numbers_are_valid_and_from_elsewhere():
    data = SampleData(3)
    seen = set()
    for _ in range(ROUNDS):
        number = data.outsider_id_number()
        assert normalize_id_number(number) == number
        assert number[:6] not in HONGHE_CODES
        assert not number.startswith("5325")
        parse_division_code(number[:6], level="county")
        seen.add(number[:6])
    assert len(seen) > 1


def test_generated_phones_are_valid():
    data = SampleData(4)
    for _ in range(ROUNDS):
        phone = data.phone()
        assert normalize_phone(phone) == phone


def test_generated_village_codes_are_valid():
    data = SampleData(5)
    for county in ("532501", "532528"):
        for _ in range(ROUNDS // 2):
            village = parse_division_code(data.village_code(county), level="village")
            assert village.county == county


def test_generated_credit_codes_are_valid_honghe_enterprises():
    data = SampleData(6)
    for _ in range(ROUNDS):
        code = data.credit_code()
        assert normalize_credit_code(code) == code
        assert code.startswith("91")
        assert code[2:8] in HONGHE_CODES


def test_names_look_chinese():
    data = SampleData(7)
    for _ in range(ROUNDS):
        name = data.name()
        assert 2 <= len(name) <= 3
        assert all("\u4e00" <= char <= "\u9fff" for char in name)


def _draw(seed: int) -> list[str]:
    data = SampleData(seed)
    return [
        call()
        for _ in range(20)
        for call in (
            data.name,
            data.id_number,
            data.outsider_id_number,
            data.phone,
            data.village_code,
            data.credit_code,
        )
    ]


def test_same_seed_same_sequence():
    assert _draw(42) == _draw(42)


def test_different_seeds_differ():
    assert _draw(42) != _draw(43)


def test_global_random_is_not_used():
    import random

    before = random.getstate()
    _draw(9)
    assert random.getstate() == before


def test_bad_arguments_are_refused():
    data = SampleData(8)
    with pytest.raises(ValueError):
        data.id_number("532500")
    with pytest.raises(ValueError):
        data.id_number(sex="other")
    with pytest.raises(ValueError):
        data.village_code("53250")
