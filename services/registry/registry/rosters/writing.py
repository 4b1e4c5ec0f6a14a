"""The import error report a township gets back: (sheet,) row, column, reason, written by the
kit's `sanbao_common.spreadsheets.write_table` (text cells only, never a formula)."""

from __future__ import annotations

from collections.abc import Iterable

from registry_contract.rosters import header_for
from sanbao_common.spreadsheets import write_table

ERROR_REPORT_HEADERS = ["行号", "列", "原因"]
SHEET_HEADER = "工作表"


def _header(key: str) -> str:
    """A column key's Chinese header; "" for a problem of the whole row."""
    if not key:
        return ""
    try:
        return header_for(key)
    except KeyError:
        return key


def error_report(fmt: str, errors: Iterable[tuple]) -> bytes:
    """The import error report: one line per (row number, column key or "" for a problem of
    the whole row, reason in Chinese[, sheet name or None]); the column is named by its Chinese
    header. A workbook's report starts with the sheet's name (工作表), since its sheets share
    row numbers; a CSV file's (no sheet anywhere) has none."""
    errors = list(errors)
    sheets = [error[3] if len(error) > 3 else None for error in errors]
    if any(sheet is not None for sheet in sheets):
        rows = (
            [sheet or "", row, _header(key), reason]
            for sheet, (row, key, reason, *_) in zip(sheets, errors, strict=True)
        )
        headers = [SHEET_HEADER, *ERROR_REPORT_HEADERS]
        return write_table(fmt, headers, rows, text_columns={0, 2, 3})
    rows = ([row, _header(key), reason] for row, key, reason, *_ in errors)
    return write_table(fmt, ERROR_REPORT_HEADERS, rows, text_columns={1, 2})
