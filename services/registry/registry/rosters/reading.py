"""Reading a township's roster file, CSV or XLSX, told apart by content, not by extension.

A file is accepted or refused whole here, in `open_roster`: its format, encoding, header and
ID columns are all checked before the first row reaches the caller, so an import never stops
half-way through because of the file itself. What is left for the caller is rows, each of which
it may accept or refuse on its own.

Everything reading a file grows with is bounded (`limits.RosterLimits`): rows, cells in a row,
characters in a cell and the text kept, here for both formats; a workbook's packing, parts,
markup and shared strings in `workbook`. registry runs this module only in a child process under
memory and CPU limits (`sandbox`), which stop whatever the checks do not foresee.

Rows are read into memory at once (some 1.7 kB a row of 20 filled columns: 170 MB for 100,000
rows): the checks need a pass over every row anyway, and parsing an XLSX a second time would cost
far more time than keeping the rows costs memory.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from registry.rosters import limits as refusals
from registry.rosters.limits import DEFAULTS, MIB, RosterLimits, RosterTooLarge, RosterUnreadable
from registry_contract.rosters import REQUIRED_KEYS, column_key, header_for
from sanbao_common.spreadsheets import from_csv_cell

__all__ = ["Roster", "RosterUnreadable", "column_letter", "open_roster"]

HEADER_SCAN_ROWS = 10  # non-empty rows searched for the header: titles and notes sit above it
ID_KEYS = frozenset({"id_number", "household_head_id"})

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls, and also .xlsx files protected by a password
_DELIMITERS = (",", "\t", ";")  # Excel writes commas; tabs and semicolons come from other tools
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+")

Rows = Iterator[tuple[int, Sequence[Any]]]  # (1-based row number, raw cells)


@dataclass(frozen=True)
class Roster:
    """A roster file that passed every file-level check; `rows()` gives its data rows."""

    format: str  # "csv" or "xlsx"
    encoding: str | None  # "utf-8" or "gbk" for CSV, None for XLSX
    header_row: int  # 1-based, as Excel numbers the rows
    columns: dict[str, str]  # column key -> the header text as found in the file
    ignored_headers: list[str]  # headers of columns we do not know, left unread
    _records: list[tuple[int, dict[str, str]]] = field(repr=False)

    @property
    def data_rows(self) -> int:
        """Rows `rows()` yields: empty rows and repeated headers are not counted."""
        return len(self._records)

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number as Excel shows it, column key -> stripped non-empty value) per data row."""
        return iter(self._records)


def open_roster(data: bytes, filename: str, limits: RosterLimits = DEFAULTS) -> Roster:
    """The roster in `data` (the uploaded file's bytes), or RosterUnreadable."""
    if data.startswith(_XLSX_MAGIC):
        return _open_xlsx(data, filename, limits)
    if data.startswith(_OLE_MAGIC):
        raise _unknown_format(
            filename,
            "an old-style .xls workbook, or a workbook protected by a password",
            "旧版 .xls 工作簿，或设置了密码的工作簿",
        )
    if b"\x00" in data:
        raise _unknown_format(filename, "binary data, not a table", "二进制数据，不是表格")
    return _open_csv(data, filename, limits)


def column_letter(index: int) -> str:
    """The letters Excel names the column with, 1-based: 1 is A, 27 is AA."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _bounded(
    rows: Iterable[Sequence], limits: RosterLimits, texts: Callable, quoted: bool = False
) -> Rows:
    """(row number, cells) of each row, refusing the file at the first row past a limit; rows
    are numbered as Excel shows them, blank ones counted. `texts(cells)` gives a row's texts;
    `quoted`: a CSV's, where a long cell is most often a quotation mark left open."""
    for row_number, cells in enumerate(rows, 1):
        if row_number > limits.max_rows:
            raise refusals.too_many_rows(limits.max_rows)
        if len(cells) > limits.max_columns:
            raise refusals.too_many_columns(row_number, len(cells), limits.max_columns)
        if max(map(len, texts(cells)), default=0) > limits.max_cell_chars:
            index = next(
                i
                for i, cell in enumerate(cells)
                if isinstance(cell, str) and len(cell) > limits.max_cell_chars
            )
            column = column_letter(index + 1)
            raise refusals.cell_too_long(row_number, column, limits.max_cell_chars, quoted)
        yield row_number, cells


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
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            rows = _bounded(reader, limits, _same, quoted=True)
            try:
                header = _find_header(rows, str.strip)
            except RosterTooLarge:
                raise
            except RosterUnreadable as problem:
                problems.append(problem)
                continue
            return _roster("csv", encoding, header, rows, _csv_text, _scientific, limits)
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
    from registry.rosters.workbook import open_workbook  # openpyxl: only for workbooks

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
        if not book.worksheets:
            raise RosterUnreadable("EMPTY", "The workbook has no worksheet", "工作簿中没有工作表")
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # trust the cells, not the size some programs write wrongly
        rows = _bounded(sheet.iter_rows(values_only=True), limits, _strings)
        header = _find_header(rows, _cell_text)
        return _roster("xlsx", None, header, rows, _cell_text, _number_in_id_column, limits)
    except (RosterUnreadable, MemoryError):
        raise
    except Exception as error:  # the sheet's XML breaks off, a cell names no shared string, ...
        raise _unknown_format(
            filename,
            f"a workbook whose first sheet cannot be read ({type(error).__name__})",
            f"第一个工作表无法读取的工作簿（{type(error).__name__}）",
        ) from error
    finally:
        book.close()


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


