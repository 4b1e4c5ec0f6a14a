"""What a masked ID number or phone leaves to an attacker who also knows the person's sex, birth
year and village (so the region code and the phone's HLR block): at least 10,000 real numbers,
counted by the attacker's own tool (tests/reidentify.py), for whatever masked forms
`sanbao_common.privacy` produces."""

import io
from datetime import date, timedelta

import pytest

from reidentify import (
    ID_CHECK,
    MIN_CANDIDATES,
    REGIONS,
    findings,
    id_candidate_counts,
    id_candidates,
    phone_candidates,
)
from sanbao_common.privacy import mask_id_number, mask_phone
from sanbao_common.sample_data import HONGHE_COUNTIES, SampleData
from sanbao_common.validators import id_number_birth_date, id_number_check_digit, id_number_sex

WORKING_AGE_BIRTH_YEARS = range(2026 - 64, 2026 - 16 + 1)  # 16 to 64 in 2026: 1962-2010


def old_mask_id_number(id_number: str) -> str:
    """The form before issue 11: region code and the last 4 characters."""
    return id_number[:6] + "*" * 8 + id_number[-4:]


def old_mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def brute_force_ids(masked: str, *, birth_year: int, sex: str, regions) -> set[str]:
    """Every valid ID number that fits `masked`, built one by one (the slow, obvious way)."""
    masked = masked.upper()
    fits = [i for i, char in enumerate(masked) if char != "*"]
    found = set()
    day = date(birth_year, 1, 1)
    while day.year == birth_year:
        for region in regions:
            for sequence in range(1 if sex == "male" else 0, 1000, 2):
                first17 = f"{region}{day:%Y%m%d}{sequence:03d}"
                number = first17 + id_number_check_digit(first17)
                if all(number[i] == masked[i] for i in fits):
                    found.add(number)
        day += timedelta(days=1)
    return found


def people(count: int, seed: int) -> list[tuple[str, str]]:
    """(ID number, phone) of generated people of Honghe's counties and from elsewhere."""
    sample = SampleData(seed)
    made = []
    for index in range(count):
        if index % 5 == 4:
            number = sample.outsider_id_number(birth_year_range=(1962, 2010))
        else:
            county = HONGHE_COUNTIES[index % len(HONGHE_COUNTIES)][0]
            number = sample.id_number(county, birth_year_range=(1962, 2010))
        made.append((number, sample.phone()))
    return made


def test_the_fast_count_is_the_slow_count():
    """One person, every number of their birth year built: the bucket count agrees exactly,
    for today's masked form and the old one, and the true number is among them."""
    number = "532501199003150013"
    born, sex = id_number_birth_date(number), id_number_sex(number)
    for masked in (mask_id_number(number), old_mask_id_number(number)):
        every = brute_force_ids(masked, birth_year=born.year, sex=sex, regions=[number[:6]])
        assert number in every
        counted = id_candidates(masked, birth_year=born.year, sex=sex, regions=REGIONS)
        assert counted == len(every), masked


def test_every_region_birth_year_sex_and_check_digit_leaves_enough():
    """The whole candidate space of a role that sees masked records: each region code, each
    birth year of working age, each sex, each of the 11 check characters."""
    fewest = None
    for region in REGIONS:
        for year in WORKING_AGE_BIRTH_YEARS:
            for sex in ("male", "female"):
                # A real number for each check character, found by walking sequence numbers.
                numbers = {}
                sequence = 1 if sex == "male" else 2
                while len(numbers) < len(ID_CHECK):
                    first17 = f"{region}{date(year, 1, 1) + timedelta(days=sequence):%Y%m%d}"
                    first17 += f"{sequence:03d}"
                    numbers.setdefault(id_number_check_digit(first17), first17)
                    sequence += 2
                counts: dict[str, dict[str, int]] = {}  # by the masked form's first 17
                for check, first17 in numbers.items():
                    masked = mask_id_number(first17 + check)
                    if masked[:17] not in counts:
                        counts[masked[:17]] = id_candidate_counts(
                            masked, birth_year=year, sex=sex, regions=REGIONS
                        )
                    shown = counts[masked[:17]]
                    left = sum(n for char, n in shown.items() if masked[17] in ("*", char))
                    if fewest is None or left < fewest[0]:
                        fewest = (left, masked, year, sex)
    assert fewest[0] >= MIN_CANDIDATES, f"{fewest[1]} born {fewest[2]}, {fewest[3]}: {fewest[0]}"


