"""JSON log lines with the correlation id, personal data masked in every part of every line.

Masking happens in the formatter, on the finished strings, so that it covers what no call site
can be trusted to remember: the message and its arguments, `extra` fields, exception text and
tracebacks, and the log lines of nameko, kombu and any other library.

A service process (`sanbao_common.launcher`) calls `setup_process_logging` before it imports
eventlet or nameko, so that nothing it writes is plain text: Python warnings (eventlet warns as it
is imported), uncaught exceptions, and whatever a library prints to stdout or stderr all leave as
JSON lines. This module imports neither eventlet nor nameko for that reason: the correlation id
and actor every line carries live here, and `sanbao_common.context` sets them.
"""

from __future__ import annotations

import contextvars
import io
import json
import logging
import os
import sys
import threading
from datetime import UTC, datetime

from sanbao_common.privacy import mask_text

correlation_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "sanbao_correlation_id", default=None
)
actor_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("sanbao_actor", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


def _masked(value):
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {str(k): _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_masked(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask_text(repr(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, service, county, correlation_id,
    actor, any `extra` fields, and `exc` for exceptions."""

    def __init__(self, service: str, county: str):
        super().__init__()
        self.service = service
        self.county = county

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_text(record.getMessage()),
            "service": self.service,
            "county": self.county,
            "correlation_id": correlation_id_var.get(),
        }
        actor = actor_var.get()
        if actor:
            line["actor"] = actor
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and key not in line:
                line[key] = _masked(value)
        if record.exc_info:
            line["exc"] = mask_text(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = mask_text(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(service: str, county: str | None, level: str = "INFO", stream=None) -> None:
    """Route every logger in the process through one masked JSON handler (on stderr unless
    `stream` is given), and Python warnings through logging."""
    stream = stream or sys.stderr
    # Never write our own lines into the stand-in that turns stray text into log lines.
    stream = stream.target if isinstance(stream, LinesToLog) else stream
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(service, county))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # A library's own `basicConfig` or handler must not bypass masking.
    for name in ("nameko", "kombu", "amqp", "eventlet", "sqlalchemy", "alembic"):
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
    # Alembic names each of its plugins at INFO whenever it is imported, at every start.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logging.captureWarnings(True)


class LinesToLog(io.TextIOBase):
    """Stands in for stdout or stderr: text a library writes there unformatted (eventlet's hub
    prints tracebacks, Python prints "Exception ignored in ...") becomes log lines. A traceback
    becomes one line, from "Traceback (most recent call last):" to its exception's line."""

    def __init__(self, target, logger: str, level: int):
        super().__init__()
        self.target = target
        self._logger = logging.getLogger(logger)
        self._level = level
        self._partial = ""
        self._traceback: list[str] = []
        self._emitting = False

    @property
    def encoding(self):
        return getattr(self.target, "encoding", "utf-8")

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.target.fileno()

    def write(self, text: str) -> int:
        if self._emitting:  # logging complaining about itself: straight out, never a loop
            return self.target.write(text)
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self._line(line)
        return len(text)

    def flush(self) -> None:
        if self._partial:
            self._line(self._partial)
            self._partial = ""
        if self._traceback:
            self._emit(logging.ERROR, "\n".join(self._traceback))
            self._traceback = []
        self.target.flush()

    def _line(self, line: str) -> None:
        if self._traceback:
            self._traceback.append(line)
            if line[:1] and not line[:1].isspace():  # the exception's own line ends it
                self._emit(logging.ERROR, "\n".join(self._traceback))
                self._traceback = []
        elif line.startswith("Traceback (most recent call last):"):
            self._traceback = [line]
        elif line.strip():
            self._emit(self._level, line)

    def _emit(self, level: int, message: str) -> None:
        self._emitting = True
        try:
            self._logger.log(level, "%s", message)
        finally:
            self._emitting = False


def _log_uncaught(exc_type, exc, tb) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    logging.getLogger("sanbao.uncaught").critical(
        "uncaught exception: the process stops", exc_info=(exc_type, exc, tb)
    )


def _log_uncaught_in_thread(args) -> None:
    if args.exc_type is SystemExit:
        return
    logging.getLogger("sanbao.uncaught").error(
        "uncaught exception in thread %s",
        getattr(args.thread, "name", None),
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )


def _log_unraisable(unraisable) -> None:
    logging.getLogger("sanbao.uncaught").warning(
        "%s: %r",
        unraisable.err_msg or "Exception ignored in",
        unraisable.object,
        exc_info=(unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback),
    )


def _main_package() -> str:
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return (spec.parent if spec is not None else None) or "sanbao"


def setup_process_logging(service: str | None = None) -> None:
    """What a service process does first, before it imports eventlet or nameko: every line it
    writes to stderr is JSON from here on (the county is `$COUNTY` until the launcher has read
    the configuration and calls `setup_logging` again). Warnings, uncaught exceptions (in the
    main thread, in threads, and those Python can only report) and stray text on stderr go
    through logging. `capture_stdout` does the same for stdout."""
    setup_logging(service or _main_package(), os.environ.get("COUNTY"), "INFO", sys.stderr)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    sys.unraisablehook = _log_unraisable
    if not isinstance(sys.stderr, LinesToLog):
        sys.stderr = LinesToLog(sys.stderr, "stderr", logging.WARNING)


def capture_stdout() -> None:
    """Text printed to stdout becomes INFO log lines too: for the commands whose output is the
    service's log (run, migrate), not an answer for a person (registry's bootstrap prints the
    first administrator's one-time password there)."""
    if not isinstance(sys.stdout, LinesToLog):
        sys.stdout = LinesToLog(sys.stdout, "stdout", logging.INFO)
