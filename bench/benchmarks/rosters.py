"""Roster reading: each crafted file through registry's child process, and a normal roster.

- rosters.hostile_max_parent_peak_rise_mib: over every crafted file of
  `registry.rosters.hostile_samples` (zip bomb, huge attribute, a million columns, ...), read
  with the default limits, the most registry's own peak memory rose (the child pays, not it).
- rosters.hostile_max_child_cpu_s: the most CPU a crafted file cost its child before refusal.
- rosters.read_xlsx_child_s / read_xlsx_in_process_s (and csv): a normal roster of ROSTER_ROWS
  rows read through the child and, as registry read it before the child, in process.
"""

from __future__ import annotations

import os
from pathlib import Path

# Rows of the normal roster read through the child and in process; ROSTER_BENCH_ROWS=20000 gives
# a quick variant (writing the 100,000-row workbook alone takes a minute or more).
ROSTER_ROWS = int(os.environ.get("ROSTER_BENCH_ROWS", "100000"))


def _parent_peak_rise(function, *args):
    """(what `function(*args)` returns, how far this process's peak resident memory rose over
    its resident memory before, MiB): the peak is reset first (clear_refs 5, Linux)."""
    status = Path("/proc/self/status")

    def kib(name: str) -> int:
        line = next(x for x in status.read_text().splitlines() if x.startswith(name + ":"))
        return int(line.split()[1])

    Path("/proc/self/clear_refs").write_text("5")
    before = kib("VmRSS")
    result = function(*args)
    return result, round((kib("VmHWM") - before) / 1024, 1)


def _through_child(data: bytes, name: str, limits) -> dict:
    """The outcome of reading `data` through registry's child process, and what it cost."""
    from registry.rosters.limits import RosterUnreadable
    from registry.rosters.sandbox import read_in_child

    cost: dict = {}
    try:
        outcome = f"read {read_in_child(data, name, limits, cost).data_rows} rows"
    except RosterUnreadable as refusal:
        outcome = refusal.reason_code
    return {"outcome": outcome, **cost}


def _in_process(data: bytes, name: str) -> dict:
    """As registry read a roster before the child process: in its own process."""
    import time

    from registry.rosters.reading import open_roster

    started, cpu = time.perf_counter(), time.process_time()
    open_roster(data, name)
    return {
        "wall_seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
    }


def roster_reading() -> tuple[dict, dict]:
    """Each crafted file of registry.rosters.hostile_samples fed to registry's reading path
    (`read_in_child`, the default limits): its reason code, the child's CPU and wall seconds
    and peaks, and how far registry's own peak memory rose; then a normal roster of
    ROSTER_ROWS rows read through the child and, as before, in process."""
    from dataclasses import replace

    from registry.rosters import hostile_samples
    from registry.rosters.limits import DEFAULTS
    from sanbao_common.sample_rosters import generate_roster_rows, roster_bytes

    files = {name: (build, DEFAULTS) for name, (build, _) in hostile_samples.HOSTILE.items()}
    hungry = replace(DEFAULTS, memory_mib=256)
    files["memory_hungry_csv (256 MiB limit)"] = (hostile_samples.memory_hungry_csv, hungry)
    hostile = {}
    for name, (build, limits) in files.items():
        data = build()
        result, rise = _parent_peak_rise(_through_child, data, name, limits)
        hostile[name] = {"bytes": len(data), **result, "parent_peak_rise_mib": rise}
        print(f"[bench]   {name}: {hostile[name]}", flush=True)

    rows = generate_roster_rows(ROSTER_ROWS, seed=20261128, bad_fraction=0.02)
    normal = {}
    for fmt in ("csv", "xlsx"):
        data, name = roster_bytes(rows, fmt), f"roster.{fmt}"
        child, child_rise = _parent_peak_rise(_through_child, data, name, DEFAULTS)
        in_process, in_process_rise = _parent_peak_rise(_in_process, data, name)
        normal[fmt] = {
            "bytes": len(data),
            "child": {**child, "parent_peak_rise_mib": child_rise},
            "in_process": {**in_process, "parent_peak_rise_mib": in_process_rise},
        }
        print(f"[bench]   {ROSTER_ROWS} rows as {fmt}: {normal[fmt]}", flush=True)
    township = _township_styles(rows[: ROSTER_ROWS // 5])
    rises = [f["parent_peak_rise_mib"] for f in hostile.values()]
    figures = {
        "rosters.hostile_max_parent_peak_rise_mib": max(rises),
        "rosters.hostile_max_child_cpu_s": max(f.get("cpu_seconds", 0) for f in hostile.values()),
        "rosters.read_xlsx_child_s": normal["xlsx"]["child"]["wall_seconds"],
        "rosters.read_xlsx_in_process_s": normal["xlsx"]["in_process"]["wall_seconds"],
        "rosters.read_csv_child_s": normal["csv"]["child"]["wall_seconds"],
        "rosters.read_csv_in_process_s": normal["csv"]["in_process"]["wall_seconds"],
    }
    for style, cost in township.items():
        figures[f"rosters.township_{style}_child_peak_mib"] = cost.get("resident_peak_mib")
        figures[f"rosters.township_{style}_child_s"] = cost["wall_seconds"]
    details = {
        "limits": DEFAULTS.to_json(),
        "hostile": hostile,
        "rows": ROSTER_ROWS,
        **normal,
        "township": township,
    }
    return figures, details


def _township_styles(rows: list[dict]) -> dict:
    """The same rows kept as a township keeps them (a sheet per 5,000 rows, a title above each
    header), read through the child: as .xlsx with households merged down and without (reading
    stays streamed, so the merged file should cost about the same memory), and as .xls (xlrd
    holds the whole workbook)."""
    from registry.rosters.limits import DEFAULTS
    from sanbao_common.township_rosters import as_township_keeps, township_roster

    kept = as_township_keeps(rows)
    sheets = {f"第{i // 5000 + 1}片": kept[i : i + 5000] for i in range(0, len(kept), 5000)}
    files = {
        "xlsx_merged": township_roster(sheets, "xlsx"),
        "xlsx_unmerged": township_roster(sheets, "xlsx", merged=()),
        "xls_merged": township_roster(sheets, "xls"),
    }
    costs = {}
    for style, data in files.items():
        costs[style] = {"rows": len(kept), "bytes": len(data)}
        costs[style] |= _through_child(data, f"township.{style.split('_')[0]}", DEFAULTS)
        print(f"[bench]   township {style}: {costs[style]}", flush=True)
    return costs
