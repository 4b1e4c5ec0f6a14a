"""ID numbers and phones typed into the wrong columns of a roster, from the attacker's side: no
refusal reason stored or replied repeats one in clear (they are masked as log lines are), and a
free-text column that would store one as written (技能, 意向行业, 培训意愿, 务工地点, 意向地区,
姓名) refuses its row without repeating the number."""

import re
from datetime import date

import pytest

from registry.directory.villages import plan_import
from registry.people.domain import Rules
from registry.people.parsing import Parser
from registry.people.villages import VillageBook
from registry.rosters.reading import Roster, RosterRow, Sheet
from registry.rosters.validation import Validation, error_rows, unread
from registry.rosters.writing import error_report
from sanbao_common.privacy import mask_text
from sanbao_common.sample_data import SampleData
from sanbao_common.sample_villages import sample_townships, sample_villages

COUNTY, VILLAGE = "532501", "532501001201"
RULES = Rules(county=COUNTY, today=date(2026, 11, 2))
SAMPLE = SampleData(29)
# Other people's numbers, typed where they do not belong.
ID_NUMBERS = [SAMPLE.id_number("532501") for _ in range(4)]
OLD_ID = "532501900315001"  # a first-generation, 15-digit number
PHONES = ["13769347503", "+86 139-1234-5678", "15812345678"]
PLANTED = [*ID_NUMBERS, OLD_ID, *PHONES]


def book() -> VillageBook:
    plan = plan_import({}, {}, sample_townships(), sample_villages(), COUNTY, date.today(), "t")
    towns = [r for kind, _, r in plan.changes if kind == "township"]
    places = [r for kind, _, r in plan.changes if kind == "village"]
    return VillageBook(towns, places, None)


def person(**cells) -> dict[str, str]:
    return {"name": SAMPLE.name(), "id_number": SAMPLE.id_number("532501"),
            "village_code": VILLAGE} | cells  # fmt: skip


ID_A, ID_B, ID_C, ID_D = ID_NUMBERS
PHONE_A, PHONE_B, PHONE_C = PHONES
ROWS = [
    person(village_code="", village=ID_A, township=PHONE_A),  # a village, a township
    person(village=OLD_ID),
    person(sex=ID_B, relation_to_head=PHONE_B, village_group=PHONE_C, poor=ID_C),
    person(employment_status=ID_D, earliest_start=PHONE_A, expected_wage=PHONE_B),
    person(birth_date=ID_A, age=PHONE_C),
    person(skills=f"电工；{ID_B}"),  # free text, stored as written: refused
    person(intention_industries=f"建筑业、{PHONE_A}"),
    person(training_intention=ID_C),
    person(employment_place=f"广东省深圳市 {PHONE_B}"),
    person(intention_regions=f"广东省；{ID_D}"),
    person(intention_scope=PHONE_C),
    person(name=f"张三{PHONE_A}"),
    person(name=f"李四{ID_A}", township="卡房镇", village_code="", village="大寨村"),
]
FREE_TEXT = {5: "skills", 6: "intention_industries", 7: "training_intention",
             8: "employment_place", 9: "intention_regions", 10: "intention_scope",
             11: "name", 12: "name"}  # fmt: skip


def judged() -> Validation:
    columns = sorted({column for row in ROWS for column in row})
    header = ["序号", f"联系人{PHONE_A}"]  # an unread header holding a phone
    sheet = Sheet(name="一组", header_row=1, columns={c: c for c in columns},
                  ignored_columns=header, data_rows=len(ROWS))  # fmt: skip
    records = [RosterRow(0, number, values) for number, values in enumerate(ROWS, 2)]
    roster = Roster("xlsx", None, [sheet], [], records)
    validation = Validation(roster, Parser(RULES, book()))
    while validation.step(100):
        pass
    return validation


def assert_in_clear_nowhere(text: str) -> None:
    for number in PLANTED:
        assert number not in text
        assert re.sub(r"\D", "", number)[-11:] not in re.sub(r"\D", "", text.replace("*", "x"))
    assert mask_text(text) == text  # nothing shaped like an ID number or a phone, in clear


def test_every_planted_row_is_refused_and_no_reason_repeats_a_number():
    validation = judged()
    assert validation.valid == []  # every row holds a number where it does not belong
    refused = {ref[1] for ref, _ in validation.problems}
    assert refused == set(range(2, 2 + len(ROWS)))
    rows = error_rows("import", validation.problems)
    assert_in_clear_nowhere(repr(rows))
    # The cells quoted are still recognisable, masked as in a log line.
    reasons = {(row["row_number"], row["column"]): row["reason"] for row in rows}
    assert "没有名为“137********”的乡镇" in reasons[(2, "township")]
    assert "村名“532501*********”与村代码" in reasons[(3, "village")]
    assert f"而非“{ID_B[:6]}***********{ID_B[-1]}”" in reasons[(4, "sex")]
    for fmt in ("csv", "xlsx"):
        report = error_report(fmt, [(r["row_number"], r["column"], r["reason"], r["sheet"])
                                    for r in rows])  # fmt: skip
        if fmt == "csv":
            assert_in_clear_nowhere(report.decode("utf-8-sig"))


@pytest.mark.parametrize("row", sorted(FREE_TEXT))
def test_a_number_in_a_free_text_column_refuses_the_row_naming_the_column(row):
    validation = judged()
    found = [p for (_, number), p in validation.problems if number == row + 2]
    column = FREE_TEXT[row]
    [problem] = [p for p in found if p.column == column]
    assert "含有身份证号或手机号码" in problem.reason_zh
    assert "ID number or a mobile number" in problem.reason_en
    assert_in_clear_nowhere(problem.reason_zh + problem.reason_en)
    if column != "name":  # the cell is not read further: no second reason about it
        assert [p.column for p in found] == [column]


def test_an_unread_header_holding_a_number_is_named_masked():
    validation = judged()
    columns, _ = unread(validation.roster)
    assert [c["header"] for c in columns] == ["序号", "联系人137********"]
    assert columns[1]["looks_like"] is None


def test_free_text_without_numbers_is_read_as_before():
    cells = person(
        skills="电工(中级)；焊工",
        intention_industries="建筑业",
        employment_place="广东省深圳市宝安区3号厂",
        training_intention="是",
        intention_regions="广东省",
    )
    read, problems = Parser(RULES, book()).parse(cells)
    assert problems == [] and read is not None
    assert read.employment_place == "广东省深圳市宝安区3号厂"


def test_every_row_problem_masks_the_numbers_it_quotes():
    """Not only a roster's: a register_labourers reply (kept with its idempotency key) carries
    the same reasons, built as RowProblems."""
    from registry.people.domain import RowProblem

    problem = RowProblem("village", f"没有名为“{ID_NUMBERS[0]}”的村", f"no village {PHONES[0]}")
    assert ID_NUMBERS[0] not in problem.reason_zh and PHONES[0] not in problem.reason_en
    assert ID_NUMBERS[0] not in str(problem)
    assert problem.reason_zh == mask_text(f"没有名为“{ID_NUMBERS[0]}”的村")
