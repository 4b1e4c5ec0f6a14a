"""Reading a township's roster file, CSV, XLSX or XLS, told apart by content, not by extension.

A file is accepted or refused whole here, in `open_roster`: its format, encoding, sheets,
headers and limits are all checked before the first row reaches the caller, so an import never
stops half-way through because of the file itself. What is left for the caller is rows, each of
which it may accept or refuse on its own; a row carries the problems found while reading it (an
ID number stored as an Excel number, whose digits are lost).

Every sheet of a workbook is read (`sheets`): those without a roster's header are named, with the
reason, in `Roster.ignored_sheets`, and the columns of a sheet we do not read in its
`ignored_columns`: nothing is left out without a word. Merged cells are carried down (`merges`).

Everything reading a file grows with is bounded (`limits.RosterLimits`): rows, cells in a row,
characters in a cell, the text kept and merged ranges, here for every format; a workbook's
packing, parts, markup and shared strings in `workbook`, an old workbook's in `xls`. registry runs
this module only in a child process under memory and CPU limits (`sandbox`), which stop whatever
the checks do not foresee.

Rows are read into memory at once (some 1.7 kB a row of 20 filled columns: 170 MB for 100,000
rows): the checks need a pass over every row anyway, and parsing an XLSX a second time would cost
far more time than keeping the rows costs memory. An XLSX sheet itself streams by (read-only
openpyxl), its merged ranges found by a pass over its bytes before its rows.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from registry.rosters.limits import DEFAULTS, RosterLimits, RosterTooLarge, RosterUnreadable
from registry.rosters.merges import Merges
from registry.rosters.sheets import FILE_EMPTY, Reading, column_letter, find_header
from sanbao_common.spreadsheets import from_csv_cell

__all__ = [
    "Roster",
    "RosterRow",
    "RosterUnreadable",
    "Sheet",
    "column_letter",
    "open_roster",
]

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls, and also .xlsx files protected by a password
_DELIMITERS = (",", "\t", ";")  # Excel writes commas; tabs and semicolons come from other tools
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+")


@dataclass(frozen=True)
class Sheet:
    name: str | None  # the worksheet's name; None for a CSV file
    header_row: int  # 1-based, as Excel numbers the rows
    columns: dict[str, str]  # column key -> the header text as found in the file
    ignored_columns: list[str]  # headers of columns we do not know, left unread
    data_rows: int


@dataclass(frozen=True, slots=True)
class RosterRow:
    sheet: int  # index into Roster.sheets
    row_number: int  # as Excel shows it (CSV: the line's row)
    values: dict[str, str]  # column key -> stripped non-empty text (merged cells carried down)
    # (column key, reason in Chinese, in English) of what reading found wrong with a cell
    problems: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Roster:
    """A roster file that passed every file-level check; `rows()` gives its data rows."""

    format: str  # "csv", "xlsx" or "xls"
    encoding: str | None  # "utf-8" or "gbk" for CSV, None for workbooks
    sheets: list[Sheet]  # the sheets read, in the workbook's order (CSV: one, named None)
    ignored_sheets: list[tuple[str, str]]  # (sheet name, "中文原因 / the reason in English")
    _records: list[RosterRow] = field(default_factory=list, repr=False)

    @property
    def data_rows(self) -> int:
        """Rows `rows()` yields: empty rows and repeated headers are not counted."""
        return len(self._records)

    def rows(self) -> Iterator[RosterRow]:
        """The data rows, sheet after sheet, in file order."""
        return iter(self._records)

    def columns_of(self, row: RosterRow) -> frozenset[str]:
        """The keys of the columns the row's sheet has."""
        return frozenset(self.sheets[row.sheet].columns)


def open_roster(data: bytes, filename: str, limits: RosterLimits = DEFAULTS) -> Roster:
    """The roster in `data` (the uploaded file's bytes), or RosterUnreadable."""
    if data.startswith(_XLSX_MAGIC):
        return _open_xlsx(data, filename, limits)
    if data.startswith(_OLE_MAGIC):
        return _open_xls(data, filename, limits)
    if b"\x00" in data:
        raise _unknown_format(filename, "binary data, not a table", "二进制数据，不是表格")
    return _open_csv(data, filename, limits)


def _roster(reading: Reading, fmt: str, encoding: str | None = None) -> Roster:
    if not reading.sheets:
        raise reading.refusal()
    return Roster(
        format=fmt,
        encoding=encoding,
        sheets=[Sheet(**sheet) for sheet in reading.sheets],
        ignored_sheets=reading.ignored_sheets(),
        _records=[RosterRow(*record) for record in reading.records],
    )


# -- CSV -------------------------------------------------------------------------------------


