"""The pure rules of people: parsing a row, ages, intentions, what a member's row says of the
household, and the stored Person/Household records. No database, no broker."""

from dataclasses import FrozenInstanceError, fields
from datetime import UTC, date, datetime

import pytest

from registry.adapters.tables import households, labourers
from registry.people.domain import (
    Household,
    Person,
    PersonInput,
    Rules,
    age_in_year,
    age_on,
    changes,
    check_intention,
    household_changes,
    is_poor,
    wanted_fields,
    willing_to_go,
    within_age,
    working_age_problem,
)
from registry.people.parsing import Parser, as_text, parse_skills
from sanbao_common.validators import id_number_check_digit

RULES = Rules(county="532501", today=date(2026, 11, 28))
MOMENT = datetime(2026, 11, 28, 3, tzinfo=UTC)


def id_number(born: str, sequence: str = "001") -> str:
    """A valid ID number of the county, born on `born` (YYYYMMDD); odd sequence: a man."""
    first17 = f"532501{born}{sequence}"
    return first17 + id_number_check_digit(first17)


def parse(**row):
    return Parser(RULES).parse(
        {"name": "李秀英", "id_number": id_number("19900315", "002"), **row}
        | {"village_code": row.get("village_code", "532501001201")}
    )


def person(**overrides) -> Person:
    values = {f.name: None for f in fields(Person)}
    values.update(
        person_id="p1", name="李秀英", id_hash="h", id_sealed="s", id_masked="m", sex="female",
        birth_year=1990, village_code="532501001201", status="active", skills=[],
        intention_regions=[], intention_industries=[], training_intention=[],
        confirmed_at=MOMENT, confirmed_by="u", registered_at=MOMENT, registered_by="u", version=1,
    )  # fmt: skip
    return Person(**{**values, **overrides})


def household(**overrides) -> Household:
    values = dict(
        household_id="h1", household_number="N1", village_code="532501001201",
        head_person_id=None, poor=False, poverty_file_number=None, version=1,
        changed_at=MOMENT, changed_by="u",
    )  # fmt: skip
    return Household(**{**values, **overrides})


# -- parsing a row -------------------------------------------------------------------------------


def test_a_row_becomes_a_person_with_sex_and_birth_year_from_the_id_number():
    found, problems = parse(phone="139 8765 4321", village_group="第3组", expected_wage="4,500元")
    assert problems == []
    assert (found.sex, found.birth_year) == ("female", 1990)
    assert found.phone == "13987654321"
    assert found.village_group == "532501001201-03"
    assert found.expected_wage_fen == 450_000
    assert found.age_problem is None


def test_every_problem_of_a_row_is_reported_at_once():
    found, problems = Parser(RULES).parse(
        {"name": "", "id_number": "532501199003150000", "village_code": "532528001201",
         "employment_status": "打零工了"}
    )  # fmt: skip
    assert found is None
    assert {p.column for p in problems} == {"name", "id_number", "village_code",
                                             "employment_status"}  # fmt: skip


def test_a_village_of_another_county_is_refused():
    found, problems = parse(village_code="532528001201")
    assert found is None
    assert [p.column for p in problems] == ["village_code"]
    assert "532501" in problems[0].reason_en


def test_the_registered_poor_flag_needs_a_household_number():
    found, problems = parse(poor="是")
    assert found is None
    assert [p.column for p in problems] == ["household_number"]


def test_skills_keep_their_level_and_certificate():
    assert parse_skills("电工(中级,持证)；焊工") == [
        {"name": "电工", "level": "中级", "certificate": True},
        {"name": "焊工", "level": None, "certificate": False},
    ]
    assert parse_skills("无") == []


def test_an_rpc_value_becomes_the_text_a_roster_cell_holds():
    assert as_text(True) == "是"
    assert as_text(["广东省", "浙江省"]) == "广东省；浙江省"
    assert as_text(date(2026, 12, 1)) == "2026-12-01"
    assert as_text(None) == ""


# -- ages ----------------------------------------------------------------------------------------


def test_age_on_a_day_turns_on_the_birthday():
    born = date(1990, 3, 15)
    assert age_on(born, date(2026, 3, 14)) == 35
    assert age_on(born, date(2026, 3, 15)) == 36


def test_someone_born_on_29_february_turns_older_on_1_march():
    born = date(2008, 2, 29)
    assert age_on(born, date(2026, 2, 28)) == 17
    assert age_on(born, date(2026, 3, 1)) == 18


