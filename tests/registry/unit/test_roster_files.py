"""Roster files: reading what townships upload, writing what the county hands back, samples."""

import csv
import io
import re
import zipfile
from collections import Counter
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from registry.rosters.reading import RosterUnreadable, Sheet, open_roster
from registry.rosters.writing import error_report
from registry_contract.rosters import COLUMNS, column_key, header_for
from sanbao_common.sample_rosters import (
    BAD_KINDS,
    awkward_roster_xlsx,
    generate_roster_rows,
    roster_bytes,
)
from sanbao_common.spreadsheets import write_table
from sanbao_common.validators import InvalidCode, id_number_birth_date, normalize_id_number

MINIMAL = "姓名,身份证号,村代码\r\n李秀英,11010519491231002X,532501001201\r\n"


def xlsx(*rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    target = io.BytesIO()
    book.save(target)
    return target.getvalue()


def edit_sheet(data: bytes, old: str, new: str) -> bytes:
    """The workbook with its first sheet's XML edited, as other programs than Excel write it."""
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w") as edited:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert old.encode() in content
                content = content.replace(old.encode(), new.encode())
            edited.writestr(item, content)
    return target.getvalue()


def refusal(data: bytes, filename: str = "roster.csv") -> RosterUnreadable:
    with pytest.raises(RosterUnreadable) as caught:
        open_roster(data, filename)
    return caught.value


def records(roster) -> list[tuple[int, dict[str, str]]]:
    return [(row.row_number, row.values) for row in roster.rows()]


def values(roster) -> list[dict[str, str]]:
    return [row.values for row in roster.rows()]


def only(roster) -> Sheet:
    """The roster's one sheet."""
    assert len(roster.sheets) == 1 and roster.ignored_sheets == []
    return roster.sheets[0]


def without_bad(rows):
    return [{key: value for key, value in row.items() if key != "_bad"} for row in rows]


# -- reading CSV -----------------------------------------------------------------------------


def test_utf8_with_and_without_bom_and_gbk_read_the_same_rows():
    text = (
        "姓名,身份证号,联系电话,村代码,就业状态,技能\r\n"
        "李秀英,11010519491231002X,13912345678,532501001201,省外务工,电工(中级)；焊工\r\n"
        "普文华,532501199507020212,,532501001202,在家务农,\r\n"
    )
    rosters = {
        "utf-8": open_roster(text.encode("utf-8"), "a.csv"),
        "utf-8-sig": open_roster(text.encode("utf-8-sig"), "b.csv"),
        "gbk": open_roster(text.encode("gbk"), "c.csv"),
    }
    assert [r.encoding for r in rosters.values()] == ["utf-8", "utf-8", "gbk"]
    expected = [
        (2, {"name": "李秀英", "id_number": "11010519491231002X", "phone": "13912345678",
             "village_code": "532501001201", "employment_status": "省外务工",
             "skills": "电工(中级)；焊工"}),
        (3, {"name": "普文华", "id_number": "532501199507020212",
             "village_code": "532501001202", "employment_status": "在家务农"}),
    ]  # fmt: skip
    for roster in rosters.values():
        assert roster.format == "csv" and only(roster).header_row == 1
        assert only(roster).name is None and only(roster).data_rows == 2
        assert records(roster) == expected


def test_a_title_notes_and_blank_rows_above_the_header_are_skipped_and_rows_keep_their_numbers():
    text = (
        "新街镇劳动力花名册,,\r\n"
        ",,\r\n"
        "填报单位：新街镇 填报日期：2026年11月,,\r\n"
        "\r\n"
        "姓名,身份证号,村代码\r\n"
        "李秀英,11010519491231002X,532501001201\r\n"
        ",,\r\n"
        "普文华,532501199507020212,532501001202\r\n"
    )
    roster = open_roster(text.encode(), "roster.csv")
    assert only(roster).header_row == 5
    assert [number for number, _ in records(roster)] == [6, 8]
    assert roster.data_rows == 2


def test_headers_are_matched_through_aliases_required_marks_and_full_width_characters():
    headers = [
        "*姓名", "公民身份号码（必填）", "村（社区）代码＊", "手机号码", "组别", "户号",
        "户主身份证号码", "建档立卡户", "务工状态", "期望月收入（元）", "可外出时间",
        "劳务经纪人", "意向 务工地区", "技能\n特长",
    ]  # fmt: skip
    row = ["张三", "532501199507020212", "532501001201", "13912345678", "2", "H1",
           "532501199507020212", "否", "县内务工", "4000", "2026-12-01", "李四",
           "广东省", "焊工"]  # fmt: skip
    roster = open_roster(xlsx(headers, row), "roster.xlsx")
    assert list(only(roster).columns) == [
        "name", "id_number", "village_code", "phone", "village_group", "household_number",
        "household_head_id", "poor", "employment_status", "expected_wage", "earliest_start",
        "agent", "intention_regions", "skills",
    ]  # fmt: skip
    assert only(roster).columns["id_number"] == "公民身份号码（必填）"
    assert records(roster)[0][1]["intention_regions"] == "广东省"


def test_every_canonical_header_and_alias_maps_to_its_column():
    for column in COLUMNS:
        for header in (column.header_zh, *column.aliases):
            assert column_key(header) == column.key
            assert column_key(f" {header}*\n") == column.key
        assert header_for(column.key) == column.header_zh
    assert column_key("备用") is None


def test_tab_and_semicolon_separated_files_are_read():
    for delimiter in ("\t", ";"):
        text = MINIMAL.replace(",", delimiter)
        assert records(open_roster(text.encode(), "roster.txt"))[0][1]["name"] == "李秀英"


def test_unknown_columns_are_ignored_and_reported():
    text = "序号,姓名,身份证号,村代码,备用\r\n1,李秀英,11010519491231002X,532501001201,x\r\n"
    roster = open_roster(text.encode(), "roster.csv")
    assert only(roster).ignored_columns == ["序号", "备用"]
    assert records(roster) == [
        (2, {"name": "李秀英", "id_number": "11010519491231002X", "village_code": "532501001201"})
    ]


def test_a_repeated_header_row_and_empty_rows_are_skipped():
    text = (
        MINIMAL
        + " , ,\u3000\r\n姓名*,身份证号,村代码\r\n普文华,532501199507020212,532501001202\r\n"
    )
    roster = open_roster(text.encode(), "roster.csv")
    assert [number for number, _ in records(roster)] == [2, 5]


def test_a_roster_missing_required_columns_is_refused_naming_them():
    problem = refusal("姓名,联系电话,就业状态\r\n李秀英,13912345678,失业\r\n".encode())
    assert problem.reason_code == "MISSING_COLUMNS"
    for header in ("身份证号", "村代码"):
        assert header in problem.message_zh and header in problem.message_en
    assert "姓名" not in problem.message_zh
    assert "row 1" in problem.message_en and "第1行" in problem.message_zh


def test_a_file_without_any_known_header_is_refused():
    problem = refusal(b"name,id,village\r\nLi,1,2\r\n")
    assert problem.reason_code == "NO_HEADER"
    assert "姓名、身份证号、村代码" in problem.message_zh


def test_two_columns_for_the_same_field_are_refused():
    problem = refusal("姓名,身份证号,村代码,身份证号码\r\n".encode())
    assert problem.reason_code == "DUPLICATE_COLUMN"
    assert "Columns B and D" in problem.message_en
    assert "B列和D列都是“身份证号”" in problem.message_zh


def test_empty_files_and_a_header_without_rows_are_refused():
    assert refusal(b"").reason_code == "EMPTY"
    assert refusal("\ufeff\r\n,,\r\n".encode()).reason_code == "EMPTY"
    assert refusal("姓名,身份证号,村代码\r\n,,\r\n".encode()).reason_code == "EMPTY"


def test_a_quotation_mark_left_open_refuses_the_csv():
    problem = refusal((MINIMAL + '普文华,"5325011995' + "，备注" * 50_000).encode())
    assert problem.reason_code == "BAD_CSV" and "引号" in problem.message_zh


def test_an_id_number_in_scientific_notation_refuses_that_row_of_the_csv_only():
    for written in ("5.32501E+17", "5.32501199003151E+17"):
        text = MINIMAL + f"普文华,{written},532501001202\r\n"
        roster = open_roster(text.encode(), "roster.csv")
        first, second = roster.rows()
        assert (first.row_number, first.problems) == (2, ())
        assert first.values["id_number"] == "11010519491231002X"
        assert second.row_number == 3 and "id_number" not in second.values  # its digits are lost
        [(column, zh, en)] = second.problems
        assert column == "id_number" and "B列" in zh and "column B" in en
        assert "设置为文本格式" in zh and "设置为文本格式" in en
        assert "5.32501" not in zh + en  # reasons are stored: they never repeat an ID number


# -- reading XLSX ----------------------------------------------------------------------------


def test_an_id_number_stored_as_a_number_refuses_its_row_and_the_others_are_read():
    """The issue's Excel habit: one ID typed into a General cell loses its digits in that cell
    only; the row is refused (retype as text), not the whole file."""
    rows = [["姓名", "身份证号", "村代码", "户主身份证号"],
            ["李秀英", "11010519491231002X", "532501001201", "11010519491231002X"],
            ["普文华", 532501199507020212, "532501001202", "532501199507020212"],
            ["白娅", "532501200104180137", "532501001202", 5.32501199507020e17]]  # fmt: skip
    roster = open_roster(xlsx(*rows), "roster.xlsx")
    assert roster.data_rows == 3 and only(roster).data_rows == 3
    first, second, third = roster.rows()
    assert first.problems == () and first.values["id_number"] == "11010519491231002X"
    [(column, zh, en)] = second.problems
    assert (second.row_number, column) == (3, "id_number")
    assert "B列的身份证号" in zh and "设置为文本格式" in zh and "column B" in en
    assert "id_number" not in second.values and second.values["name"] == "普文华"
    [(column, zh, _)] = third.problems
    assert column == "household_head_id" and "D列的户主身份证号" in zh
    assert third.values["id_number"] == "532501200104180137"
    assert "household_head_id" not in third.values


def test_the_awkward_spreadsheet_reads_as_the_clerk_sees_it():
    roster = open_roster(awkward_roster_xlsx(), "新街镇.xlsx")
    assert (roster.format, roster.encoding, only(roster).header_row) == ("xlsx", None, 4)
    assert only(roster).ignored_columns == ["序号", "备用"]
    assert only(roster).columns["id_number"] == "身份证号码\n（必填）"
    assert only(roster).name == "Sheet1"
    rows = records(roster)
    assert [number for number, _ in rows] == [5, 6, 8]  # row 7 only holds spaces
    first = rows[0][1]
    assert first["name"] == "李秀英"  # a trailing full-width space is gone
    assert first["phone"] == "13987654321"  # stored as a number, read as its digits
    assert first["earliest_start"] == "2026-12-15"  # a date cell
    assert first["employment_status"] == "省外务工"
    assert first["id_number"] == "53250119880315005x"
    assert normalize_id_number(first["id_number"]) == "53250119880315005X"
    assert rows[1][1]["name"] == "普文华" and rows[1][1]["village_group"] == "3"
    assert "expected_wage" not in rows[1][1]
    assert rows[2][1]["expected_wage"] == "3800" and rows[2][1]["id_number"][-1] == "7"
    assert roster.data_rows == 3


def test_numbers_in_xlsx_cells_read_as_excel_shows_them():
    header = ["姓名", "身份证号", "村代码", "联系电话", "期望月薪", "是否建档立卡"]
    row = ["李秀英", "11010519491231002X", "532501001201", 13912345678, 4500.5, True]
    # Other programs than Excel write some whole numbers as floats.
    data = edit_sheet(xlsx(header, row), "<v>13912345678</v>", "<v>1.3912345678E10</v>")
    values = records(open_roster(data, "roster.xlsx"))[0][1]
    assert (values["phone"], values["expected_wage"], values["poor"]) == (
        "13912345678",
        "4500.5",
        "是",
    )


def test_cells_beyond_a_wrongly_recorded_sheet_size_are_read():
    data = xlsx(["姓名", "身份证号", "村代码"], ["李秀英", "11010519491231002X", "532501001201"])
    roster = open_roster(
        edit_sheet(data, '<dimension ref="A1:C2" />', '<dimension ref="A1" />'), "r"
    )
    assert records(roster)[0][1]["village_code"] == "532501001201"


def test_the_format_comes_from_the_content_not_the_extension():
    assert open_roster(
        xlsx(["姓名", "身份证号", "村代码"], ["李秀英", "1", "2"]), "a.csv"
    ).format == ("xlsx")
    assert open_roster(MINIMAL.encode(), "a.xlsx").format == "csv"


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "damaged old-style Office file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        (b"PK\x03\x04 not really a zip", "zip archive"),
    ],
)
def test_damaged_ole2_and_binary_files_are_refused_as_unknown_format(data, what):
    problem = refusal(data, "村民.dat")
    assert problem.reason_code == "UNKNOWN_FORMAT"
    assert what in problem.message_en and "村民.dat" in problem.message_zh
    assert ".xlsx" in problem.message_en and "CSV" in problem.message_zh


