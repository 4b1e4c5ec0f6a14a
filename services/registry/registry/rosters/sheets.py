"""One roster file read sheet after sheet, whatever its format: each sheet's header found, its
rows read under the header, and what the sheets add up to kept within the limits (rows, text,
merged ranges: all sheets together).

A sheet whose header is found (a row naming 姓名, 身份证号 and a village column, among its first
non-empty rows) is read; a sheet that is empty, has no such header, or has a header and no rows
under it is named among the ignored sheets with the reason. A sheet that looks like a roster but
cannot be read as one — rows under a header naming two or more of our columns, one of them about
the person, that lacks a required column, or a header naming a column twice — refuses the whole
file, naming the sheet and what it lacks: its people would otherwise be dropped while the rest
imports. A file none of whose sheets can be read is refused with the reason of the sheet that
came closest. A row whose ID number is stored as a number (Excel has dropped its digits after the
15th) is read with that problem, and its other rows are read as usual.

A column with data under an empty header cell is named among the ignored columns by its letter
(`F列（无表头）`), like a column whose header we do not know.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from registry.rosters import limits as refusals
from registry.rosters.limits import MIB, RosterLimits, RosterTooLarge, RosterUnreadable
from registry.rosters.merges import Merges
from registry_contract.rosters import (
    VILLAGE_KEYS,
    column_key,
    has_required,
    header_for,
    missing_required,
    unnamed_header,
)

HEADER_SCAN_ROWS = 10  # non-empty rows searched for the header: titles and notes sit above it
ID_KEYS = frozenset({"id_number", "household_head_id"})
# Columns of a place rather than of a person: a header naming only these (乡镇, 村委会: a summary
# by village) does not look like a roster.
PLACE_KEYS = frozenset({*VILLAGE_KEYS, "township", "village_group"})

Rows = Iterator[tuple[int, Sequence[Any]]]  # (1-based row number, raw cells)
FILE_EMPTY = ("The file is empty", "文件为空")
SHEET_EMPTY = ("The sheet is empty", "工作表为空")


def column_letter(index: int) -> str:
    """The letters Excel names the column with, 1-based: 1 is A, 27 is AA."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


class Header:
    def __init__(self, row_number: int, positions: dict[str, int], texts: list[str]):
        self.row_number = row_number
        self.positions = positions  # column key -> 0-based index of its cell
        self.texts = texts