# -- both formats ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Header:
    row_number: int
    positions: dict[str, int]  # column key -> 0-based index of its cell
    texts: list[str]


def _find_header(rows: Rows, text: Callable[[Any], str]) -> _Header:
    """The first row naming every required column, searched among the first non-empty rows;
    consumes `rows` up to and including it."""
    scanned = 0
    closest: tuple[int, set[str]] | None = None  # a row with known headers, but not all
    for row_number, cells in rows:
        texts = [text(cell) for cell in cells]
        if not any(texts):
            continue
        keys = [column_key(cell) if cell else None for cell in texts]
        found = {key for key in keys if key}
        if found.issuperset(REQUIRED_KEYS):
            return _header(row_number, texts, keys)
        if len(found) >= 2 and (closest is None or len(found) > len(closest[1])):
            closest = (row_number, found)
        scanned += 1
        if scanned == HEADER_SCAN_ROWS:
            break
    if not scanned:
        raise RosterUnreadable("EMPTY", "The file is empty", "文件为空")
    if closest:
        row_number, found = closest
        missing = [header_for(key) for key in REQUIRED_KEYS if key not in found]
        raise RosterUnreadable(
            "MISSING_COLUMNS",
            f"The header in row {row_number} lacks the required columns: {', '.join(missing)}",
            f"第{row_number}行的表头缺少必填列：{'、'.join(missing)}",
        )
    required = [header_for(key) for key in REQUIRED_KEYS]
    raise RosterUnreadable(
        "NO_HEADER",
        f"No header row in the first {HEADER_SCAN_ROWS} rows: a roster needs at least the"
        f" columns {', '.join(required)}",
        f"前{HEADER_SCAN_ROWS}行中没有表头：花名册至少需要以下列：{'、'.join(required)}",
    )


def _header(row_number: int, texts: list[str], keys: list[str | None]) -> _Header:
    positions: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key is None:
            continue
        if key in positions:
            first, second = (column_letter(i + 1) for i in (positions[key], index))
            raise RosterUnreadable(
                "DUPLICATE_COLUMN",
                f"Columns {first} and {second} of the header (row {row_number}) are both"
                f" {header_for(key)}: keep one of them",
                f"表头（第{row_number}行）的{first}列和{second}列都是“{header_for(key)}”，"
                "请只保留一列",
            )
        positions[key] = index
    return _Header(row_number, positions, texts)


def _roster(
    fmt: str,
    encoding: str | None,
    header: _Header,
    rows: Rows,
    text: Callable[[Any], str],
    id_lost: Callable[[Any], bool],
    limits: RosterLimits,
) -> Roster:
    """Reads the rows under the header, refusing the file if an ID column lost digits or the
    text kept grows past its limit."""
    positions = list(header.positions.items())
    id_positions = [(key, index) for key, index in positions if key in ID_KEYS]
    width = max(index for _, index in positions) + 1
    records = []
    kept, most = 0, limits.max_text_mib * MIB
    for row_number, cells in rows:
        if len(cells) < width:  # CSV lines and XLSX rows end at their last non-empty cell
            cells = [*cells, *[""] * (width - len(cells))]
        values = {key: value for key, index in positions if (value := text(cells[index]))}
        if not values:
            continue
        kept += sum(len(v) if v.isascii() else len(v.encode()) for v in values.values())
        if kept > most:
            raise refusals.too_much_text(limits.max_text_mib)
        for key, index in id_positions:
            if id_lost(cells[index]):
                raise _id_as_number(row_number, key, index, cells[index])
        # A data row's ID number starts with a digit: only other rows can repeat the header.
        if not values.get("id_number", "")[:1].isdigit() and _repeats_header(values):
            continue
        records.append((row_number, values))
    if not records:
        raise RosterUnreadable(
            "EMPTY",
            f"The roster has a header (row {header.row_number}) but no rows under it",
            f"花名册只有表头（第{header.row_number}行），没有数据",
        )
    return Roster(
        format=fmt,
        encoding=encoding,
        header_row=header.row_number,
        columns={key: header.texts[index] for key, index in positions},
        ignored_headers=[
            cell
            for index, cell in enumerate(header.texts)
            if cell and index not in header.positions.values()
        ],
        _records=records,
    )


def _repeats_header(values: dict[str, str]) -> bool:
    """True for a copy of the header, as left where village sheets were pasted together."""
    return all(column_key(value) == key for key, value in values.items())


def _id_as_number(row_number: int, key: str, index: int, cell: Any) -> RosterUnreadable:
    shown = cell.strip() if isinstance(cell, str) else f"{cell:.15G}"
    column = column_letter(index + 1)
    return RosterUnreadable(
        "ID_AS_NUMBER",
        f"Row {row_number}: the {header_for(key)} in column {column} ({shown}) is stored as a"
        " number, so Excel has already dropped its digits after the 15th. Format the ID number"
        " columns as text (设置为文本格式), enter the numbers again and upload the file again",
        f"第{row_number}行{column}列的{header_for(key)}（{shown}）被存成了数字，Excel 已丢失"
        "第15位之后的数字。请把身份证号所在的列设置为文本格式，重新录入号码后再上传",
    )


def _unknown_format(filename: str, what_en: str, what_zh: str) -> RosterUnreadable:
    return RosterUnreadable(
        "UNKNOWN_FORMAT",
        f"{filename} cannot be read: it is {what_en}. Save it from Excel or WPS as an .xlsx"
        " workbook or as CSV and upload it again",
        f"无法读取{filename}：该文件是{what_zh}。请在 Excel 或 WPS 中另存为 .xlsx 或 CSV"
        " 格式后重新上传",
    )