def test_running_out_of_memory_is_never_reported_as_an_unknown_format(monkeypatch):
    """The reading process turns a MemoryError into its own refusal (TOO_COSTLY, naming its
    memory limit): reading must let it through, not call the file something it is not."""
    from registry.rosters import workbook

    def exhausted(*args):
        raise MemoryError

    monkeypatch.setattr(workbook, "open_workbook", exhausted)
    with pytest.raises(MemoryError):
        open_roster(xlsx(["姓名", "身份证号", "村代码"], ["李秀英", "1", "2"]), "r.xlsx")


def test_a_sheet_that_breaks_off_or_names_no_shared_string_is_an_unknown_format():
    data = xlsx(["姓名", "身份证号", "村代码"], ["李秀英", "11010519491231002X", "532501001201"])
    broken = edit_sheet(data, "</sheetData>", "<row><c")
    problem = refusal(broken, "r.xlsx")
    assert problem.reason_code == "UNKNOWN_FORMAT" and "sheet Sheet cannot" in problem.message_en
    assert "工作表“Sheet”无法读取" in problem.message_zh
    from registry.rosters.hostile_samples import sheet_xml, workbook

    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    strings = f"<sst {main}><si><t>姓名</t></si><si><t>身份证号</t></si></sst>"
    cells = '<c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>99</v></c>'
    nowhere = workbook(sheet_xml(f"<row>{cells}</row>"), strings)
    assert refusal(nowhere, "r.xlsx").reason_code == "UNKNOWN_FORMAT"


