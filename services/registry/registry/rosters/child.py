"""The process that reads one roster file for registry, under limits it sets on itself first.

`sandbox.read_in_child` starts it as `python -P -m registry.rosters.child`, with a line of JSON
(`{"filename", "limits"}`) and then the file's bytes on its standard input. Before it reads the
file it limits its own address space (RLIMIT_AS), CPU time (RLIMIT_CPU: SIGXCPU, then SIGKILL a
second later), the size of what it writes (RLIMIT_FSIZE) and core dumps, arms an alarm for its
wall-clock time, and asks the kernel's OOM killer to pick it before anything else. Setting them
here, not in the parent between fork and exec (`preexec_fn`), keeps the parent safe: registry
has threads, and running Python between fork and exec in a process with threads can deadlock.

It answers on its standard output with one line of JSON, never a pickle: `{"roster": ...}`
(see `encode`: the sheets read and not read, the rows with the problems found reading them),
`{"refused": {"code", "en", "zh"}}` or, for a bug, `{"failed": "..."}`; then a second line,
what it used at most (`peaks`: its own resource usage would count registry's memory, which a
process started by vfork inherits until it execs).
Module level imports stay few: openpyxl, xlrd and the rest are imported once the limits are
set, and only for a workbook (`reading` imports `workbook` or `xls` when it meets one).
"""

from __future__ import annotations

import contextlib
import json
import resource
import signal
import sys
import traceback

from registry.rosters.limits import (
    MIB,
    RosterLimits,
    RosterUnreadable,
    needed_memory,
    too_much_text,
)


def limit_itself(limits: RosterLimits) -> None:
    """Limits this process can only lower, never raise again."""
    _lower(resource.RLIMIT_CORE, 0)
    _lower(resource.RLIMIT_AS, limits.memory_mib * MIB)
    _lower(resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 1)
    _lower(resource.RLIMIT_FSIZE, limits.result_bytes)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the alarm ends the process, whatever it does
    signal.alarm(limits.wall_seconds)
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as adjust:
        adjust.write("1000")


def _lower(kind: int, soft: int, hard: int | None = None) -> None:
    hard = soft if hard is None else hard
    _, current = resource.getrlimit(kind)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(kind, (soft, hard))


def encode(roster) -> dict:
    """A roster as plain JSON: its sheets; each distinct problem found reading a row, once; and
    each row as [sheet index, row number, the indexes of its problems, then its values in the
    order of its sheet's `columns`, "" where it has none]."""
    keys = [list(sheet.columns) for sheet in roster.sheets]
    problems: dict[tuple, int] = {}  # rows share a few problems (one a column at most)
    rows = [
        [
            row.sheet,
            row.row_number,
            [problems.setdefault(problem, len(problems)) for problem in row.problems],
            *(row.values.get(key, "") for key in keys[row.sheet]),
        ]
        for row in roster.rows()
    ]
    return {
        "format": roster.format,
        "encoding": roster.encoding,
        "sheets": [
            {
                "name": sheet.name,
                "header_row": sheet.header_row,
                "columns": sheet.columns,
                "ignored_columns": sheet.ignored_columns,
            }
            for sheet in roster.sheets
        ],
        "ignored_sheets": [list(ignored) for ignored in roster.ignored_sheets],
        "problems": [list(problem) for problem in problems],
        "rows": rows,
    }


def _dump(answer: dict) -> bytes:
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()


def _refused(refusal: RosterUnreadable) -> bytes:
    return _dump(
        {
            "refused": {
                "code": refusal.reason_code,
                "en": refusal.message_en,
                "zh": refusal.message_zh,
            }
        }
    )


def _read(filename: str, limits: RosterLimits) -> bytes:
    """Everything that grows with the file, in a frame of its own: when it fails for lack of
    memory, what it held is freed before the answer is written."""
    from registry.rosters.reading import open_roster

    roster = open_roster(sys.stdin.buffer.read(), filename, limits)
    return _dump({"roster": encode(roster)})


def answer(filename: str, limits: RosterLimits) -> bytes:
    try:
        payload = _read(filename, limits)
    except RosterUnreadable as refusal:
        return _refused(refusal)
    except MemoryError:
        return _refused(needed_memory(limits))
    except Exception as error:  # a bug: the parent logs it and the caller gets an error
        traceback.print_exc()
        return _dump({"failed": f"{type(error).__name__}: {error}"[:2000]})
    if len(payload) > limits.result_bytes:
        return _refused(too_much_text(limits.max_text_mib))
    return payload


def peaks() -> dict:
    """The most memory this process has held (resident) and reserved (address space), MiB."""
    found = {}
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmPeak"):
                found[name] = round(int(value.split()[0]) / 1024, 1)
    return {"resident_peak_mib": found.get("VmHWM"), "virtual_peak_mib": found.get("VmPeak")}


def main() -> None:
    header = json.loads(sys.stdin.buffer.readline())
    limits = RosterLimits.from_json(header["limits"])
    limit_itself(limits)
    payload = answer(str(header["filename"]), limits)
    with open(sys.stdout.fileno(), "wb", closefd=False) as out:
        out.write(payload)  # JSON escapes line breaks inside strings: this is one line
        out.write(b"\n" + json.dumps(peaks()).encode())


if __name__ == "__main__":
    main()
