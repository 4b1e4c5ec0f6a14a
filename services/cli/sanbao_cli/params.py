"""Argument types that validate on the command line, before anything is sent, and the
idempotency key every state-changing command takes."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import click

from sanbao_common.validators import (
    InvalidCode,
    normalize_id_number,
    normalize_phone,
    parse_division_code,
)


class Validated(click.ParamType):
    """A parameter checked by one of the kit's validators (which raise `InvalidCode`)."""

    def __init__(self, name: str, normalize):
        self.name = name
        self._normalize = normalize

    def convert(self, value, param, ctx):
        try:
            result = self._normalize(value)
        except InvalidCode as exc:
            self.fail(str(exc), param, ctx)
        return getattr(result, "code", result)


ID_NUMBER = Validated("id-number", normalize_id_number)
PHONE = Validated("phone", normalize_phone)
VILLAGE = Validated("village-code", lambda text: parse_division_code(text, level="village"))
COUNTY = Validated("county-code", lambda text: parse_division_code(text, level="county"))
AREA = Validated("division-code", parse_division_code)


def _idempotency_key(text: str) -> str:
    if not 8 <= len(text) <= 128 or not all(
        c.isascii() and (c.isalnum() or c in "._:-") for c in text
    ):
        raise InvalidCode(
            "key", "8 to 128 letters, digits, '.', '_', ':' or '-'", "8 至 128 位字母数字"
        )
    return text


IDEMPOTENCY_KEY = Validated("key", _idempotency_key)
KEY_OPTION = click.option(
    "--idempotency-key",
    type=IDEMPOTENCY_KEY,
    default=lambda: uuid.uuid4().hex,
    show_default="a new one",
    help="Repeat a command that may not have gone through.",
)


class _Duration(click.ParamType):
    """A length of time as people write it: 30m, 2h, 1d (minutes, hours, days)."""

    name = "duration"
    UNITS = {"m": "minutes", "h": "hours", "d": "days"}
    PATTERN = re.compile(r"(?P<n>[0-9]{1,6})\s*(?P<unit>[mhd])", re.ASCII)

    def __init__(self, least: timedelta, most: timedelta):
        self.least, self.most = least, most

    def convert(self, value, param, ctx):
        if isinstance(value, timedelta):
            return value
        match = self.PATTERN.fullmatch(str(value).strip().lower())
        span = match and timedelta(**{self.UNITS[match["unit"]]: int(match["n"])})
        if not span or not self.least <= span <= self.most:
            self.fail(
                f"{value!r} is not a duration from {_span(self.least)} to {_span(self.most)}: a "
                f"number and m, h or d, e.g. 30m, 2h, 1d / 请填写 {_span(self.least)} 至 "
                f"{_span(self.most)} 之间的时长：数字加 m（分钟）、h（小时）或 d（天），"
                "如 30m、2h、1d",
                param,
                ctx,
            )
        return span


def _span(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    for size, unit in ((1440, "d"), (60, "h")):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def duration(least: timedelta, most: timedelta) -> click.ParamType:
    return _Duration(least, most)


_HEX = frozenset("0123456789abcdef")


def compact_fingerprint(text: str) -> str:
    """A fingerprint as typed (spaced as on paper, with dashes or colons, or none) -> its 64
    lower-case hex digits."""
    return "".join(ch for ch in text.lower() if ch in _HEX)


def paper_fingerprint(text: str) -> str:
    """The services' form of a fingerprint: 16 groups of 4 hex digits, spaced (as on paper)."""
    digits = compact_fingerprint(text)
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def pasteable(fingerprint: str | None) -> str | None:
    """A fingerprint as `sanbao` shows it: the paper's groups of 4, joined by dashes, so that
    it can be pasted into a command without quotes (every --fingerprint takes it so)."""
    return "-".join(paper_fingerprint(fingerprint).split()) if fingerprint else fingerprint


class _Fingerprint(click.ParamType):
    name = "fingerprint"

    def convert(self, value, param, ctx):
        digits = compact_fingerprint(value)
        stray = [ch for ch in value.lower() if ch not in _HEX and ch not in " -:"]
        if len(digits) != 64 or stray:
            self.fail(
                f"{value!r} is not a fingerprint: 64 hex digits, in groups or not "
                "/ 指纹应为 64 位十六进制数字（可分组）",
                param,
                ctx,
            )
        return paper_fingerprint(digits)


FINGERPRINT = _Fingerprint()
