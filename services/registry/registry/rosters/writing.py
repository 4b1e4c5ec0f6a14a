"""Tables the county hands back to townships: roster exports and import error reports.

Both formats must survive being opened in Excel by a clerk: CSV carries a BOM because Excel
only reads a CSV as UTF-8 when it starts with one, and in XLSX every text column is written as
strings in cells and columns formatted "@" (text), so an 18-digit ID number keeps all of its
digits now and when the clerk types a new one into the column later. Neither ever holds a
formula (sanbao_common.spreadsheets).
"""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from registry_contract.rosters import header_for
from sanbao_common.spreadsheets import csv_bytes

Value = str | int | None

ERROR_REPORT_HEADERS = ["行号", "列", "原因"]

_BOLD = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=14)
_CENTRED = Alignment(horizontal="center")


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


def error_report(fmt: str, errors: Iterable[tuple[int, str, str]]) -> bytes:
    """The import error report: one line per (row number, column key or "" for a problem of the
    whole row, reason in Chinese); the column is named by its Chinese header."""
    rows = ([row, header_for(key) if key else "", reason] for row, key, reason in errors)
    return write_table(fmt, ERROR_REPORT_HEADERS, rows, text_columns={1, 2})


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