# -- writing ---------------------------------------------------------------------------------


def test_xlsx_keeps_every_digit_of_id_numbers_as_text():
    ids = ["11010519491231002X", "532501199507020212", "532501200104180137"]
    data = write_table("xlsx", ["身份证号", "序"], [[number, i] for i, number in enumerate(ids)],
                       text_columns={0})  # fmt: skip
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [sheet.cell(row=i + 2, column=1) for i in range(len(ids))]
    assert [cell.value for cell in cells] == ids
    assert {cell.data_type for cell in cells} == {"s"} and {c.number_format for c in cells} == {"@"}
    assert sheet.cell(row=3, column=2).value == 1  # not a text column: stays a number
    assert sheet.column_dimensions["A"].number_format == "@"  # new entries stay text too


def test_free_text_outside_the_text_columns_is_never_a_formula():
    """An export's free text (a remark, a skill) is not among the columns forced to text; a
    clerk's or an attacker's `=cmd|...` there must still open as text, not run."""
    hostile = ['=cmd|" /C calc"!A0', "+SUM(1,2)", "@SUM(A1)", '-2+3+cmd|"/C calc"!A0']
    data = write_table("xlsx", ["身份证号", "备注"], [["532501199003150013", v] for v in hostile],
                       text_columns={0})  # fmt: skip
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    cells = [load_workbook(io.BytesIO(data)).active.cell(row=i + 2, column=2) for i in range(4)]
    assert [(c.data_type, c.value) for c in cells] == [("s", v) for v in hostile]


