"""marshmallow fields for the values every service validates the same way."""

from __future__ import annotations

import re
import unicodedata

from marshmallow import ValidationError, fields

from sanbao_common.validators import (
    InvalidCode,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
    parse_division_code,
)


class IdNumber(fields.String):
    """A resident ID number, loaded in its canonical 18-character form."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return normalize_id_number(super()._deserialize(value, attr, data, **kwargs))
        except InvalidCode as exc:
            raise ValidationError(str(exc)) from None


class Phone(fields.String):
    """A mainland mobile number, loaded as 11 digits."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return normalize_phone(super()._deserialize(value, attr, data, **kwargs))
        except InvalidCode as exc:
            raise ValidationError(str(exc)) from None


class CreditCode(fields.String):
    """A unified social credit code (GB 32100), loaded in its canonical form."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return normalize_credit_code(super()._deserialize(value, attr, data, **kwargs))
        except InvalidCode as exc:
            raise ValidationError(str(exc)) from None


class DivisionCode(fields.String):
    """An administrative division code, loaded as a `DivisionCode` of the required level."""

    def __init__(self, level: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.level = level

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_division_code(
                super()._deserialize(value, attr, data, **kwargs), level=self.level
            )
        except InvalidCode as exc:
            raise ValidationError(str(exc)) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else getattr(value, "code", value)


_MIDDLE_DOTS = re.compile(r"[·・•‧∙.．]")
_NAME = re.compile(r"^[^\W\d_]+(?:[ ·][^\W\d_]+)*$")


class PersonName(fields.String):
    """A person's name as written on the ID card: letters (any script), single spaces, and the
    middle dot of transliterated minority names, which people type in several forms."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = unicodedata.normalize("NFKC", super()._deserialize(value, attr, data, **kwargs))
        text = _MIDDLE_DOTS.sub("·", " ".join(text.split()))
        if not 1 <= len(text) <= 50:
            raise ValidationError("a name has 1 to 50 characters / 姓名应为 1 至 50 个字符")
        if not _NAME.match(text):
            raise ValidationError("a name has letters only / 姓名只能包含文字")
        return text