def test_within_age_takes_the_upper_limit_up_to_the_day_before_the_next_birthday():
    born = date(1980, 6, 1)
    assert within_age(born, date(2026, 5, 31), 16, 45)  # 45 until the day before turning 46
    assert not within_age(born, date(2026, 6, 1), 16, 45)
    assert within_age(born, date(2026, 6, 1), 16, None)


def test_working_age_is_judged_on_the_birth_year_alone():
    assert age_in_year(2010, RULES.today) == 16
    assert working_age_problem(2010, RULES) is None  # 16 this year, whatever the birthday
    assert working_age_problem(1962, RULES) is None  # 64 this year
    too_young, too_old = working_age_problem(2011, RULES), working_age_problem(1961, RULES)
    assert too_young.column == too_old.column == "id_number"
    assert "15 this year" in too_young.reason_en and "65 this year" in too_old.reason_en


def test_a_new_person_outside_working_age_carries_the_problem_for_later():
    found, problems = Parser(RULES).parse(
        {
            "name": "李老汉",
            "id_number": id_number("19500101", "011"),
            "village_code": "532501001201",
        }
    )
    assert problems == []  # refused only if new: a registered person stays updatable
    assert found.age_problem is not None and found.sex == "male"


# -- rules of a person ---------------------------------------------------------------------------


def test_an_unemployed_person_needs_an_intention():
    assert check_intention({"employment_status": "unemployed"}).column == "employment_status"
    assert check_intention({"employment_status": "unemployed", "expected_wage_fen": 1}) is None
    assert check_intention({"employment_status": "at_home"}) is None


def test_willing_to_go_means_intending_to_go_and_not_working_away():
    assert willing_to_go({"intention_regions": ["广东省"], "employment_status": "at_home"})
    assert not willing_to_go({"intention_regions": ["广东省"], "employment_status": "in_county"})
    assert not willing_to_go({"intention_regions": [], "employment_status": "at_home"})
    assert not willing_to_go({"intention_regions": ["广东省"],
                              "employment_status": "unable_to_work"})  # fmt: skip


def test_only_the_fields_a_row_gives_are_wanted_and_compared():
    found, _ = parse(employment_status="省外务工")
    wanted = wanted_fields(found)
    assert set(wanted) == {"name", "village_code", "employment_status"}
    stored = {"name": "李秀英", "village_code": "532501001201", "employment_status": "at_home"}
    assert changes(stored, wanted) == {"employment_status": ("at_home", "outside_province")}
    assert changes(dict(stored, employment_status="outside_province"), wanted) == {}


# -- households ----------------------------------------------------------------------------------


def member_row(**row) -> PersonInput:
    found, problems = parse(household_number="N1", **row)
    assert problems == []
    return found


def test_the_heads_row_names_the_head_and_the_poverty_file():
    row = member_row(relation_to_head="户主", poor="是", poverty_file_number="YN1")
    assert household_changes(household(), row, "p1") == {
        "head_person_id": (None, "p1"),
        "poor": (False, True),
        "poverty_file_number": (None, "YN1"),
    }


def test_a_poor_heads_row_needs_the_file_number_only_where_the_file_has_the_column():
    _, problems = parse(household_number="N1", relation_to_head="户主", poor="是",
                        poverty_file_number="")  # fmt: skip
    assert [p.column for p in problems] == ["poverty_file_number"]
    # A township survey without the column: the head is registered, and registered poor.
    row = member_row(relation_to_head="户主", poor="是")
    assert row.poor is True and row.poverty_file_number is None


def test_a_members_row_that_leaves_poverty_blank_changes_nothing():
    row = member_row(relation_to_head="子女", poor="")
    assert household_changes(household(poor=True), row, "p2") == {}


def test_a_row_that_says_the_household_left_poverty_changes_the_flag():
    row = member_row(relation_to_head="子女", poor="否")
    assert household_changes(household(poor=True), row, "p2") == {"poor": (True, False)}
    assert is_poor(household(poor=True)) and not is_poor(household()) and not is_poor(None)


# -- stored records ------------------------------------------------------------------------------


def test_person_and_household_list_their_tables_columns_in_order():
    assert [f.name for f in fields(Person)] == [c.name for c in labourers.columns]
    assert [f.name for f in fields(Household)] == [c.name for c in households.columns]


def test_records_are_frozen_and_change_by_copy():
    record = person()
    with pytest.raises(FrozenInstanceError):
        record.version = 2  # type: ignore[misc]
    changed = record.with_changes(version=2, name="李秀兰")
    assert (record.version, record.name) == (1, "李秀英")
    assert (changed.version, changed.name, changed.person_id) == (2, "李秀兰", "p1")
    assert changed == Person.from_row(changed.as_row())
    assert changed.as_row() is not changed.as_row()  # a copy, safe to hand to an insert