class Reading:
    """A file being read: the sheets read and not read, the rows, and the budgets they share.
    `several`: the file is a workbook of more than one sheet (refusals then name the sheet)."""

    def __init__(self, limits: RosterLimits, several: bool = False):
        self.limits, self.several = limits, several
        self.rows = self.kept = self.merged = 0
        self.sheets: list[dict] = []  # Sheet fields, for reading.Roster to build
        self.records: list[tuple[int, int, dict[str, str], tuple]] = []
        self.unread: list[tuple[str | None, RosterUnreadable]] = []

    # -- the budgets ------------------------------------------------------------------------

    def bounded(self, rows: Iterable[Sequence], texts: Callable, quoted: bool = False) -> Rows:
        """(row number, cells) of each row of one sheet, refusing the file at the first row past
        a limit; rows are numbered as Excel shows them, blank ones counted. `texts(cells)`
        gives a row's texts; `quoted`: a CSV's, where a long cell is most often a quotation
        mark left open."""
        limits = self.limits
        for row_number, cells in enumerate(rows, 1):
            self.rows += 1
            if self.rows > limits.max_rows:
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

    def count_merged(self, count: int) -> None:
        self.merged += count
        if self.merged > self.limits.max_merged_cells:
            raise refusals.too_many_merged_cells(self.limits.max_merged_cells)

    # -- a sheet ----------------------------------------------------------------------------

    def sheet(self, name: str, rows: Rows, text: Callable, id_lost: Callable, merges: Merges):
        """Reads one sheet of a workbook, or names it among those not read."""
        try:
            header = find_header(_carried(rows, merges, True), text, SHEET_EMPTY)
        except RosterTooLarge:
            raise
        except RosterUnreadable as problem:
            if problem.reason_code == "DUPLICATE_COLUMN":
                raise self.of_sheet(name, problem) from None
            if _people_left_out(problem, rows, text):
                raise self.of_sheet(name, _left_out(problem)) from None
            self.unread.append((name, problem))
            return
        merges.header_row = header.row_number
        self.read_rows(name, header, _carried(rows, merges, False), text, id_lost)

    def read_rows(
        self, name: str | None, header: Header, rows: Rows, text: Callable, id_lost: Callable
    ) -> None:
        """Reads the rows under a sheet's header; an ID number stored as a number is a problem
        of its row (and its value, whose digits are lost, is left out)."""
        positions = list(header.positions.items())
        id_positions = [(key, index) for key, index in positions if key in ID_KEYS]
        width = max(index for _, index in positions) + 1
        most, sheet, found = self.limits.max_text_mib * MIB, len(self.sheets), 0
        unnamed = _Unnamed(header.texts)
        for row_number, cells in rows:
            unnamed.look(cells, text)
            if len(cells) < width:  # CSV lines and sheet rows end at their last non-empty cell
                cells = [*cells, *[""] * (width - len(cells))]
            values = {key: v for key, index in positions if (v := text(cells[index]))}
            if not values:
                continue
            self.kept += sum(len(v) if v.isascii() else len(v.encode()) for v in values.values())
            if self.kept > most:
                raise refusals.too_much_text(self.limits.max_text_mib)
            # A data row's ID number starts with a digit: only other rows can repeat the header.
            if not values.get("id_number", "")[:1].isdigit() and _repeats_header(values):
                continue
            problems = tuple(
                _id_as_number(key, index) for key, index in id_positions if id_lost(cells[index])
            )
            for key, _, _ in problems:
                values.pop(key, None)
            self.records.append((sheet, row_number, values, problems))
            found += 1
        if not found:
            row = header.row_number
            self.unread.append(
                (
                    name,
                    _NoRows(
                        "EMPTY",
                        f"The roster has a header (row {row}) but no rows under it",
                        f"花名册只有表头（第{row}行），没有数据",
                    ),
                )
            )
            return
        self.sheets.append(
            {
                "name": name,
                "header_row": header.row_number,
                "columns": {key: header.texts[index] for key, index in positions},
                "ignored_columns": _ignored_columns(header, unnamed.found),
                "data_rows": found,
            }
        )

    # -- the file ---------------------------------------------------------------------------

    def ignored_sheets(self) -> list[tuple[str, str]]:
        return [(name or "", f"{p.message_zh} / {p.message_en}") for name, p in self.unread]

    def refusal(self) -> RosterUnreadable:
        """Why a file none of whose sheets is read is refused: the reason of the sheet that
        came closest to a roster (a header lacking a column, say, rather than none at all)."""
        if not self.unread:
            return RosterUnreadable("EMPTY", "The workbook has no worksheet", "工作簿中没有工作表")
        name, problem = min(self.unread, key=lambda unread: _closeness(unread[1]))
        return self.of_sheet(name, problem)

    def of_sheet(self, name: str | None, problem: RosterUnreadable) -> RosterUnreadable:
        """The problem, naming the sheet it is of when the workbook has several."""
        if not self.several or name is None:
            return problem
        return type(problem)(
            problem.reason_code,
            f"Sheet {name}: {problem.message_en}",
            f"工作表“{name}”：{problem.message_zh}",
        )


class _NoRows(RosterUnreadable):
    """A sheet with a roster's header and no rows under it."""


def _closeness(problem: RosterUnreadable) -> int:
    """How far a sheet not read is from a roster, 0 the closest: a header with a problem (a
    column missing), a header without rows, no header, nothing at all."""
    if isinstance(problem, _NoRows):
        return 1
    return {"NO_HEADER": 2, "EMPTY": 3}.get(problem.reason_code, 0)


def _people_left_out(problem: RosterUnreadable, rows: Rows, text: Callable) -> bool:
    """Whether a sheet not read looks like a roster with rows: a header naming two of our
    columns, one of them about the person, and any non-empty row under it (among the rows
    searched for the header, or after them: consumes `rows`)."""
    if not isinstance(problem, _Lacking) or not problem.found - PLACE_KEYS:
        return False
    return problem.rows_after > 0 or any(any(text(cell) for cell in cells) for _, cells in rows)


def _left_out(problem: RosterUnreadable) -> RosterUnreadable:
    """The refusal of a file with a sheet of people that cannot be read as a roster."""
    return RosterUnreadable(
        problem.reason_code,
        f"{problem.message_en}, and has rows under it: nothing of the file was imported, so"
        " that its people are not left out. Add the missing columns (or rename them to headers"
        " we read: docs/rosters.md), or delete the sheet if it is not part of the roster",
        f"{problem.message_zh}，而表头下有数据行：为免漏掉该表中的人员，整个文件未导入。"
        "请补上缺少的列（或改用可识别的列名，见 docs/rosters.md）；"
        "如该工作表不属于花名册，请将其删除",
    )


