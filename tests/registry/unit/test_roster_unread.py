"""Nothing of a roster dropped without a word, from the side of a file that tries: data under an
empty header cell is named by its column letter and must be let go; a sheet of people whose
header narrowly misses refuses the whole file instead of being skipped; a header with a note on
how to fill it is read as the column it names."""

import pytest

from registry.exceptions import RosterRefused
from registry.rosters.limits import DEFAULTS, RosterUnreadable
from registry.rosters.reading import open_roster
from registry.rosters.sandbox import read_in_child
from registry.rosters.validation import not_let_go, refuse_unread, unread
from sanbao_common.sample_data import SampleData
from testkit import workbook

VILLAGE = "532501001201"
SAMPLE = SampleData(23)
PEOPLE = [(SAMPLE.name(), SAMPLE.id_number("532501")) for _ in range(6)]


def people(*extra, count=3) -> list[list]:
    return [[name, id_number, VILLAGE, *extra] for name, id_number in PEOPLE[:count]]


def refusal(data: bytes, name="r.xlsx") -> RosterUnreadable:
    with pytest.raises(RosterUnreadable) as caught:
        open_roster(data, name)
    return caught.value


# -- data under an empty header cell ------------------------------------------------------------


def test_data_under_an_empty_header_cell_is_named_by_its_letter_and_needs_letting_go():
    header = ["姓名", "身份证号", "村代码", "", "序号", ""]  # F is empty and stays so
    rows = [header, *people("是", 1, None), [*people()[0][:3], "", 2, None, "否"]]  # and G
    roster = open_roster(workbook({"一组": rows}), "r.xlsx")
    [sheet] = roster.sheets
    assert sheet.ignored_columns == ["D列（无表头）", "序号", "G列（无表头）"]
    columns, _ = unread(roster)
    assert [(c["header"], c["looks_like"]) for c in columns] == [
        ("D列（无表头）", "no_header"), ("序号", None), ("G列（无表头）", "no_header"),
    ]  # fmt: skip
    with pytest.raises(RosterRefused) as refused:
        refuse_unread(not_let_go(columns, []))
    assert "--ignore-column D列 --ignore-column G列" in refused.value.message_en
    assert "“D列（无表头）”" in refused.value.message_zh
    # Let go by its letter, in any of the ways a clerk types it.
    assert not_let_go(columns, ["d列", " G 列"]) == []
    assert not_let_go(columns, ["D列（无表头）", "G列(无表头)"]) == []
    assert [c["header"] for c in not_let_go(columns, ["D列"])] == ["G列（无表头）"]


def test_a_csv_line_longer_than_its_header_names_the_extra_column():
    text = "姓名,身份证号,村代码\r\n" + "".join(
        f"{name},{id_number},{VILLAGE}{',,13769347503' if i == 1 else ''}\r\n"
        for i, (name, id_number) in enumerate(PEOPLE[:3])
    )
    [sheet] = open_roster(text.encode(), "r.csv").sheets
    assert sheet.ignored_columns == ["E列（无表头）"]
    # An empty cell under an empty header, or a trailing comma, is no data.
    text = "姓名,身份证号,村代码,,\r\n" + f"{PEOPLE[0][0]},{PEOPLE[0][1]},{VILLAGE},,\r\n"
    assert open_roster(text.encode(), "r.csv").sheets[0].ignored_columns == []


def test_the_child_names_the_unnamed_columns_as_reading_here_does():
    rows = [["姓名", "身份证号", "村代码", ""], *people("是")]
    data = workbook({"一组": rows})
    assert read_in_child(data, "r.xlsx", DEFAULTS) == open_roster(data, "r.xlsx")


# -- sheets that look like a roster --------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        ["姓名", "身份证号（户主）", "村代码"],  # a note about whom: not the person's ID number
        ["姓名", "身份号", "村代码", "联系电话"],  # a header we do not know
        ["名字", "身份证号", "户编号", "是否建档立卡"],  # no name, no village
    ],
)
def test_a_sheet_of_people_whose_header_lacks_a_column_refuses_the_whole_file(header):
    good = [["姓名", "身份证号", "村代码"], *people()]
    missed = [["二组花名册"], header, *[row[: len(header)] for row in people(count=2)]]
    problem = refusal(workbook({"一组": good, "二组": missed}))
    assert problem.reason_code == "MISSING_COLUMNS"
    assert problem.message_zh.startswith("工作表“二组”：第2行的表头缺少必填列：")
    assert "Sheet 二组" in problem.message_en and "has rows under it" in problem.message_en
    assert "整个文件未导入" in problem.message_zh
    # The same from the reading process.
    with pytest.raises(RosterUnreadable, match="二组"):
        read_in_child(workbook({"一组": good, "二组": missed}), "r.xlsx", DEFAULTS)


def test_rows_past_those_searched_for_the_header_still_refuse_the_file():
    good = [["姓名", "身份证号", "村代码"], *people()]
    # The header is the last of the 10 rows searched: its rows are all after the search.
    notes = [[f"说明{i}"] for i in range(9)]
    missed = [*notes, ["姓名", "身份号", "村代码"], *[[None]] * 3, people()[0]]
    assert refusal(workbook({"一组": good, "二组": missed})).reason_code == "MISSING_COLUMNS"
    without_rows = [*notes, ["姓名", "身份号", "村代码"]]
    roster = open_roster(workbook({"一组": good, "二组": without_rows}), "r.xlsx")
    assert [name for name, _ in roster.ignored_sheets] == ["二组"]


def test_a_duplicate_column_in_any_sheet_refuses_the_file_naming_the_sheet():
    good = [["姓名", "身份证号", "村代码"], *people()]
    twice = [
        ["姓名", "身份证号", "身份证号码（18位）", "村代码"],
        [*people()[0][:2], *people()[0][1:]],
    ]
    problem = refusal(workbook({"一组": good, "二组": twice}))
    assert problem.reason_code == "DUPLICATE_COLUMN" and "工作表“二组”" in problem.message_zh


def test_sheets_that_are_no_roster_are_still_named_and_left():
    good = [["姓名", "身份证号", "村代码"], *people()]
    others = {
        "说明": [["填表说明"], ["身份证号一栏请设置为文本格式"]],  # no header at all
        "汇总": [["乡镇", "村委会", "人数"], ["卡房镇", "大寨村", 40]],  # places, no people
        "模板": [["姓名", "身份证号", "联系电话"]],  # a roster-like header without rows
        "Sheet3": [],
    }
    roster = open_roster(workbook({"一组": good, **others}), "r.xlsx")
    assert [name for name, _ in roster.ignored_sheets] == list(others)
    assert roster.data_rows == 3


def test_a_header_with_a_note_on_how_to_fill_it_is_read():
    header = [
        "姓名（必填）",
        "身份证号码（18位）",
        "村代码\n（12位）",
        "联系电话（如：13800000000）",
    ]
    rows = [header, *people("13769347503")]
    roster = open_roster(workbook({"一组": rows}), "r.xlsx")
    [sheet] = roster.sheets
    assert set(sheet.columns) == {"name", "id_number", "village_code", "phone"}
    assert sheet.ignored_columns == []
