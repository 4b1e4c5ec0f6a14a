"""Old-style .xls workbooks (BIFF in an OLE2 compound document), read with xlrd in the same child
process and under the same limits as the other formats; and the OLE2 files that are no .xls (a
workbook protected by a password, a Word document), refused naming what to do. The files are
written here with xlwt, small and the same every time, and some then edited byte by byte as no
spreadsheet program would write them."""

import io
import struct
from dataclasses import replace
from datetime import datetime

import pytest
import xlwt

from registry.rosters.limits import DEFAULTS, MAX_SHEETS, RosterLimits, RosterUnreadable
from registry.rosters.reading import open_roster
from registry.rosters.sandbox import read_in_child

HEADER = [
    "姓名",
    "身份证号",
    "村委会",
    "户编号",
    "户主",
    "联系电话",
    "最早出发日期",
    "是否建档立卡",
]
TIGHT = RosterLimits(max_rows=50, max_columns=30, max_cell_chars=200, max_merged_cells=10)


def xls(*rows: list, merged=(), sheets: int = 1, name: str = "花名册") -> bytes:
    """A workbook of one sheet of `rows` (then `sheets - 1` empty ones); `merged`: (first row,
    last row, first column, last column), 0-based, the value in the top-left cell only."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(name)
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    covered = {(r, c) for r1, r2, c1, c2 in merged for r in range(r1, r2 + 1)
               for c in range(c1, c2 + 1) if (r, c) != (r1, c1)}  # fmt: skip
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None and (r, c) not in covered:
                style = dated if isinstance(value, datetime) else xlwt.Style.default_style
                sheet.write(r, c, value, style)
    for r1, r2, c1, c2 in merged:
        sheet.merge(r1, r2, c1, c2)
    for number in range(1, sheets):
        book.add_sheet(f"Sheet{number + 1}")
    target = io.BytesIO()
    book.save(target)
    return target.getvalue()


HOUSEHOLD = [
    HEADER,
    ["李秀英", "53250119880315005X", "大寨村", "H01", "李秀英", 13987654321.0,
     datetime(2026, 12, 15), True],
    ["普文华", "532501199507020212", None, None, None, "13512345678", None, False],
    ["白娅", 532501200104180137, None, None, None, None, None, None],
    ["张三", "532501199003150013", "小寨村", "H02", "张三", None, None, None],
]  # fmt: skip
MERGED = [(1, 3, 2, 2), (1, 3, 3, 3), (1, 3, 4, 4)]  # 村委会, 户编号, 户主 down the household


def refusal(data: bytes, limits: RosterLimits = DEFAULTS, name: str = "村民.xls"):
    with pytest.raises(RosterUnreadable) as caught:
        open_roster(data, name, limits)
    return caught.value


def test_an_xls_reads_as_the_clerk_sees_it_merged_cells_carried_down():
    roster = open_roster(xls(*HOUSEHOLD, merged=MERGED), "新街镇.xls")
    assert (roster.format, roster.encoding) == ("xls", None)
    [sheet] = roster.sheets
    assert (sheet.name, sheet.header_row, sheet.data_rows) == ("花名册", 1, 4)
    first, second, third, fourth = roster.rows()
    assert first.values == {
        "name": "李秀英", "id_number": "53250119880315005X", "village": "大寨村",
        "household_number": "H01", "household_head_name": "李秀英", "phone": "13987654321",
        "earliest_start": "2026-12-15", "poor": "是",
    }  # fmt: skip
    household = {"village": "大寨村", "household_number": "H01", "household_head_name": "李秀英"}
    assert second.values == {"name": "普文华", "id_number": "532501199507020212",
                             "phone": "13512345678", "poor": "否", **household}  # fmt: skip
    # an ID number typed as a number: that row only, the household still carried to it
    assert third.values == {"name": "白娅", **household}
    [(column, zh, _)] = third.problems
    assert column == "id_number" and "B列" in zh and "设置为文本格式" in zh
    assert fourth.values["household_number"] == "H02" and fourth.problems == ()


def test_an_xls_reads_the_same_in_the_child():
    data = xls(*HOUSEHOLD, merged=MERGED, sheets=3)
    here, there = open_roster(data, "r.xls"), read_in_child(data, "r.xls", DEFAULTS)
    assert there == here
    assert there.ignored_sheets == [("Sheet2", "工作表为空 / The sheet is empty"),
                                    ("Sheet3", "工作表为空 / The sheet is empty")]  # fmt: skip


# -- OLE2 files that are no .xls ------------------------------------------------------------------


def rename_stream(data: bytes, old: str, new: str) -> bytes:
    """The compound document with a directory entry renamed (its name and its length)."""
    entry = data.find(old.encode("utf-16-le") + b"\x00\x00")
    assert entry > 0 and len(new) < 32
    name = (new.encode("utf-16-le") + b"\x00\x00").ljust(64, b"\x00")
    size = struct.pack("<H", 2 * len(new) + 2)
    return data[:entry] + name + size + data[entry + 66 :]


def test_a_workbook_protected_by_a_password_is_refused_saying_to_remove_it():
    # Office keeps a password-protected .xlsx as an OLE2 file holding "EncryptedPackage".
    encrypted = rename_stream(xls(*HOUSEHOLD), "Workbook", "EncryptedPackage")
    problem = refusal(encrypted, name="新街镇.xlsx")
    assert problem.reason_code == "PASSWORD_PROTECTED"
    assert "新街镇.xlsx" in problem.message_en and "remove the password" in problem.message_en
    assert "取消密码" in problem.message_zh and ".xlsx" in problem.message_zh
    # An .xls with a password to open it: its globals start with FILEPASS (0x2F).
    data = xls(*HOUSEHOLD)
    bof = data.find(b"\x09\x08\x10\x00\x00\x06\x05\x00")
    filepass = data[: bof + 20] + b"\x2f\x00" + data[bof + 22 :]
    assert refusal(filepass).reason_code == "PASSWORD_PROTECTED"


def test_an_ole2_file_that_is_no_workbook_is_refused_as_such():
    word = rename_stream(xls(*HOUSEHOLD), "Workbook", "WordDocument")
    problem = refusal(word, name="通知.doc")
    assert problem.reason_code == "UNKNOWN_FORMAT"
    assert (
        "not an Excel workbook" in problem.message_en and "不是 Excel 工作簿" in problem.message_zh
    )
    assert ".xlsx" in problem.message_en


# -- hostile .xls ---------------------------------------------------------------------------------


def claim_dimensions(data: bytes, rows: int, columns: int) -> bytes:
    """The workbook with its sheet's DIMENSIONS record claiming `rows` x `columns`."""
    at = data.find(b"\x00\x02\x0e\x00")
    assert at > 0
    return data[: at + 4] + struct.pack("<IIHH", 0, rows, 0, columns) + data[at + 16 :]