class _Lacking(RosterUnreadable):
    """A header naming two or more of our columns and lacking a required one: `found`, the
    keys it names; `rows_after`, the non-empty rows seen under it while searching."""

    def __init__(self, reason_code, message_en, message_zh, found=frozenset(), rows_after=0):
        super().__init__(reason_code, message_en, message_zh)
        self.found, self.rows_after = frozenset(found), rows_after


class _Unnamed:
    """The columns with data under an empty header cell (or past the header's last cell), as
    the rows under a header go by: 0-based indexes, `found`."""

    def __init__(self, texts: list[str]):
        self.width = len(texts)
        self.blank = {index for index, cell in enumerate(texts) if not cell}
        self.found: set[int] = set()

    def look(self, cells: Sequence, text: Callable) -> None:
        if self.blank:
            width = len(cells)
            for index in [i for i in self.blank if i < width and _filled(cells[i], text)]:
                self.blank.discard(index)
                self.found.add(index)
        for index in range(self.width, len(cells)):
            if index not in self.found and _filled(cells[index], text):
                self.found.add(index)


def _filled(cell, text: Callable) -> bool:
    return cell is not None and cell != "" and bool(text(cell))


def _ignored_columns(header: Header, unnamed: set[int]) -> list[str]:
    """The headers of the columns not read, in the sheet's order: those we do not know, and
    those with data under no header by their letter (`unnamed_header`)."""
    read = set(header.positions.values())
    named = {i: cell for i, cell in enumerate(header.texts) if cell and i not in read}
    named |= {i: unnamed_header(column_letter(i + 1)) for i in unnamed}
    return [named[index] for index in sorted(named)]


def _carried(rows: Rows, merges: Merges, header: bool) -> Rows:
    """The rows with merged cells carried down (`merges.Merges`), pulled one at a time: the
    header search and the rows under it take turns on the same sheet."""
    for row_number, cells in rows:
        yield row_number, merges.carry(row_number, cells, header) if merges else cells


def find_header(rows: Rows, text: Callable[[Any], str], empty: tuple[str, str]) -> Header:
    """The first row naming every required column, searched among the first non-empty rows;
    consumes `rows` up to and including it."""
    scanned = after = 0  # after: non-empty rows under the closest header so far
    closest: tuple[int, set[str]] | None = None  # a row with known headers, but not all
    for row_number, cells in rows:
        texts = [text(cell) for cell in cells]
        if not any(texts):
            continue
        keys = [column_key(cell) if cell else None for cell in texts]
        found = {key for key in keys if key}
        if has_required(found):
            return _header(row_number, texts, keys)
        after += 1
        if len(found) >= 2 and (closest is None or len(found) > len(closest[1])):
            closest, after = (row_number, found), 0
        scanned += 1
        if scanned == HEADER_SCAN_ROWS:
            break
    if not scanned:
        raise RosterUnreadable("EMPTY", *empty)
    if closest:
        row_number, found = closest
        missing = missing_required(found)
        raise _Lacking(
            "MISSING_COLUMNS",
            f"The header in row {row_number} lacks the required columns:"
            f" {', '.join(en for _, en in missing)}",
            f"第{row_number}行的表头缺少必填列：{'、'.join(zh for zh, _ in missing)}",
            found,
            after,
        )
    required = missing_required(())
    raise RosterUnreadable(
        "NO_HEADER",
        f"No header row in the first {HEADER_SCAN_ROWS} rows: a roster needs at least the"
        f" columns {', '.join(en for _, en in required)}",
        f"前{HEADER_SCAN_ROWS}行中没有表头：花名册至少需要以下列："
        f"{'、'.join(zh for zh, _ in required)}",
    )


def _header(row_number: int, texts: list[str], keys: list[str | None]) -> Header:
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
    return Header(row_number, positions, texts)


def _repeats_header(values: dict[str, str]) -> bool:
    """True for a copy of the header, as left where village sheets were pasted together."""
    return all(column_key(value) == key for key, value in values.items())


@functools.cache  # a few columns at most: rows with the same problem share it
def _id_as_number(key: str, index: int) -> tuple[str, str, str]:
    """The problem of a row whose ID number a spreadsheet program stored as a number. The number
    itself is not repeated: reasons are stored, and an ID number is stored only sealed."""
    column, header = column_letter(index + 1), header_for(key)
    return (
        key,
        f"{column}列的{header}被存成了数字，Excel 已丢失第15位之后的数字：请把该列设置为文本格式"
        "（设置单元格格式 → 文本），重新录入号码后再导入这一行",
        f"the {header} in column {column} is stored as a number, so Excel has already dropped"
        " its digits after the 15th: format the column as text (设置为文本格式), type the number"
        " again and import the row again",
    )
