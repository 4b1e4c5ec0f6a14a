"""Reading a roster file in a child process, so that a file built to exhaust memory or CPU
exhausts the child's, never registry's (decision 0012).

`read_in_child` hands the file to `python -P -m registry.rosters.child` (which limits its own
memory, CPU and wall-clock time before it reads anything), waits for it, and builds the roster
from the child's JSON answer, or raises the refusal the child answered with or the limit that
stopped it. The file goes in and the answer comes out through anonymous in-memory files
(memfd), not pipes: neither side can block the other, and no ID number is written to disk. The
child is started with posix_spawn, so no Python code runs between fork and exec in registry,
which has threads.

Waiting blocks the calling thread, polling every 20 ms; registry calls this through
`eventlet.tpool.execute` (`RosterImporter.offload`), so its green threads carry on meanwhile. It
never waits past the child's own alarm and a grace period: then it kills the child itself.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
import time

from registry.rosters import limits as refusals
from registry.rosters.limits import MAX_SHEETS, RosterLimits, RosterUnreadable
from registry.rosters.reading import Roster, RosterRow, Sheet
from registry.rosters.sheets import ID_KEYS
from registry_contract.rosters import COLUMNS

log = logging.getLogger(__name__)

CHILD_ARGS = ("-P", "-m", "registry.rosters.child")
GRACE_SECONDS = 5  # past the child's own alarm, before the parent kills it
POLL_SECONDS = 0.02
_KEYS = frozenset(column.key for column in COLUMNS)
_RESET_SIGNALS = (signal.SIGALRM, signal.SIGXCPU, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM)


class RosterReaderFailed(RuntimeError):
    """The reading process ended without an answer, and no limit explains why: a bug."""


def read_in_child(
    data: bytes, filename: str, limits: RosterLimits, cost: dict | None = None
) -> Roster:
    """The roster in `data`, read by a child process within `limits`; RosterUnreadable (the
    file's fault, or a limit's) or RosterReaderFailed. `cost`, if given, receives the child's
    CPU seconds, wall seconds and (if it answered) its peak resident and virtual MiB."""
    header = json.dumps({"filename": filename, "limits": limits.to_json()}).encode() + b"\n"
    with _scratch("roster") as given, _scratch("answer") as answer, _scratch("errors") as errors:
        _write_all(given, header)
        _write_all(given, data)
        os.lseek(given, 0, os.SEEK_SET)
        started = time.monotonic()
        pid = os.posix_spawn(
            sys.executable,
            [sys.executable, *CHILD_ARGS],
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, given, 0),
                (os.POSIX_SPAWN_DUP2, answer, 1),
                (os.POSIX_SPAWN_DUP2, errors, 2),
            ],
            setsigmask=(),
            setsigdef=_RESET_SIGNALS,
        )
        status, usage, killed = _wait(pid, started + limits.wall_seconds + GRACE_SECONDS)
        spent = {
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
            "wall_seconds": round(time.monotonic() - started, 3),
        }
        try:
            replied = _answer(status, killed, spent, answer, errors, limits)
        finally:
            if cost is not None:
                cost.update(spent)
            log.info("roster %r read in a child process: %s", filename[-200:], spent)
    return roster_from(replied, limits)


@contextlib.contextmanager
def _scratch(name: str):
    """A file descriptor of an anonymous file, in memory where the system has memfd."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create(name, os.MFD_CLOEXEC)
        try:
            yield fd
        finally:
            os.close(fd)
    else:  # pragma: no cover (Linux has memfd)
        with tempfile.TemporaryFile() as file:
            yield file.fileno()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _wait(pid: int, deadline: float):
    """(wait status, resource usage, whether the parent killed it) once the child has ended."""
    reaped = False
    try:
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                reaped = True
                return status, usage, False
            if time.monotonic() >= deadline:
                os.kill(pid, signal.SIGKILL)
                _, status, usage = os.wait4(pid, 0)
                reaped = True
                return status, usage, True
            time.sleep(POLL_SECONDS)
    finally:
        if not reaped:  # the wait itself was interrupted: leave no child behind
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.wait4(pid, 0)