def test_an_xls_claiming_the_largest_sheet_costs_what_its_cells_cost():
    """A sheet that says it is 65,536 rows of 256 columns, and a merged range down to the last
    row: rows are not padded to the widest, so reading it stays small and quick."""
    data = claim_dimensions(xls(*HOUSEHOLD, merged=[(4, 65535, 7, 7)]), 65_536, 256)
    cost: dict = {}
    roster = read_in_child(data, "r.xls", DEFAULTS, cost)
    assert roster.data_rows == 4
    assert cost["resident_peak_mib"] < 200 and cost["cpu_seconds"] < 10
    assert refusal(data, TIGHT).reason_code == "TOO_MANY_ROWS"  # the range's rows count


def test_an_xls_past_the_limits_is_refused_for_each_limit():
    wide = [*HOUSEHOLD, [None] * 40 + ["x"]]
    assert refusal(xls(*wide), TIGHT).reason_code == "TOO_MANY_COLUMNS"
    long_cell = [*HOUSEHOLD, ["李" * 201]]
    assert refusal(xls(*long_cell), TIGHT).reason_code == "SHARED_STRING_TOO_LONG"
    many = [(r, r + 1, 8, 8) for r in range(5, 30, 2)]  # 13 ranges
    problem = refusal(xls(*HOUSEHOLD, merged=many), TIGHT)
    assert problem.reason_code == "TOO_MANY_MERGED_CELLS"
    assert "ROSTER_MAX_MERGED_CELLS" in problem.message_en
    assert refusal(xls(*HOUSEHOLD, sheets=MAX_SHEETS + 1)).reason_code == "TOO_MANY_SHEETS"
    strings = replace(TIGHT, max_shared_strings=5)
    assert refusal(xls(*HOUSEHOLD), strings).reason_code == "TOO_MANY_SHARED_STRINGS"
