"""The county's business clock: the one source of "now" and "today" for business dates (an order's
start, a batch's approval, a follow-up falling due, the date a degree of organisation is taken
as of). docs/decisions/0021-business-clock.md says why it is injectable and how.

Three ways it tells the time, the first that applies:
- a test's setting (`set`, `advance`; `reset` ends it): process-wide, for services a test runs
  in its own process;
- the file the service's `CLOCK_FILE` names (config; empty in production): an ISO 8601 instant
  with its offset, written by a test or a workload to move the time of services running as
  processes of their own (`write_file`); read again whenever the file changes;
- the wall clock.

Security and messaging keep the wall clock on purpose (a token's expiry, the outbox's retention,
idempotency keys, proposals' expiry in the fund): moving business time must never make a revoked
token valid again or keep a message past its retention.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

COUNTY_TIME = ZoneInfo("Asia/Shanghai")  # business dates are the county's

_set: datetime | None = None
_file_cache: dict[str, tuple[tuple, datetime]] = {}


class ClockFileError(ValueError):
    """The clock file does not hold an ISO instant with its offset."""


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("give the clock an instant with its offset (e.g. +08:00)")
    return instant.astimezone(UTC)


def _configured_file() -> str:
    from nameko import config

    return str(config.get("CLOCK_FILE") or "")


def _from_file(path: str) -> datetime:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        raise ClockFileError(f"CLOCK_FILE {path} does not exist") from None
    modified = (stat.st_ino, stat.st_mtime_ns, stat.st_size)  # write_file renames a new file in
    cached = _file_cache.get(path)
    if cached is not None and cached[0] == modified:
        return cached[1]
    text = Path(path).read_text(encoding="utf-8").strip()
    try:
        instant = _aware(datetime.fromisoformat(text))
    except ValueError:
        raise ClockFileError(f"CLOCK_FILE {path} holds {text[:40]!r}, not an ISO instant") from None
    _file_cache[path] = (modified, instant)
    return instant


def now() -> datetime:
    """The business instant, timezone-aware in UTC."""
    if _set is not None:
        return _set
    path = _configured_file()
    if path:
        return _from_file(path)
    return datetime.now(UTC)


def today() -> date:
    """The county's date (Asia/Shanghai) at the business instant."""
    return now().astimezone(COUNTY_TIME).date()


def set(instant: datetime) -> None:  # noqa: A001 - the clock's own verb
    """Tests: stop the clock at `instant` (with its offset) for this process."""
    global _set
    _set = _aware(instant)


def advance(by: timedelta) -> datetime:
    """Tests: move the clock forward (from wherever it stands now) and stop it there."""
    set(now() + by)
    return now()


def reset() -> None:
    """Tests: back to the configured file or the wall clock."""
    global _set
    _set = None


def write_file(path: str | Path, instant: datetime) -> None:
    """Move the time of every service whose CLOCK_FILE is `path` (written whole, then renamed, so
    a service never reads half an instant)."""
    path = Path(path)
    temporary = path.with_name(path.name + ".writing")
    temporary.write_text(_aware(instant).isoformat(), encoding="utf-8")
    os.replace(temporary, path)
