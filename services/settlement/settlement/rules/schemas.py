"""What a county administrator sends to set a rule version: amounts as yuan text ("200.00",
read as integer fen as dispatch reads an agreement's amounts), counts as whole numbers, the date
from which it applies."""

from __future__ import annotations

from datetime import UTC

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from sanbao_common.money import InvalidAmount, format_yuan, parse_yuan

MAX_AFTER_MONTHS = 24
MAX_QUALIFYING_DAYS = 3660


class Amount(fields.String):
    """An amount in yuan, loaded as integer fen; zero allowed (from then on, nothing)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_yuan(super()._deserialize(value, attr, data, **kwargs))
        except InvalidAmount as exc:
            raise ValidationError(str(exc)) from None


class Count(fields.Integer):
    """A whole number within `least`..`most` (never a boolean, a fraction or a text)."""

    def __init__(self, least: int, most: int, **kwargs):
        super().__init__(strict=True, validate=validate.Range(min=least, max=most), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("a whole number, not true/false / 须为整数")
        return super()._deserialize(value, attr, data, **kwargs)


class Text(fields.String):
    """Text with its spaces collapsed, `least` to `most` characters."""

    def __init__(self, least: int, most: int, **kwargs):
        super().__init__(validate=validate.Length(min=least, max=most), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return " ".join(super()._deserialize(value, attr, data, **kwargs).split())


class _Rule(Schema):
    class Meta:
        unknown = RAISE

    effective_from = fields.Date(required=True)
    rule_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 36))


class RewardRuleSchema(_Rule):
    village_code = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9]{12}$")
    )
    per_labourer = Amount(required=True)
    after_months = Count(1, MAX_AFTER_MONTHS, required=True)


class SubsidyRuleSchema(_Rule):
    payer_id = Text(1, 36, required=True)  # an org id, as statements hold it
    payer_name = Text(2, 100, required=True)
    per_head = Amount(required=True)
    qualifying_days = Count(0, MAX_QUALIFYING_DAYS, required=True)


def _moment(value) -> str:
    """ISO 8601 in UTC (SQLite gives the column back naive)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def reward_view(row) -> dict:
    return {
        "rule_id": row.rule_id,
        "version": row.version,
        "effective_from": row.effective_from.isoformat(),
        "village_code": row.village_code,
        "per_labourer_fen": row.per_labourer_fen,
        "per_labourer": format_yuan(row.per_labourer_fen),
        "after_months": row.after_months,
        "created_at": _moment(row.created_at),
        "created_by": row.created_by,
    }


def subsidy_view(row) -> dict:
    return {
        "rule_id": row.rule_id,
        "version": row.version,
        "effective_from": row.effective_from.isoformat(),
        "payer_id": row.payer_id,
        "payer_name": row.payer_name,
        "per_head_fen": row.per_head_fen,
        "per_head": format_yuan(row.per_head_fen),
        "qualifying_days": row.qualifying_days,
        "created_at": _moment(row.created_at),
        "created_by": row.created_by,
    }
