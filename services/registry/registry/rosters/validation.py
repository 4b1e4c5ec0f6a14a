"""Checking a roster before anything of it is applied: the columns and sheets left unread (a
file whose unread columns look like data to keep is refused unless the caller says they may be
left), and every row parsed, a slice at a time so that an import's progress moves while it
validates. A row is refused here for a value that breaks its column's rules, for a problem found
while reading it (an ID number stored as an Excel number) or for an ID number an earlier row of
the file already has.

Rows are told apart by their sheet's name and row number (`Ref`): several sheets of a workbook
share row numbers.

A reason may quote the cell it is about (`没有名为“…”的村`), and a cell may hold what belongs
elsewhere: every reason, and every unread column's header, has the ID numbers and mobile numbers
in it masked (`sanbao_common.privacy.mask_text`) before it is stored or replied, here, in
`error_rows` and `unread`, the one way refused rows and unread columns leave this module.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from registry.exceptions import RosterRefused
from registry.people.domain import PersonInput, RowProblem
from registry.people.parsing import Parser
from registry_contract import rosters as contract
from sanbao_common.errors import InvalidInput
from sanbao_common.privacy import mask_text

Ref = tuple[str | None, int]  # (sheet name, None for a CSV file; row number as Excel shows it)
NO_SHEET = ""  # how a CSV file's missing sheet name is stored


def where(ref: Ref) -> tuple[str, str]:
    """A row's place for a message: Chinese and English ("工作表“二组”第5行", "row 5 of sheet
    二组"; a CSV's rows by number only)."""
    sheet, row = ref
    if sheet is None:
        return f"第{row}行", f"row {row}"
    return f"工作表“{sheet}”第{row}行", f"row {row} of sheet {sheet}"


class Validation:
    """One roster's rows judged in file order, a slice at a time (`step`); the valid people,
    and the problems of the others, as they accumulate."""

    def __init__(self, roster, parser: Parser):
        self.roster, self.parser = roster, parser
        self._rows = iter(roster.rows())
        self.done = False
        self.total = 0
        self.valid: list[tuple[Ref, PersonInput]] = []
        self.problems: list[tuple[Ref, RowProblem]] = []
        self._first_row_of: dict[str, Ref] = {}

    def step(self, rows: int) -> bool:
        """Judge up to `rows` more rows; whether any are left."""
        before = self.total
        for row in itertools.islice(self._rows, rows):
            self._judge(row)
        self.done = self.total - before < rows
        return not self.done

    def refused(self) -> int:
        """Rows refused so far (a row with several problems counts once)."""
        return len({ref for ref, _ in self.problems})

    def _judge(self, row) -> None:
        self.total += 1
        sheet = self.roster.sheets[row.sheet]
        ref: Ref = (sheet.name, row.row_number)
        values = dict(row.values)
        # A column the sheet has but a row leaves blank clears that value; a column the sheet
        # does not have leaves it as it is.
        for column in sheet.columns:
            values.setdefault(column, "")
        person, found = self.parser.parse(values)
        read = [RowProblem(column, zh, en) for column, zh, en in row.problems]
        if read:  # what reading found stands for its column: the parser saw a damaged value
            spoiled = {problem.column for problem in read}
            found = read + [p for p in found if p.column not in spoiled]
            person = None
        if person is not None:
            earlier = self._first_row_of.setdefault(person.id_number, ref)
            if earlier != ref:
                if earlier[0] == ref[0]:
                    zh, en = f"第{earlier[1]}行", f"row {earlier[1]}"
                else:
                    zh, en = where(earlier)
                found = [RowProblem("id_number", f"与{zh}身份证号重复", f"same ID number as {en}")]
                person = None
        if person is None:
            self.problems.extend((ref, problem) for problem in found)
        else:
            self.valid.append((ref, person))


