"""Text that stays text when a clerk opens one of our files in Excel or WPS.

A spreadsheet program reads a CSV cell that starts with "=", "+", "-" or "@" (or a tab or a
carriage return) as a formula, and a formula can open links or run commands on the clerk's
machine. The values the stack writes out come partly from rosters and requests anybody could
have typed (remarks, places, references), so every CSV cell goes through `csv_cell`, which puts
an apostrophe before such text: the program then shows the text, and no formula. Numbers such
as "-120.00" are left alone. Readers of our own files take the apostrophe off again with
`from_csv_cell`, so an exported roster imports back unchanged.

XLSX cells need none of this: written as string cells (data type "s") they are never formulas.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def csv_cell(value):
    """The value as a CSV cell a spreadsheet program shows as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def from_csv_cell(text: str) -> str:
    """The value `csv_cell` wrote."""
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def csv_bytes(rows: Iterable[Sequence]) -> bytes:
    """The rows as a CSV file Excel opens as written: UTF-8 with a BOM (Excel reads UTF-8 only
    after one), every cell through `csv_cell`, None as an empty cell."""
    text = io.StringIO()
    csv.writer(text).writerows(
        ["" if value is None else csv_cell(value) for value in row] for row in rows
    )
    return text.getvalue().encode("utf-8-sig")


def write_rows(path: Path, rows: list[list], *, sheet_title: str) -> None:
    """The rows as a CSV (`csv_bytes`) or XLSX file, chosen by the extension; in XLSX every
    text is a string cell."""
    if path.suffix.lower() == ".csv":
        path.write_bytes(csv_bytes(rows))
        return
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    for number, row in enumerate(rows, 1):
        for column, value in enumerate(row, 1):
            cell = sheet.cell(row=number, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
    book.save(path)