def _open_csv(data: bytes, filename: str, limits: RosterLimits) -> Roster:
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:  # what Excel on a Chinese Windows writes; GB18030 is a superset of GBK
            text, encoding = data.decode("gb18030"), "gbk"
        except UnicodeDecodeError:
            raise _unknown_format(
                filename, "text in an unknown encoding", "未知编码的文本"
            ) from None
    try:
        # The delimiter is the one the header row is found with, comma first.
        problems = []
        for delimiter in _DELIMITERS:
            reading = Reading(limits)
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            rows = reading.bounded(reader, _same, quoted=True)
            try:
                header = find_header(rows, str.strip, FILE_EMPTY)
            except RosterTooLarge:
                raise
            except RosterUnreadable as problem:
                problems.append(problem)
                continue
            reading.read_rows(None, header, rows, _csv_text, _scientific)
            return _roster(reading, "csv", encoding)
    except csv.Error as error:  # a quotation mark left open swallows the rest of the file
        raise RosterUnreadable(
            "BAD_CSV",
            f"The CSV file is malformed ({error}): is a quotation mark left open?",
            f"CSV 文件格式错误（{error}）：是否有未配对的引号？",
        ) from None
    raise next((p for p in problems if p.reason_code != "NO_HEADER"), problems[0])


def _same(cells):
    return cells


def _csv_text(cell: str) -> str:
    return from_csv_cell(cell.strip())


def _scientific(cell: str) -> bool:
    """True for an ID number Excel turned into a number before the file was saved as CSV."""
    return ("E" in cell or "e" in cell) and _SCIENTIFIC.fullmatch(cell.strip()) is not None


# -- XLSX ------------------------------------------------------------------------------------


def _open_xlsx(data: bytes, filename: str, limits: RosterLimits) -> Roster:
    from registry.rosters.workbook import merged_ranges, open_workbook  # only for workbooks

    try:
        with warnings.catch_warnings():
            # openpyxl's notes about styles and extensions it drops: nothing we read.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            book = open_workbook(data, limits)
    except (RosterUnreadable, MemoryError):
        raise
    except Exception as error:  # openpyxl fails in many ways on a zip that is no workbook
        raise _unknown_format(
            filename, "a zip archive that is not an Excel workbook", "压缩文件，不是 Excel 工作簿"
        ) from error
    try:
        names = book.sheetnames
        reading = Reading(limits, several=len(names) > 1)
        worksheets = {sheet.title: sheet for sheet in book.worksheets}
        for name in names:
            sheet = worksheets.get(name)
            if sheet is None:
                reading.unread.append((name, _CHART))
                continue
            try:
                # openpyxl 3.1.5 (pinned): a read-only sheet's part, and the workbook's archive
                # (the guarded one `open_workbook` gave it).
                ranges = merged_ranges(book._archive, sheet._worksheet_path, reading.count_merged)
                merges = Merges(ranges, limits.max_columns)
                sheet.reset_dimensions()  # trust the cells, not the size some programs write
                rows = reading.bounded(sheet.iter_rows(values_only=True), _strings)
                reading.sheet(name, rows, _cell_text, _number_in_id_column, merges)
            except (RosterUnreadable, MemoryError):
                raise
            except Exception as error:  # its XML breaks off, a cell names no shared string, ...
                raise _unknown_format(
                    filename,
                    f"a workbook whose sheet {name} cannot be read ({type(error).__name__})",
                    f"工作表“{name}”无法读取的工作簿（{type(error).__name__}）",
                ) from error
        return _roster(reading, "xlsx")
    finally:
        book.close()


_CHART = RosterUnreadable("NO_HEADER", "A chart sheet, not a table", "图表工作表，不是表格")


def _strings(cells):
    return [cell for cell in cells if type(cell) is str]


def _cell_text(value: Any) -> str:
    """A cell as the clerk sees it: numbers without ".0", dates as YYYY-MM-DD."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _number_in_id_column(value: Any) -> bool:
    """True for an ID number stored as a number: Excel keeps 15 digits of it, not 18."""
    if type(value) is str:
        return _scientific(value)
    return type(value) in (int, float)


# -- XLS -------------------------------------------------------------------------------------


def _open_xls(data: bytes, filename: str, limits: RosterLimits) -> Roster:
    from registry.rosters.xls import open_xls  # xlrd: only for old workbooks

    def unknown(what_en: str, what_zh: str) -> RosterUnreadable:
        return _unknown_format(filename, what_en, what_zh)

    reading = Reading(limits)
    count, sheets = open_xls(data, filename, limits, unknown, reading.count_merged)
    reading.several = count > 1
    try:
        for name, cells, ranges in sheets:
            rows = reading.bounded(cells, _strings)
            merges = Merges(ranges, limits.max_columns)
            reading.sheet(name, rows, _cell_text, _number_in_id_column, merges)
    except (RosterUnreadable, MemoryError):
        raise
    except Exception as error:  # a record that breaks off, a string past its record, ...
        raise unknown(
            f"a damaged .xls workbook ({type(error).__name__})",
            f"已损坏的 .xls 工作簿（{type(error).__name__}）",
        ) from error
    return _roster(reading, "xls")


def _unknown_format(filename: str, what_en: str, what_zh: str) -> RosterUnreadable:
    return RosterUnreadable(
        "UNKNOWN_FORMAT",
        f"{filename} cannot be read: it is {what_en}. Save it from Excel or WPS as an .xlsx"
        " workbook or as CSV and upload it again",
        f"无法读取{filename}：该文件是{what_zh}。请在 Excel 或 WPS 中另存为 .xlsx 或 CSV"
        " 格式后重新上传",
    )