HOSTILE = '=HYPERLINK("http://example.invalid","点击")'


def _formula_elements(xlsx: bytes) -> list[str]:
    """Every <f> (formula) element in every worksheet of the workbook."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return [
            name
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
            and re.search(rb"<f[ >/]", archive.read(name)) is not None
        ]


@pytest.mark.parametrize("kind", ["export", "template", "error report", "statement"])
def test_no_kind_of_workbook_we_write_holds_a_formula(kind, tmp_path):
    """Each kind of XLSX the project writes, with a hostile text where a clerk's free text goes:
    a roster export (streamed), the template (titled, built in memory), an import's error report
    and a fund statement (sanbao_common.spreadsheets)."""
    row = generate_roster_rows(1, county="532501", seed=3)[0]
    row["skills"] = HOSTILE
    if kind == "export":  # as registry.export_labourers writes it
        from registry.rosters.use_cases import EXPORT_COLUMNS, TEXT_COLUMNS, export_headers

        values = [row.get(column) for column in EXPORT_COLUMNS]
        data = write_table("xlsx", export_headers(), [values], text_columns=TEXT_COLUMNS)
    elif kind == "template":
        data = roster_bytes([row], "xlsx", title=HOSTILE)
    elif kind == "error report":
        data = error_report("xlsx", [(3, "skills", HOSTILE)])
    else:
        from sanbao_common.spreadsheets import write_rows

        write_rows(tmp_path / "s.xlsx", [["source"], [HOSTILE]], sheet_title="statement")
        data = (tmp_path / "s.xlsx").read_bytes()
    assert _formula_elements(data) == []
    texts = [c.value for r in load_workbook(io.BytesIO(data)).active.iter_rows() for c in r]
    assert HOSTILE in texts


def test_a_value_that_looks_like_a_formula_stays_text():
    data = write_table("xlsx", ["备注"], [['=HYPERLINK("x")']])
    cell = load_workbook(io.BytesIO(data)).active["A2"]
    assert (cell.data_type, cell.value) == ("s", '=HYPERLINK("x")')


def test_csv_cells_that_look_like_formulas_are_shown_as_text_and_import_back_unchanged():
    hostile = [
        '=HYPERLINK("http://example.invalid","点击")',
        "+86 说明",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(A1)",
    ]
    rows = [
        dict(row, remarks=text)
        for row, text in zip(generate_roster_rows(4, seed=8), hostile, strict=True)
    ]
    data = roster_bytes(rows, "csv")
    cells = [cell for line in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in line]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]
    assert values(open_roster(data, "export.csv")) == rows


def test_a_written_csv_has_a_bom_and_reads_back():
    rows = generate_roster_rows(30, seed=5)
    data = roster_bytes(rows, "csv")
    assert data.startswith(b"\xef\xbb\xbf" + "姓名,".encode())
    roster = open_roster(data, "export.csv")
    assert roster.encoding == "utf-8" and only(roster).ignored_columns == []
    assert values(roster) == rows


def test_a_titled_roster_reads_back_under_its_title_in_both_formats():
    rows = generate_roster_rows(15, seed=6)
    for fmt in ("csv", "xlsx"):
        roster = open_roster(roster_bytes(rows, fmt, title="新街镇劳动力花名册"), f"r.{fmt}")
        assert only(roster).header_row == 2
        assert [number for number, _ in records(roster)] == list(range(3, 18))
        assert values(roster) == rows
    sheet = load_workbook(io.BytesIO(roster_bytes(rows, "xlsx", title="标题"))).active
    assert [str(cells) for cells in sheet.merged_cells.ranges] == ["A1:T1"]


def test_the_error_report_names_rows_columns_and_reasons():
    errors = [(7, "id_number", "身份证号校验码错误"), (9, "", "与第7行的身份证号重复")]
    text = error_report("csv", errors).decode("utf-8-sig")
    assert text.splitlines() == ["行号,列,原因", "7,身份证号,身份证号校验码错误",
                                 "9,,与第7行的身份证号重复"]  # fmt: skip
    sheet = load_workbook(io.BytesIO(error_report("xlsx", errors))).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["行号", "列", "原因"], [7, "身份证号", "身份证号校验码错误"],
        [9, None, "与第7行的身份证号重复"],
    ]  # fmt: skip


# -- samples ---------------------------------------------------------------------------------


def test_the_generator_is_deterministic():
    first = roster_bytes(generate_roster_rows(200, seed=3, bad_fraction=0.1), "csv")
    assert first == roster_bytes(generate_roster_rows(200, seed=3, bad_fraction=0.1), "csv")
    assert first != roster_bytes(generate_roster_rows(200, seed=4, bad_fraction=0.1), "csv")


def test_generated_people_are_valid_unique_and_of_working_age_in_households_of_the_county():
    rows = generate_roster_rows(500, county="532528", seed=2)
    ids = [normalize_id_number(row["id_number"]) for row in rows]
    assert len(set(ids)) == len(rows)
    born_here = sum(number.startswith("532528") for number in ids)
    assert 0.8 * len(rows) < born_here < len(rows)  # some were born in another county
    reference = date(2026, 11, 28)
    for number in ids:
        born = id_number_birth_date(number)
        age = (
            reference.year - born.year - ((reference.month, reference.day) < (born.month, born.day))
        )
        assert 16 <= age <= 64
    assert all(row["village_code"].startswith("532528") for row in rows)
    heads = {row["id_number"] for row in rows if row["relation_to_head"] == "户主"}
    assert {row["household_head_id"] for row in rows} == heads
    households = Counter(row["household_number"] for row in rows)
    assert max(households.values()) <= 5 and len(households) == len(heads)
    poor = [row for row in rows if row["poor"] == "是"]
    assert 0.15 * len(rows) < len(poor) < 0.45 * len(rows)
    assert all(row["poverty_file_number"].startswith("YN") for row in poor)


def test_bad_fraction_spoils_exactly_that_many_rows_of_several_kinds():
    rows = generate_roster_rows(300, seed=7, bad_fraction=0.05)
    bad = [row for row in rows if "_bad" in row]
    assert len(bad) == round(300 * 0.05)
    assert set(BAD_KINDS) == {row["_bad"] for row in bad}
    for row in bad:
        match row["_bad"]:
            case "check_digit":
                with pytest.raises(InvalidCode, match="check digit"):
                    normalize_id_number(row["id_number"])
            case "birth_date":
                assert row["id_number"][6:14] == "19900230"
            case "missing_name":
                assert "name" not in row
            case "phone_digits":
                assert len(row["phone"]) == 10
            case "village_outside_county":
                assert not row["village_code"].startswith("532501")
            case "duplicate_id":
                earlier = rows[: rows.index(row)]
                assert row["id_number"] in {other["id_number"] for other in earlier}
    good = [row for row in rows if "_bad" not in row]
    assert all(normalize_id_number(row["id_number"]) for row in good)
    roster = open_roster(roster_bytes(rows, "xlsx"), "bad.xlsx")  # bad rows, but a good file
    assert values(roster) == without_bad(rows)
