"""Merged cells carried down a sheet as it streams by, for workbooks of both formats.

Townships merge a household's cells down its members' rows (户编号, 户主, 户主身份证号): Excel
shows the value on every row, but stores it only in the range's top-left cell, and the other
cells of the range come out empty. `Merges` gives each cell of a merged range that spans several
rows the value of the range's top-left cell, reading the sheet once from top to bottom: it holds
the ranges (known before the rows are read: `workbook.merged_ranges`, xlrd's `merged_cells`)
sorted by their first row, and the top-left values only of the ranges the rows have reached and
not yet left.

A range within one row (a title across the columns, a 合计 line) is a label, not a value of
each column, and is not spread. In the rows searched for the header, a range is carried down its
left column only (a header cell merged over two header rows names its column in both), so that a
header merged across columns does not name two columns; in the rows under the header, ranges that
begin under it fill every cell they cover.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from registry.rosters import limits as refusals

Range = tuple[int, int, int, int]  # first row, first column, last row, last column: 1-based

_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7}):\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_EXCEL_ROWS, _EXCEL_COLUMNS = 1_048_576, 16_384


def column_number(letters: str) -> int:
    """The 1-based number of the column Excel names with these letters: A is 1, AA is 27."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def parse_ref(ref: str) -> Range | None:
    """The range a reference such as "B5:C8" names, or None for a reference that names no
    range of cells of a sheet (one cell, letters past XFD, rows past Excel's last)."""
    found = _REF.fullmatch(ref)
    if found is None:
        return None
    first_col, last_col = column_number(found[1]), column_number(found[3])
    first_row, last_row = int(found[2]), int(found[4])
    if not (1 <= first_row <= last_row <= _EXCEL_ROWS and 1 <= first_col <= last_col):
        return None
    if last_col > _EXCEL_COLUMNS:
        return None
    return first_row, first_col, last_row, last_col


class Merges:
    """The merged ranges of one sheet, carried into its rows in order (see the module)."""

    def __init__(self, ranges: list[Range], max_columns: int):
        # Ranges within one row are labels: never spread. Columns past the last a row may have
        # are never read.
        spanning = [
            (first_row, first_col, last_row, min(last_col, max_columns))
            for first_row, first_col, last_row, last_col in ranges
            if last_row > first_row and first_col <= max_columns
        ]
        self.pending = sorted(spanning, reverse=True)  # the next range to begin comes last
        self.active: list[tuple[int, int, int, int, Any]] = []  # ..., top-left value
        self.max_columns = max_columns
        self.header_row = 0  # ranges beginning at or above it fill no row under it

    def __bool__(self) -> bool:
        return bool(self.pending or self.active)

    def carry(self, row_number: int, cells: Sequence, header: bool) -> Sequence:
        """The row's cells, those covered by a merged range (not its top-left) given the
        top-left value when they are empty. `header`: the row is searched for the header."""
        self._begin(row_number, cells)
        if not self.active:
            return cells
        filled: list | None = None
        for first_row, first_col, _, last_col, value in self.active:
            if first_row == row_number:
                continue
            if header:
                last_col = first_col
            elif first_row <= self.header_row:
                continue
            for column in range(first_col, last_col + 1):
                if filled is None:
                    filled = list(cells)
                if column > len(filled):
                    filled.extend([None] * (column - len(filled)))
                if filled[column - 1] is None or filled[column - 1] == "":
                    filled[column - 1] = value
        return cells if filled is None else filled

    def _begin(self, row_number: int, cells: Sequence) -> None:
        """Takes in the ranges that begin on this row, and lets go of those that ended above."""
        if self.active and min(active[2] for active in self.active) < row_number:
            self.active = [active for active in self.active if active[2] >= row_number]
        began = False
        while self.pending and self.pending[-1][0] <= row_number:
            first_row, first_col, last_row, last_col = self.pending.pop()
            value = cells[first_col - 1] if first_col <= len(cells) else None
            if first_row < row_number or value is None or value == "":
                continue  # a range of rows never read, or with nothing to carry
            self.active.append((first_row, first_col, last_row, last_col, value))
            began = True
        # Ranges of one sheet never overlap, so no row lies in more of them than it has
        # columns: more would make every row cost that much more to fill.
        if began and sum(a[3] - a[1] + 1 for a in self.active) > self.max_columns:
            raise refusals.overlapping_merged_cells(row_number)
