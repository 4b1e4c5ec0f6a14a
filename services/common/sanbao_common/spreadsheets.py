"""Text that stays text when a clerk opens one of our files in Excel or WPS.

A spreadsheet program reads a CSV cell that starts with "=", "+", "-" or "@" (or a tab or a
carriage return) as a formula, and a formula can open links or run commands on the clerk's
machine. The values the stack writes out come partly from rosters and requests anybody could
have typed (remarks, places, references), so every CSV cell goes through `csv_cell`, which puts
an apostrophe before such text: the program then shows the text, and no formula. Numbers such
as "-120.00" are left alone. Readers of our own files take the apostrophe off again with
`from_csv_cell`, so an exported roster imports back unchanged.

XLSX cells need none of this: written as string cells (data type "s") they are never formulas.

`write_table` is every service's writer of tables handed to clerks (roster exports, import
error reports): a CSV with a BOM, or an XLSX whose text columns are formatted "@" (text), so an
18-digit ID number keeps all of its digits now and when the clerk types a new one later.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")

Value = str | int | None

_BOLD = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=14)
_CENTRED = Alignment(horizontal="center")


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
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    for number, row in enumerate(rows, 1):
        for column, value in enumerate(row, 1):
            cell = sheet.cell(row=number, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
    book.save(path)


def write_table(
    fmt: str,
    headers: list[str],
    rows: Iterable[Sequence[Value]],
    text_columns: set[int] | None = None,
    *,
    title: str | None = None,
) -> bytes:
    """The table as a CSV ("csv") or XLSX ("xlsx") file.

    `text_columns` holds 0-based column indexes written as text (None: every column); other
    columns keep ints as numbers. Strings are text cells in every column, never formulas.
    `title` adds a row above the header (merged across the table in XLSX), as townships' own
    rosters have.
    """
    if text_columns is None:
        text_columns = set(range(len(headers)))
    rows = _taking_turns(rows)
    if fmt == "csv":
        return _csv(headers, rows, title)
    if fmt == "xlsx":
        return _xlsx(headers, rows, text_columns, title)
    raise ValueError(f"unknown table format {fmt!r} (csv or xlsx)")


def _taking_turns(rows: Iterable[Sequence[Value]], every: int = 500):
    """The rows, with a pause every `every` of them: under nameko (eventlet), writing a county's
    workbook takes a minute of CPU, and the process must go on answering meanwhile."""
    for count, row in enumerate(rows, 1):
        yield row
        if count % every == 0:
            time.sleep(0)


def _csv(headers: list[str], rows: Iterable[Sequence[Value]], title: str | None) -> bytes:
    return csv_bytes(itertools.chain([[title]] if title is not None else [], [headers], rows))


def _xlsx(
    headers: list[str],
    rows: Iterable[Sequence[Value]],
    text_columns: set[int],
    title: str | None,
) -> bytes:
    # write_only streams rows to the file but cannot merge cells; a titled table is small (a
    # template or an example), so it is built in memory instead.
    book = Workbook(write_only=title is None)
    sheet = book.create_sheet() if title is None else book.active
    sheet.title = "Sheet1"  # as Excel names the sheet of a new workbook
    # Column formats and the frozen header go at the top of the sheet's XML: set before any row.
    for index in text_columns:
        sheet.column_dimensions[get_column_letter(index + 1)].number_format = "@"
    sheet.freeze_panes = "A2" if title is None else "A3"

    if title is not None:
        cell = _text_cell(sheet, title)
        cell.font, cell.alignment = _TITLE_FONT, _CENTRED
        sheet.append([cell])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    header_cells = [_text_cell(sheet, header) for header in headers]
    for cell in header_cells:
        cell.font = _BOLD
    sheet.append(header_cells)
    for row in rows:
        sheet.append(
            [
                # Every string is a string cell, whatever its column: openpyxl would write a
                # free text starting with "=" as a live formula.
                _text_cell(sheet, value)
                if isinstance(value, str) or (index in text_columns and value is not None)
                else value
                for index, value in enumerate(row)
            ]
        )

    target = io.BytesIO()
    book.save(target)
    return target.getvalue()


def _text_cell(sheet, value: str | int) -> Cell:
    cell = WriteOnlyCell(sheet, str(value))
    cell.data_type = "s"  # a value starting with "=" stays text, never becomes a formula
    cell.number_format = "@"
    return cell
