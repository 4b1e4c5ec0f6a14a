"""The import error report a township gets back: row, column, reason, written by the kit's
`sanbao_common.spreadsheets.write_table` (text cells only, never a formula)."""

from __future__ import annotations

from collections.abc import Iterable

from registry_contract.rosters import header_for
from sanbao_common.spreadsheets import write_table

ERROR_REPORT_HEADERS = ["行号", "列", "原因"]


def error_report(fmt: str, errors: Iterable[tuple[int, str, str]]) -> bytes:
    """The import error report: one line per (row number, column key or "" for a problem of the
    whole row, reason in Chinese); the column is named by its Chinese header."""
    rows = ([row, header_for(key) if key else "", reason] for row, key, reason in errors)
    return write_table(fmt, ERROR_REPORT_HEADERS, rows, text_columns={1, 2})
