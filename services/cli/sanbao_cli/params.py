"""Argument types that validate on the command line, before anything is sent, and the
idempotency key every state-changing command takes."""

from __future__ import annotations

import uuid

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