def _answer(status: int, killed: bool, spent: dict, answer: int, errors: int, limits) -> dict:
    """The child's JSON answer (its peaks added to `spent`); the refusal for the limit that
    stopped it; or, for a child that ended otherwise, RosterReaderFailed."""
    cpu = spent["cpu_seconds"]
    if killed:
        raise refusals.needed_time(limits)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGALRM:
            raise refusals.needed_time(limits)
        if number == signal.SIGXCPU or (number == signal.SIGKILL and cpu >= limits.cpu_seconds):
            raise refusals.needed_cpu(limits)
        if number == signal.SIGKILL:  # the kernel's OOM killer, which takes the child first
            raise refusals.needed_memory(limits)
        if number == signal.SIGXFSZ:
            raise refusals.too_much_text(limits.max_text_mib)
        raise RosterReaderFailed(f"killed by signal {number}: {_tail(errors)}")
    size = os.fstat(answer).st_size
    if size > limits.result_bytes:
        raise refusals.too_much_text(limits.max_text_mib)
    text = _pread_all(answer, size)
    if os.waitstatus_to_exitcode(status) != 0 or not text:
        stderr = _tail(errors)
        if "MemoryError" in stderr:  # out of memory before it could answer (Python's start)
            raise refusals.needed_memory(limits)
        raise RosterReaderFailed(f"exit {os.waitstatus_to_exitcode(status)}: {stderr}")
    text, _, peaks = text.partition(b"\n")
    with contextlib.suppress(ValueError):
        spent.update(json.loads(peaks))
    replied = json.loads(text)
    if "failed" in replied:
        raise RosterReaderFailed(f"{replied['failed']}; {_tail(errors)}")
    return replied


def _pread_all(fd: int, size: int) -> bytes:
    parts, offset = [], 0
    while offset < size:
        part = os.pread(fd, size - offset, offset)
        if not part:
            break
        parts.append(part)
        offset += len(part)
    return b"".join(parts)


def _tail(fd: int, most: int = 4000) -> str:
    size = os.fstat(fd).st_size
    return os.pread(fd, most, max(0, size - most)).decode("utf-8", "replace").strip()


def roster_from(replied: dict, limits: RosterLimits) -> Roster:
    """The roster the child answered with (`child.encode`; its sheets, columns, row count, row
    shapes and texts checked: the child read what anybody may have written), or the refusal it
    answered with."""
    if "refused" in replied:
        refused = replied["refused"]
        raise RosterUnreadable(str(refused["code"]), str(refused["en"]), str(refused["zh"]))
    body = replied["roster"]
    try:
        sheets = [_sheet(sheet) for sheet in body["sheets"]]
        ignored = [(_text(name), _text(reason)) for name, reason in body["ignored_sheets"]]
        problems = [_problem(problem) for problem in body["problems"]]
        rows = body["rows"]
    except (KeyError, TypeError, ValueError):
        raise RosterReaderFailed("the reading process answered with a malformed roster") from None
    most_problems = len(ID_KEYS) * limits.max_columns  # each a column of ID numbers
    if (
        len(rows) > limits.max_rows
        or len(sheets) + len(ignored) > MAX_SHEETS
        or len(problems) > most_problems
    ):
        raise RosterReaderFailed("the reading process answered with rows or sheets out of bounds")
    keys = [list(sheet["columns"]) for sheet in sheets]
    counts = [0] * len(sheets)
    records = []
    for row in rows:
        sheet, number, found, values = _row(row, keys, problems)
        counts[sheet] += 1
        records.append(RosterRow(sheet, number, values, found))
    return Roster(
        format=_text(body["format"]),
        encoding=None if body["encoding"] is None else _text(body["encoding"]),
        sheets=[Sheet(**given, data_rows=n) for given, n in zip(sheets, counts, strict=True)],
        ignored_sheets=ignored,
        _records=records,
    )


def _text(value) -> str:
    if type(value) is not str:
        raise RosterReaderFailed("the reading process answered with a text that is none")
    return value


def _sheet(body: dict) -> dict:
    columns = {_text(key): _text(text) for key, text in body["columns"].items()}
    if not _KEYS.issuperset(columns):
        raise RosterReaderFailed("the reading process answered with columns we do not know")
    name = body["name"]
    return {
        "name": None if name is None else _text(name),
        "header_row": int(body["header_row"]),
        "columns": columns,
        "ignored_columns": [_text(text) for text in body["ignored_columns"]],
    }


def _problem(problem) -> tuple[str, str, str]:
    if type(problem) is not list or len(problem) != 3:
        raise RosterReaderFailed("the reading process answered with a malformed problem")
    return tuple(_text(part) for part in problem)


def _row(row, keys: list[list[str]], problems: list) -> tuple[int, int, tuple, dict[str, str]]:
    """A row the child answered with: [sheet, number, indexes of its problems, *values]."""
    if type(row) is not list or len(row) < 3:
        raise RosterReaderFailed("the reading process answered with a malformed row")
    sheet, number, indexes, *values = row
    if type(sheet) is not int or not 0 <= sheet < len(keys) or type(number) is not int:
        raise RosterReaderFailed("the reading process answered with a row of no sheet")
    columns = keys[sheet]
    if len(values) != len(columns) or type(indexes) is not list:
        raise RosterReaderFailed("the reading process answered with a malformed row")
    found = []
    for index in indexes:
        if type(index) is not int or not 0 <= index < len(problems):
            raise RosterReaderFailed("the reading process answered with a problem of none")
        if problems[index][0] not in columns:
            raise RosterReaderFailed("the reading process answered with a problem of no column")
        found.append(problems[index])
    kept = {key: _text(value) for key, value in zip(columns, values, strict=True) if value}
    return sheet, number, tuple(found), kept
