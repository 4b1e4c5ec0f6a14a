"""JSON log lines with the correlation id, personal data masked in every part of every line.

Masking happens in the formatter, on the finished strings, so that it covers what no call site
can be trusted to remember: the message and its arguments, `extra` fields, exception text and
tracebacks, and the log lines of nameko, kombu and any other library.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from sanbao_common.context import actor_var, correlation_id_var
from sanbao_common.privacy import mask_text

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


def setup_logging(service: str, county: str, level: str = "INFO", stream=None) -> None:
    """Route every logger in the process through one masked JSON handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
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
    logging.captureWarnings(True)
