"""A clerk's day, end to end through `sanbao roster import` on a running stack: one township's
spreadsheets in the styles townships keep them (GBK and UTF-8 CSV, a workbook with title rows,
a sheet per village, notes and empty sheets and households merged down, an old .xls), with
villages by name. Nothing is lost silently: every row is registered, refused with a reason or
held, the summary adds up, sheets left unread are named, a column that looks like data stops the
import until the clerk says to ignore it, and what each row said (household, poverty, training
intention) is what registry stores."""

import csv
import io
import json

import pytest

from sanbao_common.sample_rosters import generate_roster_rows
from sanbao_common.sample_villages import sample_village_name
from sanbao_common.township_rosters import TOWNSHIP_HEADERS, as_township_keeps, township_roster

pytestmark = pytest.mark.e2e

KAFANG = "532501001"  # 卡房镇 in the sample village list
OUTCOMES = ("registered", "updated", "confirmed", "refused_validating", "refused_applying",
            "held_conflicts")  # fmt: skip


def kafang_rows(seed: int) -> list[dict[str, str]]:
    """Whole households of 卡房镇's villages, the village given by its name."""
    rows = [
        row
        for row in generate_roster_rows(160, seed=seed)
        if row["village_code"].startswith(KAFANG)
    ]
    names = {row["village_code"]: sample_village_name(row["village_code"]) for row in rows}
    for row in rows:  # the generator numbers households alike for every seed
        row["household_number"] = f"{seed}-{row['household_number']}"
    return as_township_keeps(rows, villages=names)


def imported(stack, path, *options) -> dict:
    return json.loads(
        stack.ok_as(None, "roster", "import", str(path), "--township", "卡房镇", "--json", *options)
    )


def test_a_townships_spreadsheets_through_sanbao(signed_in_stack, tmp_path):
    stack = signed_in_stack
    files, expected = {}, {}
    for seed, fmt, encoding in ((41, "csv", "gbk"), (42, "csv", "utf-8"), (43, "xlsx", None),
                                (44, "xls", None)):  # fmt: skip
        rows = kafang_rows(seed)
        assert len(rows) >= 6, "the sample should give the township a few households"
        typed = None
        if fmt == "csv":
            content = township_roster({"一村": rows}, fmt, encoding=encoding)
        else:  # two villages' sheets, households merged down, one ID typed as a number
            typed = next(r["id_number"] for r in rows[3:] if r["id_number"][-1].isdigit())
            half = len(rows) // 2
            content = township_roster(
                {"一村": rows[:half], "二村": rows[half:]}, fmt, numbers=frozenset({typed})
            )
        path = tmp_path / f"卡房镇花名册-{seed}.{fmt}"
        path.write_bytes(content)
        files[path] = (fmt, typed)
        expected.update({row["id_number"]: row for row in rows if row["id_number"] != typed})

    for path, (fmt, typed) in files.items():
        done = imported(stack, path)
        assert done["status"] == "done", done
        assert sum(done[name] for name in OUTCOMES) == done["total_rows"], done
        assert done["refused_validating"] == (1 if typed else 0), done
        assert done["refused_applying"] == done["held_conflicts"] == 0, done
        # Every column of a township's sheet is read but its running number, which is named.
        assert {c["header"] for c in done["ignored_columns"]} == {"序号"}, done
        if fmt != "csv":
            assert {s["sheet"] for s in done["ignored_sheets"]} == {"填表说明", "Sheet3"}

    exported = tmp_path / "county.csv"
    stack.ok_as(None, "roster", "export", "--format", "csv", "-o", str(exported))
    stored = {
        record["身份证号"]: record
        for record in csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig")))
    }
    assert set(stored) == set(expected), "every good row of every file is registered"
    for id_number, row in expected.items():
        record = stored[id_number]
        assert record["户编号"] == row["household_number"], "merged household cells carry down"
        assert record["是否建档立卡"] == row["poor"]
        assert record["村代码"].startswith(KAFANG)
        assert (record["培训意向"] == "") == (row.get("training_intention") in (None, "无", "否"))

    a_column_that_looks_like_data_stops_the_import_until_ignored(stack, tmp_path)


def a_column_that_looks_like_data_stops_the_import_until_ignored(stack, tmp_path):
    """(Part of the clerk's day above: one running stack for both.)"""
    before = json.loads(stack.ok_as(None, "labourer", "counts", "--json"))
    rows = kafang_rows(45)
    for row in rows:
        row["subsistence"] = "否"
    headers = TOWNSHIP_HEADERS | {"subsistence": "是否低保户"}
    path = tmp_path / "卡房镇低保.xlsx"
    path.write_bytes(township_roster({"一村": rows}, "xlsx", headers=headers))

    refused = stack.cli_as(None, "roster", "import", str(path), "--township", "卡房镇")
    assert refused.returncode == 1 and "是否低保户" in refused.stderr
    assert "--ignore-column" in refused.stderr
    tried = imported(stack, path, "--dry-run", "--ignore-column", "是否低保户")
    assert tried["registered"] == len(rows) and tried["import_id"] is None
    after = json.loads(stack.ok_as(None, "labourer", "counts", "--json"))
    assert after == before, "the dry run wrote nobody"
    done = imported(stack, path, "--ignore-column", "是否低保户")
    assert done["registered"] == len(rows)
    assert {c["header"] for c in done["ignored_columns"]} == {"序号", "是否低保户"}
