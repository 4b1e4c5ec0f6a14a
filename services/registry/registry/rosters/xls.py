"""Old-style Excel workbooks (.xls: BIFF records in an OLE2 compound document), read with xlrd
(2.0.1, pinned) in the reading child process, under the same limits as the other formats.

Many townships still save .xls. xlrd reads a workbook's global records (its shared strings
among them) when it opens it, and each sheet whole when asked for it: so the file's size (the
upload limit) bounds what it holds, the counts below are checked before a sheet's rows are
read, each sheet is let go before the next is loaded, and the child's memory and CPU limits
stop whatever these do not foresee. Rows are not padded to the widest one (`ragged_rows`): a
sheet claiming 65,536 rows of 256 columns costs what its cells cost, not 16 million empty ones.
BIFF8 has at most 65,536 rows and 256 columns a sheet.

xlrd writes its warnings to a log file (standard output by default, which is where the child
answers): they go nowhere here.

An OLE2 file is also what Office makes of an .xlsx protected by a password (its streams
"EncryptionInfo" and "EncryptedPackage"), and of Word and PowerPoint files: each is refused
naming what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from registry.rosters import limits as refusals
from registry.rosters.limits import MAX_SHEETS, RosterLimits, RosterUnreadable

# (sheet name, rows as Python values as openpyxl gives them, merged ranges)
XlsSheet = tuple[str, Iterator[list], list[tuple[int, int, int, int]]]


class _Nowhere:
    """A log file that keeps nothing."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def password_protected(filename: str) -> RosterUnreadable:
    return RosterUnreadable(
        "PASSWORD_PROTECTED",
        f"{filename} is protected by a password, so it cannot be read. Open it in Excel or WPS,"
        " remove the password (File → Info → Protect Workbook → Encrypt with Password: clear it)"
        " and save it as an .xlsx workbook (Excel 工作簿), then upload it again",
        f"无法读取{filename}：该工作簿设置了打开密码。请在 Excel 或 WPS 中打开，取消密码"
        "（文件 → 信息 → 保护工作簿 → 用密码进行加密：清空密码）后另存为 .xlsx（Excel 工作簿）"
        "再上传",
    )


def open_xls(
    data: bytes,
    filename: str,
    limits: RosterLimits,
    unknown: Callable[[str, str], RosterUnreadable],
    count_merged: Callable[[int], None],
) -> tuple[int, Iterator[XlsSheet]]:
    """How many sheets the .xls workbook in `data` has, and the sheets, one at a time;
    RosterUnreadable for an OLE2 file that is no readable workbook (`unknown(what_en, what_zh)`
    makes the refusal naming what it is). `count_merged(n)` is told of each sheet's merged
    ranges before its rows are read."""
    import xlrd  # only the reading process needs xlrd, and only for an .xls
    from xlrd.compdoc import CompDoc

    nowhere = _Nowhere()
    try:
        streams = {entry.name for entry in CompDoc(data, logfile=nowhere).dirlist}
    except Exception as error:
        raise unknown("a damaged old-style Office file", "已损坏的旧版 Office 文件") from error
    if {"EncryptionInfo", "EncryptedPackage"} & streams:
        raise password_protected(filename)
    if not {"Workbook", "Book"} & streams:
        raise unknown(
            "an old-style Office document that is not an Excel workbook (a Word or PowerPoint"
            " file?)",
            "旧版 Office 文档，不是 Excel 工作簿（是否为 Word 或 PowerPoint 文件？）",
        )
    try:
        book = xlrd.open_workbook(
            file_contents=data,
            logfile=nowhere,
            verbosity=0,
            formatting_info=True,  # merged ranges come only with it
            on_demand=True,
            ragged_rows=True,
        )
    except xlrd.XLRDError as error:
        if "encrypted" in str(error).lower():  # a .xls with a password to open it
            raise password_protected(filename) from None
        raise unknown("an .xls workbook xlrd cannot read", "无法读取的 .xls 工作簿") from error
    except (RosterUnreadable, MemoryError):
        raise
    except Exception as error:  # xlrd fails in many ways on damaged records
        raise unknown("a damaged .xls workbook", "已损坏的 .xls 工作簿") from error
    return book.nsheets, _sheets(book, limits, count_merged)


def _sheets(book, limits: RosterLimits, count_merged) -> Iterator[XlsSheet]:
    try:
        # xlrd 2.0.1 keeps the shared strings in this list, read when the book is opened.
        strings = book._sharedstrings
        if len(strings) > limits.max_shared_strings:
            raise refusals.too_many_shared_strings(limits.max_shared_strings)
        for index, text in enumerate(strings):
            if len(text) > limits.max_cell_chars:
                raise refusals.shared_string_too_long(index, limits.max_cell_chars)
        if book.nsheets > MAX_SHEETS:
            raise refusals.too_many_sheets(book.nsheets)
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            if sheet.nrows > limits.max_rows:
                raise refusals.too_many_rows(limits.max_rows)
            count_merged(len(sheet.merged_cells))
            ranges = [
                (first_row + 1, first_col + 1, end_row, end_col)  # half-open, 0-based
                for first_row, end_row, first_col, end_col in sheet.merged_cells
                if first_row < end_row and first_col < end_col
            ]
            yield sheet.name, _rows(book, sheet, limits), ranges
            book.unload_sheet(index)
    finally:
        book.release_resources()


def _rows(book, sheet, limits: RosterLimits) -> Iterator[list]:
    import xlrd

    text, number, date = xlrd.XL_CELL_TEXT, xlrd.XL_CELL_NUMBER, xlrd.XL_CELL_DATE

    def value(kind: int, content: Any) -> Any:
        """A cell as openpyxl gives one: text, a float, a bool, a datetime, or None."""
        if kind == text:
            return content
        if kind == number:
            return float(content)
        if kind == date:
            try:
                return xlrd.xldate.xldate_as_datetime(content, book.datemode)
            except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                return float(content)  # a number in a date format that names no day
        if kind == xlrd.XL_CELL_BOOLEAN:
            return bool(content)
        if kind == xlrd.XL_CELL_ERROR:
            return xlrd.error_text_from_code.get(content, "#ERROR")
        return None  # empty and blank cells

    for index in range(sheet.nrows):
        length = sheet.row_len(index)
        if length > limits.max_columns:
            raise refusals.too_many_columns(index + 1, length, limits.max_columns)
        kinds, contents = sheet.row_types(index), sheet.row_values(index)
        yield [value(kind, content) for kind, content in zip(kinds, contents, strict=True)]
