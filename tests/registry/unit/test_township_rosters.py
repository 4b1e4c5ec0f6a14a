"""Rosters as townships keep them (sanbao_common.township_rosters): their own header names, title
rows, a sheet a village beside notes and empty sheets, households' cells merged down, an ID
number typed as a number. Every sheet and column is read or named as not read; merged cells
carry down while an XLSX sheet still streams."""

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference

from registry.rosters import workbook
from registry.rosters.limits import DEFAULTS, RosterLimits, RosterUnreadable
from registry.rosters.reading import open_roster
from registry.rosters.sandbox import read_in_child
from sanbao_common.sample_rosters import generate_roster_rows
from sanbao_common.township_rosters import TOWNSHIP_HEADERS, as_township_keeps, township_roster


def township_rows(n: int, seed: int) -> list[dict[str, str]]:
    """Generated rows as a township writes them, villages by name (one made up per code)."""
    rows = generate_roster_rows(n, seed=seed)
    names = {row["village_code"]: f"第{i + 1}村委会" for i, row in enumerate(rows)}
    return as_township_keeps(rows, names)


ROWS = township_rows(14, seed=41)
FIRST, SECOND = ROWS[:8], ROWS[8:]
# What the township's columns hold of each row
WRITTEN = [{key: value for key, value in row.items() if key in TOWNSHIP_HEADERS} for row in ROWS]
DIGITS_ONLY = [row["id_number"] for row in ROWS if row["id_number"].isdigit()]


def xlsx(*rows, merged=()) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    for ref in merged:
        book.active.merge_cells(ref)
    target = io.BytesIO()
    book.save(target)
    return target.getvalue()


def read(data: bytes, name: str = "新街镇.xlsx"):
    return open_roster(data, name)


# -- the same roster in a township's formats ----------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_a_township_csv_with_its_title_and_own_headers_reads_every_row(encoding):
    roster = read(township_roster({"一村": ROWS}, "csv", encoding=encoding), "花名册.csv")
    assert (roster.format, roster.encoding) == ("csv", encoding)
    [sheet] = roster.sheets
    assert (sheet.name, sheet.header_row, sheet.data_rows) == (None, 3, len(ROWS))
    assert sheet.ignored_columns == ["序号"]  # a running number: nothing else left unread
    assert [row.values for row in roster.rows()] == WRITTEN


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_every_sheet_is_read_or_named_with_the_reason(fmt):
    roster = read(township_roster({"一村": FIRST, "二村": SECOND}, fmt), f"新街镇.{fmt}")
    assert [(s.name, s.header_row, s.data_rows) for s in roster.sheets] == [
        ("一村", 3, len(FIRST)),
        ("二村", 3, len(SECOND)),
    ]
    assert roster.data_rows == len(ROWS)
    ignored = dict(roster.ignored_sheets)
    assert list(ignored) == ["填表说明", "Sheet3"]
    assert ignored["Sheet3"] == "工作表为空 / The sheet is empty"
    assert (
        ignored["填表说明"].startswith("前10行中没有表头")
        and " / No header row" in ignored["填表说明"]
    )
    rows = list(roster.rows())
    assert [row.sheet for row in rows] == [0] * len(FIRST) + [1] * len(SECOND)
    # each sheet numbers its rows as Excel shows them
    assert [row.row_number for row in rows] == [*range(4, 4 + len(FIRST)),
                                                *range(4, 4 + len(SECOND))]  # fmt: skip
    assert [row.values for row in rows] == WRITTEN  # merged household cells carried down
    assert roster.columns_of(rows[-1]) == frozenset(roster.sheets[1].columns)


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_household_cells_merged_down_reach_every_member(fmt):
    data = township_roster({"一村": ROWS}, fmt)
    households = {}
    for row in ROWS:
        households.setdefault(row["household_number"], []).append(row)
    assert max(map(len, households.values())) > 2  # the sample does merge households
    if fmt == "xlsx":  # the file itself holds each value once, in the range's top cell
        sheet = load_workbook(io.BytesIO(data))["一村"]
        down = [r for r in sheet.merged_cells.ranges if r.min_row < r.max_row]
        assert down and all(sheet.cell(r.min_row + 1, r.min_col).value is None for r in down)
    for row in read(data, f"r.{fmt}").rows():
        members = households[row.values["household_number"]]
        assert row.values["household_head_name"] == members[0]["name"]


def test_an_id_number_typed_as_a_number_refuses_that_row_only_in_every_format():
    typed = DIGITS_ONLY[3]
    for fmt in ("xlsx", "xls", "csv"):
        data = township_roster({"一村": ROWS}, fmt, numbers=frozenset({typed}))
        roster = read(data, f"r.{fmt}")
        spoiled = [row for row in roster.rows() if row.problems]
        assert len(spoiled) == 1 and roster.data_rows == len(ROWS), fmt
        [(column, zh, en)] = spoiled[0].problems
        assert column == "id_number" and "D列" in zh and "as a number" in en
        assert spoiled[0].values["name"] == next(r for r in ROWS if r["id_number"] == typed)["name"]


