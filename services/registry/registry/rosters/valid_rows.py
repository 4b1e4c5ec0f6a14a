"""Which rows of a roster an import applies: those found valid when its validation was recorded,
kept with the import as runs of consecutive rows (`runs_of`), so that an import resumed after a
crash applies exactly those, from its position, whatever the village list or the settings
became meanwhile. Each is applied as it validates now; one that no longer validates (its village
retired or renamed, an age limit changed) is refused while applying, with its problems, so that
every row of the file still ends as exactly one outcome of the summary (docs/rosters.md)."""

from __future__ import annotations

from registry.people.domain import PersonInput, RowProblem
from registry.rosters.validation import NO_SHEET, Ref, Validation


def runs_of(refs: list[Ref]) -> list[list]:
    """Rows (sheet, row number), in order, as runs of consecutive rows of one sheet: [sheet
    ("" for a CSV file), first row, last row]. A roster's valid rows are mostly consecutive,
    so a county's 100,000 take a few hundred runs."""
    runs: list[list] = []
    for sheet, row in refs:
        sheet = sheet or NO_SHEET
        if runs and runs[-1][0] == sheet and runs[-1][2] == row - 1:
            runs[-1][2] = row
        else:
            runs.append([sheet, row, row])
    return runs


def refs_of(runs: list[list]) -> list[Ref]:
    """The rows `runs_of` gave the runs of, in the same order."""
    return [(sheet or None, row) for sheet, first, last in runs for row in range(first, last + 1)]


def gone_problem() -> RowProblem:
    """Why a row found valid when the import was validated is refused when it is resumed (the
    row's own problems follow, by column)."""
    return RowProblem(
        "",
        "导入中断后恢复时按当时的村名单和设置重新校验未通过，未导入",
        "no longer valid when the interrupted import resumed (checked against the village list"
        " and settings of that moment); not imported",
    )


class ValidRows:
    """The rows an import applies (`refs`, in order: those found valid when its validation was
    recorded), each as `validation`, just run again, judges it now."""

    def __init__(self, refs: list[Ref], validation: Validation):
        self.refs = refs
        self.now = dict(validation.valid)
        self.problems: dict[Ref, list[RowProblem]] = {}
        for ref, problem in validation.problems:
            self.problems.setdefault(ref, []).append(problem)

    def chunk(
        self, position: int, end: int
    ) -> tuple[list[tuple[Ref, PersonInput]], list[tuple[Ref, RowProblem]]]:
        """Rows `position` to `end`: those valid now, to apply, and the problems of those that
        no longer are, to refuse."""
        chunk, gone = [], []
        for ref in self.refs[position:end]:
            if ref in self.now:
                chunk.append((ref, self.now[ref]))
            else:
                gone += [(ref, gone_problem())] + [(ref, p) for p in self.problems.get(ref, [])]
        return chunk, gone
