"""Rosters written as townships keep theirs, for tests and the demo: their own header names, a
title and a 填报单位 line above the header, a sheet a village, households' cells merged down their
members' rows, notes and empty sheets beside the roster, ID numbers typed as numbers, GBK CSV
and old .xls workbooks. The rows come from `sample_rosters.generate_roster_rows`, through
`as_township_keeps`.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

# The columns of a township's own survey spreadsheet, under its own names (the left column, 序号,
# is a running number nobody reads).
TOWNSHIP_HEADERS = {
    "name": "姓名",
    "sex": "性别",
    "id_number": "身份证号码",
    "village": "村委会",
    "village_group": "村民小组",
    "household_number": "户编号",
    "household_head_name": "户主",
    "relation_to_head": "与户主关系",
    "poor": "是否建档立卡户",
    "phone": "联系电话",
    "employment_status": "就业状态",
    "intention_regions": "意向地区",
    "training_intention": "培训意愿",
    "remarks": "备注",
}
# Sheets a township's workbook holds besides its roster: notes without a header, and the
# empty sheets Excel makes a new workbook with.
OTHER_SHEETS = {"填表说明": [["填表说明"], ["1. 身份证号码一栏请设置为文本格式"]], "Sheet3": []}


def as_township_keeps(
    rows: list[dict[str, str]], villages: dict[str, str] | None = None
) -> list[dict[str, str]]:
    """Generated rows as a township's spreadsheet has them: with 性别 (from the ID number), 户主
    (the head's name, on every member's row), and the village under `village`, by its name
    where `villages` (code -> name) names it, else by its code."""
    heads = {row["household_number"]: row["name"] for row in rows if _head(row)}
    kept = []
    for row in rows:
        row = dict(row)
        if row.get("id_number", "")[16:17].isdigit():
            row["sex"] = "男" if int(row["id_number"][16]) % 2 else "女"
        if row.get("household_number") in heads:
            row["household_head_name"] = heads[row["household_number"]]
        if "village_code" in row:
            code = row.pop("village_code")
            row["village"] = (villages or {}).get(code, code)
        kept.append(row)
    return kept


def _head(row: dict[str, str]) -> bool:
    return row.get("relation_to_head") == "户主" and "household_number" in row


def township_roster(
    sheets: dict[str, list[dict[str, str]]],
    fmt: str = "xlsx",
    *,
    headers: dict[str, str] = TOWNSHIP_HEADERS,
    title: str = "新街镇2026年农村劳动力转移就业花名册",
    merged: tuple[str, ...] = ("household_number", "household_head_name"),
    numbers: frozenset[str] = frozenset(),
    other_sheets: dict[str, list[list[str]]] | None = None,
    encoding: str = "gbk",
) -> bytes:
    """A roster as townships keep theirs: on each sheet (one a village, say) a title merged
    across the columns, a 填报单位 line, the header (`headers`: key -> header text, after a 序号
    column), and the rows, with the cells of `merged` columns merged down each household's
    consecutive rows; then `other_sheets` (OTHER_SHEETS by default). ID numbers in `numbers`
    are typed as numbers, as in a column left General (常规). `fmt`: "xlsx", "xls" (written
    with xlwt, a test dependency) or "csv" (the first sheet only, no merging, in `encoding`)."""
    other_sheets = OTHER_SHEETS if other_sheets is None else other_sheets
    tables = {name: _township_table(rows, headers, title, numbers) for name, rows in sheets.items()}
    if fmt == "csv":
        cells, _ = next(iter(tables.values()))
        cells = [[_as_excel_writes(v) for v in row] for row in cells]
        text = io.StringIO()
        csv.writer(text).writerows(["" if v is None else str(v) for v in row] for row in cells)
        return text.getvalue().encode(encoding)
    keys = ["", *headers]
    spans = {name: _household_spans(rows, keys, merged) for name, rows in sheets.items()}
    width = len(keys)
    if fmt == "xls":
        return _xls(tables, spans, width, other_sheets)
    book = Workbook()
    book.remove(book.active)
    for name, (cells, first_data) in tables.items():
        sheet = book.create_sheet(name)
        for row in cells:
            sheet.append(row)
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        for first, last, column in spans[name]:
            sheet.merge_cells(
                start_row=first_data + first,
                start_column=column + 1,
                end_row=first_data + last,
                end_column=column + 1,
            )
    for name, rows in other_sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    target = io.BytesIO()
    book.save(target)
    return target.getvalue()


def _as_excel_writes(value):
    """A cell as Excel saves it as CSV: an 18-digit number in scientific notation."""
    return f"{value:.5E}" if isinstance(value, int) and value > 10**15 else value


def _township_table(rows, headers, title, numbers) -> tuple[list[list], int]:
    """A sheet's cells (title, 填报单位 line, header, rows; a merged cell's value only in its
    top-left cell, the rest left for `_household_spans` to merge) and its first data row."""
    cells: list[list] = [[title], ["填报单位：新街镇人民政府    填报日期：2026年11月"]]
    cells.append(["序号", *headers.values()])
    for number, row in enumerate(rows, 1):
        values = [row.get(key) for key in headers]
        if "id_number" in headers and row.get("id_number") in numbers:
            values[list(headers).index("id_number")] = int(row["id_number"])
        cells.append([number, *values])
    return cells, 4


def _household_spans(rows, keys: list[str], merged) -> list[tuple[int, int, int]]:
    """(first, last row index among `rows`, column index) of each household's run of two or
    more consecutive rows, in each of the `merged` columns."""
    spans = []
    start = 0
    for index in range(1, len(rows) + 1):
        same = index < len(rows) and (
            rows[index].get("household_number") == rows[start].get("household_number")
        )
        if same:
            continue
        if index - 1 > start and rows[start].get("household_number"):
            spans += [(start, index - 1, keys.index(key)) for key in merged if key in keys]
        start = index
    return spans


def _xls(tables, spans, width: int, other_sheets) -> bytes:
    import xlwt  # a test dependency: only tests write .xls files

    book = xlwt.Workbook(encoding="utf-8")
    for name, (cells, first_data) in tables.items():
        sheet = book.add_sheet(name)
        covered = {
            (first_data - 1 + row, column)
            for first, last, column in spans[name]
            for row in range(first + 1, last + 1)
        }
        for row_index, row in enumerate(cells):
            for column, value in enumerate(row):
                if value is not None and row_index > 0 and (row_index, column) not in covered:
                    sheet.write(row_index, column, value)
        sheet.write_merge(0, 0, 0, width - 1, cells[0][0])
        for first, last, column in spans[name]:
            top = first_data - 1 + first
            sheet.merge(top, first_data - 1 + last, column, column)
    for name, rows in other_sheets.items():
        sheet = book.add_sheet(name)
        for row_index, row in enumerate(rows):
            for column, value in enumerate(row):
                sheet.write(row_index, column, value)
    target = io.BytesIO()
    book.save(target)
    return target.getvalue()