# -- merged cells ---------------------------------------------------------------------------------


def test_a_range_within_one_row_is_not_spread_and_a_range_from_the_header_stays_out():
    rows = [
        ["花名册", None, None, None],
        ["姓名", "身份证号", "村委会", "户编号"],
        ["李秀英", "11010519491231002X", "大寨村", "H1"],
        ["普文华", "532501199507020212", None, None],
        ["合计：2人", None, None, None],
    ]
    data = xlsx(*rows, merged=["A1:D1", "C3:C4", "D3:D4", "A5:D5"])
    first, second, total = read(data).rows()
    assert second.values == {"name": "普文华", "id_number": "532501199507020212",
                             "village": "大寨村", "household_number": "H1"}  # fmt: skip
    assert total.values == {"name": "合计：2人"}  # a label across the columns stays a label


def test_a_header_over_two_rows_is_found_with_its_merged_cells():
    """A header cell merged over two header rows names its column in the lower one; a group
    label merged across columns above the others names none of them."""
    rows = [
        ["姓名", "身份证号", "户籍信息", None],
        [None, None, "村委会", "村民小组"],
        ["李秀英", "11010519491231002X", "大寨村", "3"],
    ]
    data = xlsx(*rows, merged=["A1:A2", "B1:B2", "C1:D1"])
    roster = read(data)
    [sheet] = roster.sheets
    assert sheet.header_row == 2 and sheet.ignored_columns == []
    assert list(sheet.columns) == ["name", "id_number", "village", "village_group"]
    assert [row.values["village_group"] for row in roster.rows()] == ["3"]


@pytest.mark.parametrize("chunk", [7, 100, 1 << 20])
def test_merged_ranges_are_found_in_the_sheets_bytes_whatever_the_chunks(monkeypatch, chunk):
    data = township_roster({"一村": ROWS, "二村": SECOND}, "xlsx")
    expected = {
        sheet.title: sorted(
            (r.min_row, r.min_col, r.max_row, r.max_col) for r in sheet.merged_cells.ranges
        )
        for sheet in load_workbook(io.BytesIO(data)).worksheets
    }
    monkeypatch.setattr(workbook, "CHUNK", chunk)
    book = workbook.open_workbook(data, DEFAULTS)
    counted = []
    found = {
        sheet.title: sorted(
            workbook.merged_ranges(book._archive, sheet._worksheet_path, counted.append)
        )
        for sheet in book.worksheets
    }
    book.close()
    assert found == {name: ranges for name, ranges in expected.items() if name in found}
    assert sum(counted) == sum(len(ranges) for ranges in found.values())


def test_merged_ranges_are_bounded_all_sheets_together():
    data = township_roster({"一村": ROWS, "二村": SECOND}, "xlsx")
    total = sum(len(s.merged_cells.ranges) for s in load_workbook(io.BytesIO(data)).worksheets)
    assert read(data).data_rows == len(ROWS) + len(SECOND)
    with pytest.raises(RosterUnreadable) as caught:
        open_roster(data, "r.xlsx", RosterLimits(max_merged_cells=total - 1))
    assert caught.value.reason_code == "TOO_MANY_MERGED_CELLS"
    assert "ROSTER_MAX_MERGED_CELLS" in caught.value.message_en


def test_overlapping_merged_ranges_are_refused_before_they_cost_a_row_each():
    """No spreadsheet program writes ranges that overlap; many over the same rows would make
    carrying them cost (ranges x columns) a row."""
    rows = [["姓名", "身份证号", "村委会"], ["李秀英", "11010519491231002X", "大寨村"],
            ["普文华", "532501199507020212", None]]  # fmt: skip
    data = xlsx(*rows)
    ranges = "".join(f'<mergeCell ref="A2:{column}3"/>' for column in "BCBCBC" * 10)
    data = _with_sheet_xml(data, "</sheetData>", f'</sheetData><mergeCells count="60">{ranges}'
                           "</mergeCells>")  # fmt: skip
    with pytest.raises(RosterUnreadable) as caught:
        open_roster(data, "r.xlsx", RosterLimits(max_columns=30))
    assert (
        caught.value.reason_code == "TOO_MANY_MERGED_CELLS" and "Row 2" in caught.value.message_en
    )


def _with_sheet_xml(data: bytes, old: str, new: str) -> bytes:
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w") as edited:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(old.encode(), new.encode(), 1)
            edited.writestr(item, content)
    return target.getvalue()


# -- sheets that cannot be read -------------------------------------------------------------------


