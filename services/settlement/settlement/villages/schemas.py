"""The RPC arguments of the village books: a use of the village's income (amount as yuan text,
loaded as integer fen) and a rejection's reason. Free text (references, notes, reasons) is kept
with any ID number or phone number typed into it masked (`sanbao_common.privacy.mask_text`)."""

from __future__ import annotations

import unicodedata

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from sanbao_common.money import InvalidAmount, parse_yuan
from sanbao_common.privacy import mask_text
from settlement.domain.books import USES
from settlement.domain.periods import InvalidPeriod, parse_period


class Text(fields.String):
    """Text folded with NFKC, inner runs of spaces made one, stripped, and any ID number or
    phone number in it masked."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = unicodedata.normalize("NFKC", super()._deserialize(value, attr, data, **kwargs))
        return mask_text(" ".join(text.split()))


class Yuan(fields.String):
    """An amount in yuan as text, loaded as integer fen, more than nothing."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            fen = parse_yuan(super()._deserialize(value, attr, data, **kwargs))
        except InvalidAmount as exc:
            raise ValidationError(str(exc)) from None
        if fen <= 0:
            raise ValidationError("more than 0.00 yuan")
        return fen


class Period(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_period(super()._deserialize(value, attr, data, **kwargs))
        except InvalidPeriod as exc:
            raise ValidationError(str(exc)) from None


class UseSchema(Schema):
    class Meta:
        unknown = RAISE

    use = fields.String(required=True, validate=validate.OneOf(USES))
    amount = Yuan(required=True)
    reference = Text(required=True, validate=validate.Length(min=2, max=100))
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))
    agent_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 36))
    period = Period(load_default=None, allow_none=True)

    @validates_schema
    def _agent_only_for_rewards(self, data, **_):
        if data.get("agent_id") is not None and data.get("use") != "agent_rewards":
            raise ValidationError("only an agent_rewards use names an agent", "agent_id")


class RejectSchema(Schema):
    class Meta:
        unknown = RAISE

    use_id = fields.String(required=True, validate=validate.Length(1, 36))
    reason = Text(required=True, validate=validate.Length(min=2, max=500))