def test_generated_people_each_leave_at_least_10000_ID_numbers():
    for number, _ in people(20, seed=11):
        born, sex = id_number_birth_date(number), id_number_sex(number)
        masked = mask_id_number(number)
        regions = {*REGIONS, number[:6]}
        counts = id_candidate_counts(masked, birth_year=born.year, sex=sex, regions=regions)
        assert counts[number[17]] > 0  # the true number is among those counted
        left = id_candidates(masked, birth_year=born.year, sex=sex, regions=regions)
        assert left >= MIN_CANDIDATES, f"{masked} ({number}): {left}"


@pytest.mark.parametrize("number", [p[0] for p in people(5, seed=12)])
def test_the_old_id_form_gives_a_person_away(number):
    """The count bites: region code plus the last 4 with the birth year known leaves a few
    dozen numbers (one per eleven days of the year)."""
    born, sex = id_number_birth_date(number), id_number_sex(number)
    left = id_candidates(
        old_mask_id_number(number), birth_year=born.year, sex=sex, regions={*REGIONS, number[:6]}
    )
    assert 0 < left < 100


def test_generated_phones_each_leave_at_least_10000_numbers_with_the_HLR_block_known():
    for _, phone in people(20, seed=13):
        masked = mask_phone(phone)
        assert phone_candidates(masked, hlr_known=phone[3:7]) >= MIN_CANDIDATES, masked


def test_the_old_phone_form_gives_the_number_away_with_the_HLR_block_known():
    assert phone_candidates("137****7503", hlr_known="6934") == 1
    assert phone_candidates(old_mask_phone("13769347503"), hlr_known=None) == 10_000


# -- the leak scanner the e2e test uses (tests/e2e/test_leaks.py) ---------------------------------

PERSON = {"name": "李秀英", "id_number": "53250119900315002X", "phone": "13769347503"}


def kinds(value) -> list[str]:
    return sorted({finding.kind for finding in findings(value, [PERSON])})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("id 53250119900315002x", ["id_number"]),  # lower-case x
        ("id 53250119900315002 (check digit lost)", ["id_number"]),  # 17 digits make the 18th
        ("call +86 137 6934 7503", ["phone"]),
        ("born 1990-03-15", ["birth_date"]),
        ("born 19900315.", ["birth_date"]),
        ("born 1990/03/15", ["birth_date"]),
        ("生于1990年3月15日", ["birth_date"]),
        ("生于1990年03月15日", ["birth_date"]),
        ("old form 532501********002X", ["masked_id"]),
        ("old form 137****7503", ["masked_phone"]),
        ("a prefix 53250119900315**", ["masked_id"]),  # no length of its own: read from the start
        ({"person": {"birth_date": None}}, ["dated_field"]),
        ({"age": 36}, ["dated_field"]),
        ('{"people": [{"birthday": "03-15"}]}', ["dated_field"]),  # JSON text is read as JSON
        ({"出生日期": ""}, ["dated_field"]),
        ([{"年龄": 36}], ["dated_field"]),
        (b"53250119900315002X", ["id_number"]),
    ],
)
def test_the_scanner_finds_what_gives_a_person_away(value, expected):
    assert kinds(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"id_number_masked": "532501***********X", "phone_masked": "137********"},
        {"sex": "female", "birth_year": 1990, "village_code": "532501001201"},
        "born 1990-03-16, id 532501199003160013, call 13769347504",  # somebody else
        "page 2, usage 3, message ok, stage 4",
        "532501***********3",  # does not fit the person: another check digit
        "532501199003****",  # the birth month: 15,500 numbers still fit
    ],
)
def test_the_scanner_lets_the_masked_forms_and_others_data_through(value):
    assert kinds(value) == []


def test_the_scanner_reads_every_cell_of_a_workbook():
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["姓名", "身份证号"])
    book.create_sheet().append(["李秀英", "53250119900315002X"])
    target = io.BytesIO()
    book.save(target)
    assert kinds(target.getvalue()) == ["id_number"]
