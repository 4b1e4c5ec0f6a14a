"""Nothing the stack writes for a spreadsheet program opens as a formula."""

import csv

import pytest
from openpyxl import load_workbook

from sanbao_common.spreadsheets import csv_cell, from_csv_cell, write_rows


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://example.invalid")', '\'=HYPERLINK("http://example.invalid")'),
        ("+1+cmd", "'+1+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-120.00", "-120.00"),  # a number stays a number
        ("+5", "+5"),
        ("红河客运站", "红河客运站"),
        ("'已是文本", "'已是文本"),
        (3600, 3600),
    ],
)
def test_a_csv_cell_that_would_be_a_formula_is_written_as_text_and_read_back(value, written):
    assert csv_cell(value) == written
    if isinstance(value, str):
        assert from_csv_cell(csv_cell(value)) == value


def test_a_fund_statement_holds_no_formula_in_either_format(tmp_path):
    rows = [
        ["date", "entry", "source", "debit", "credit", "reference"],
        ["2026-03-01", "e-1", '=HYPERLINK("http://example.invalid","对账")', "3600.00", "", "-1"],
    ]
    write_rows(tmp_path / "s.csv", rows, sheet_title="statement")
    with (tmp_path / "s.csv").open(encoding="utf-8-sig") as source:
        written = list(csv.reader(source))
    assert written[1][2] == '\'=HYPERLINK("http://example.invalid","对账")'
    assert written[1][5] == "-1"

    write_rows(tmp_path / "s.xlsx", rows, sheet_title="statement")
    sheet = load_workbook(tmp_path / "s.xlsx").active
    cell = sheet["C2"]
    assert (cell.data_type, cell.value) == ("s", rows[1][2])
    assert [c.value for c in sheet[2]] == [v or None for v in rows[1]]
