"""Judging a roster's rows before anything is applied (registry.rosters.validation), on rosters
built directly: several sheets sharing row numbers, a row's read problems, unread columns that
look like data; a held row sealed and opened again; the error report naming sheets."""

import csv
import io
from datetime import date

import pytest

from registry.exceptions import RosterRefused
from registry.people.domain import PersonInput, RowProblem, Rules
from registry.people.parsing import Parser
from registry.rosters import conflicts
from registry.rosters.reading import Roster, RosterRow, Sheet
from registry.rosters.validation import Validation, error_rows, not_let_go, refuse_unread, unread
from registry.rosters.writing import error_report
from sanbao_common.crypto import DataKey
from sanbao_common.sample_data import SampleData

RULES = Rules(county="532501", today=date(2026, 11, 2))
VILLAGE = "532501001201"


def sheet(name, columns, ignored=(), rows=0) -> Sheet:
    return Sheet(name=name, header_row=1, columns={c: c for c in columns},
                 ignored_columns=list(ignored), data_rows=rows)  # fmt: skip


def roster(sheets, rows, ignored_sheets=()) -> Roster:
    return Roster(format="xlsx", encoding=None, sheets=sheets, ignored_sheets=list(ignored_sheets),
                  _records=rows)  # fmt: skip


@pytest.fixture
def people():
    sample = SampleData(14)
    return [(sample.name(), sample.id_number("532501")) for _ in range(4)]


def test_rows_of_several_sheets_are_told_apart_and_a_read_problem_refuses_its_row(people):
    one = sheet("一组", ["name", "id_number", "village_code", "skills"])
    two = sheet("二组", ["name", "id_number", "village_code"])
    (a, id_a), (b, id_b), (c, id_c), _ = people
    rows = [
        RosterRow(0, 2, {"name": a, "id_number": id_a, "village_code": VILLAGE}),
        RosterRow(0, 3, {"name": b, "village_code": VILLAGE},
                  problems=(("id_number", "身份证号存成了数字", "stored as a number"),)),
        RosterRow(1, 2, {"name": c, "id_number": id_c, "village_code": VILLAGE}),
        RosterRow(1, 3, {"name": a, "id_number": id_a, "village_code": VILLAGE}),
    ]  # fmt: skip
    validation = Validation(roster([one, two], rows), Parser(RULES))
    assert validation.step(3) is True and validation.step(3) is False
    assert validation.total == 4 and validation.refused() == 2
    assert [ref for ref, _ in validation.valid] == [("一组", 2), ("二组", 2)]
    # The first sheet's blank skills column clears skills; the second sheet has none to clear.
    first, second = (person for _, person in validation.valid)
    assert "skills" in first.columns and "skills" not in second.columns
    problems = {ref: (p.column, p.reason_zh) for ref, p in validation.problems}
    assert problems[("一组", 3)] == ("id_number", "身份证号存成了数字")  # not "missing" too
    assert problems[("二组", 3)] == ("id_number", "与工作表“一组”第2行身份证号重复")
    stored = error_rows("i-1", validation.problems)
    assert {(e["sheet"], e["row_number"]) for e in stored} == {("一组", 3), ("二组", 3)}


def test_unread_columns_that_look_like_data_refuse_the_file_until_let_go():
    sheets = [sheet("一组", ["name"], ["低保情况", "序号"]), sheet("二组", ["name"], ["联系方式2"])]
    read = roster(
        sheets,
        [],
        ignored_sheets=[("说明", "没有表头 / no header")],
    )
    columns, sheets = unread(read)
    assert [(c["sheet"], c["header"]) for c in columns] == [
        ("一组", "低保情况"), ("一组", "序号"), ("二组", "联系方式2"),
    ]  # fmt: skip
    assert sheets == [{"sheet": "说明", "reason": "没有表头 / no header"}]
    kept = not_let_go(columns, [])
    assert [c["header"] for c in kept] == ["低保情况", "联系方式2"]
    with pytest.raises(RosterRefused, match="UNREAD_COLUMNS") as refused:
        refuse_unread(kept)
    assert "--ignore-column 低保情况 --ignore-column 联系方式2" in str(refused.value)
    assert not_let_go(columns, ["低保 情况", "联系方式2*"]) == []


def test_a_held_row_is_sealed_whole_and_opens_as_it_was(tmp_path, people):
    key = DataKey(b"k" * 32)
    (name, id_number), *_ = people
    person = PersonInput(
        name=name, id_number=id_number, sex="male", birth_year=1990,
        columns=frozenset({"name", "id_number", "village_code", "earliest_start"}),
        village_code=VILLAGE, phone="13987654321", earliest_start=date(2026, 12, 15),
        skills=[{"name": "电工", "level": "中级"}],
        age_problem=RowProblem("id_number", "超出劳动年龄", "outside working age"),
    )  # fmt: skip
    sealed = conflicts.seal_person(key, person)
    assert id_number.encode() not in sealed and b"13987654321" not in sealed
    opened = conflicts.open_person(key, sealed)
    assert opened.age_problem.reason_en == "outside working age"
    opened.age_problem = person.age_problem
    assert opened == person


def test_a_workbooks_error_report_names_each_rows_sheet():
    errors = [(3, "id_number", "校验码错误", "一组"), (3, "", "已暂缓", "二组")]
    lines = list(csv.reader(io.StringIO(error_report("csv", errors).decode("utf-8-sig"))))
    assert lines == [["工作表", "行号", "列", "原因"], ["一组", "3", "身份证号", "校验码错误"],
                     ["二组", "3", "", "已暂缓"]]  # fmt: skip
    csv_file = error_report("csv", [(3, "id_number", "校验码错误", None)])
    assert csv_file.decode("utf-8-sig").splitlines()[0] == "行号,列,原因"