def error_rows(import_id: str, problems: Iterable[tuple[Ref, RowProblem]]) -> list[dict]:
    """Rows of roster_import_errors (and of a dry run's reply): one per row and column, a
    column's reasons joined, ID numbers and phones in them masked (a reason quoting a cell that
    holds one: a village named 532501199003150013)."""
    merged: dict[tuple[str, int, str], str] = {}
    for (sheet, row), problem in problems:
        key = (sheet or NO_SHEET, row, problem.column)
        merged[key] = f"{merged[key]}；{problem.reason_zh}" if key in merged else problem.reason_zh
    return [
        {"import_id": import_id, "sheet": sheet, "row_number": row, "column": column,
         "reason": mask_text(reason)}
        for (sheet, row, column), reason in merged.items()
    ]  # fmt: skip


# -- what is left unread -------------------------------------------------------------------------


def unread(roster) -> tuple[list[dict], list[dict]]:
    """The columns no sheet's rows are read from ({sheet, header, looks_like}: the kind of data
    the header looks like, or None; a header masked as reasons are) and the sheets not read
    ({sheet, reason})."""
    columns = [
        {
            "sheet": sheet.name,
            "header": mask_text(header),
            "looks_like": contract.looks_known(header),
        }
        for sheet in roster.sheets
        for header in sheet.ignored_columns
    ]
    sheets = [{"sheet": name, "reason": reason} for name, reason in roster.ignored_sheets]
    return columns, sheets


def check_ignore_columns(ignore_columns) -> list[str]:
    """The request's `ignore_columns`: header texts, as typed."""
    if ignore_columns is None:
        return []
    if (
        not isinstance(ignore_columns, list | tuple)
        or len(ignore_columns) > 256
        or not all(isinstance(h, str) and 0 < len(h.strip()) <= 200 for h in ignore_columns)
    ):
        raise InvalidInput(
            {"ignore_columns": ["a list of at most 256 column headers, each 1 to 200 characters"]}
        )
    return list(ignore_columns)


def not_let_go(columns: list[dict], ignore_columns: list[str]) -> list[dict]:
    """The unread columns that look like data to keep and that `ignore_columns` does not name
    (headers compared as the importer compares them: whitespace, line breaks, "*" and
    full-width forms aside; a column without a header by its letter, `F列`)."""
    let_go = {contract.ignore_key(mask_text(header)) for header in ignore_columns}
    return [
        column
        for column in columns
        if column["looks_like"] and contract.ignore_key(column["header"]) not in let_go
    ]


def refuse_unread(kept: list[dict]) -> None:
    """A file with columns that look like data to keep, left unread: refused whole, naming
    them and the option that lets them go (nothing of the file is written)."""
    if not kept:
        return
    headers = list(dict.fromkeys(column["header"] for column in kept))
    named = "、".join(f"“{header}”" for header in headers)
    options = " ".join(f"--ignore-column {_quoted(_short(header))}" for header in headers)
    raise RosterRefused(
        message_en=(
            f"the file has columns we do not read that look like data to keep: {named}"
            f" ({', '.join(sorted({c['looks_like'] for c in kept}))}). Rename them to a header"
            " we read (docs/rosters.md), or, if they may be left unread, say so with"
            f" {options} (ignore_columns); nothing was imported (UNREAD_COLUMNS)"
        ),
        message_zh=(
            f"文件中有未能识别、但看似需要保留的数据列：{named}。请改用可识别的列名"
            f"（见 docs/rosters.md）；如确实可以不导入，请用 {options} 注明；本次未导入任何数据"
        ),
    )


def _short(header: str) -> str:
    """What --ignore-column names a column by: its header, a column without one by its letter."""
    if contract.looks_known(header) == contract.NO_HEADER_KIND:
        return contract.ignore_key(header)
    return header


def _quoted(header: str) -> str:
    """A header as a shell word: quoted if it holds spaces or quotes."""
    if header and not any(c.isspace() or c in "'\"\\$`" for c in header):
        return header
    return "'" + header.replace("'", "'\\''") + "'"