def test_a_workbook_none_of_whose_sheets_is_a_roster_is_refused_naming_the_closest_sheet():
    book = Workbook()
    book.active.title = "说明"
    book.active.append(["本表由村委会填写"])
    partial = book.create_sheet("一村")
    partial.append(["姓名", "性别", "身份证号"])
    partial.append(["李秀英", "女", "11010519491231002X"])
    book.create_sheet("Sheet3")
    target = io.BytesIO()
    book.save(target)
    with pytest.raises(RosterUnreadable) as caught:
        read(target.getvalue())
    assert caught.value.reason_code == "MISSING_COLUMNS"
    assert caught.value.message_zh.startswith("工作表“一村”：第1行的表头缺少必填列：村代码或村委会")
    assert caught.value.message_en.startswith("Sheet 一村: The header in row 1 lacks")


def test_a_workbook_whose_only_roster_sheet_has_no_rows_is_refused_naming_that_sheet():
    book = Workbook()
    book.active.title = "说明"
    book.active.append(["本表由村委会填写"])
    book.create_sheet("一村").append(["姓名", "身份证号", "村委会"])
    target = io.BytesIO()
    book.save(target)
    with pytest.raises(RosterUnreadable) as caught:
        read(target.getvalue())
    assert caught.value.reason_code == "EMPTY"
    assert caught.value.message_zh == "工作表“一村”：花名册只有表头（第1行），没有数据"


def test_two_columns_for_one_field_in_any_sheet_refuse_the_file_naming_the_sheet():
    book = Workbook()
    book.active.append(["姓名", "身份证号", "村委会"])
    book.active.append(["李秀英", "11010519491231002X", "大寨村"])
    other = book.create_sheet("二村")
    other.append(["姓名", "身份证号", "村", "行政村"])
    target = io.BytesIO()
    book.save(target)
    with pytest.raises(RosterUnreadable) as caught:
        read(target.getvalue())
    assert caught.value.reason_code == "DUPLICATE_COLUMN"
    assert "工作表“二村”" in caught.value.message_zh and "C列和D列" in caught.value.message_zh


def test_a_sheet_with_a_header_and_no_rows_is_named_and_the_others_read():
    book = Workbook()
    book.active.append(["姓名", "身份证号", "村委会"])
    book.active.append(["李秀英", "11010519491231002X", "大寨村"])
    book.create_sheet("二村").append(["姓名", "身份证号", "村委会"])
    target = io.BytesIO()
    book.save(target)
    roster = read(target.getvalue())
    assert roster.data_rows == 1
    assert roster.ignored_sheets == [("二村", "花名册只有表头（第1行），没有数据 / The roster has a"
                                      " header (row 1) but no rows under it")]  # fmt: skip


def test_a_hidden_sheet_is_read_and_a_chart_sheet_is_named():
    book = Workbook()
    book.active.append(["姓名", "身份证号", "村委会"])
    book.active.append(["李秀英", "11010519491231002X", "大寨村"])
    hidden = book.create_sheet("旧表")
    hidden.sheet_state = "hidden"
    hidden.append(["姓名", "身份证号", "村委会"])
    hidden.append(["普文华", "532501199507020212", "大寨村"])
    chart = BarChart()
    chart.add_data(Reference(book.active, min_col=1, min_row=1, max_row=2))
    book.create_chartsheet("图表").add_chart(chart)
    target = io.BytesIO()
    book.save(target)
    roster = read(target.getvalue())
    assert [sheet.name for sheet in roster.sheets] == ["Sheet", "旧表"]
    assert roster.ignored_sheets == [("图表", "图表工作表，不是表格 / A chart sheet, not a table")]


def test_rows_are_bounded_all_sheets_together():
    data = township_roster({"一村": FIRST, "二村": SECOND}, "xlsx", other_sheets={})
    rows = 3 + len(FIRST) + 3 + len(SECOND)
    assert open_roster(data, "r.xlsx", RosterLimits(max_rows=rows)).data_rows == len(ROWS)
    with pytest.raises(RosterUnreadable) as caught:
        open_roster(data, "r.xlsx", RosterLimits(max_rows=rows - 1))
    assert caught.value.reason_code == "TOO_MANY_ROWS"


# -- across the child process ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv"])
def test_the_child_answers_with_the_sheets_the_ignored_ones_and_the_rows_problems(fmt):
    numbers = frozenset(DIGITS_ONLY[1:3])
    data = township_roster({"一村": FIRST, "二村": SECOND}, fmt, numbers=numbers)
    here, there = read(data, f"r.{fmt}"), read_in_child(data, f"r.{fmt}", DEFAULTS)
    assert there == here  # sheets, ignored sheets, rows and their problems
    assert sum(bool(row.problems) for row in there.rows()) == len(numbers)
