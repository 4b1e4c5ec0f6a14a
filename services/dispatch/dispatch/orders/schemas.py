"""The RPC arguments of employers, service stations and job orders, and the states the replies
and events carry. Amounts come in as yuan strings ("4500.00") and go out as integer fen
(`*_fen`); dates as `YYYY-MM-DD`; place scopes as codes (the four Chinese words are accepted)."""

from __future__ import annotations

import unicodedata

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from dispatch.orders.domain import Employer, JobOrder, ServiceStation
from dispatch_contract.vocabularies import ORDER_ENDINGS, PLACE_SCOPES
from sanbao_common.fields import CreditCode
from sanbao_common.money import InvalidAmount, parse_yuan

# The words clerks write for the scopes (DOMAIN.md: 县内 / 州内 / 省内 / 省外).
SCOPE_WORDS = {
    "县内": "in_county",
    "州内": "in_prefecture",
    "省内": "in_province",
    "省外": "outside_province",
}
MAX_SKILLS_GIVEN = 20


class Text(fields.String):
    """Text folded with NFKC, inner runs of spaces made one, and stripped."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = unicodedata.normalize("NFKC", super()._deserialize(value, attr, data, **kwargs))
        return " ".join(text.split())


class PlaceScope(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        text = unicodedata.normalize("NFKC", super()._deserialize(value, attr, data, **kwargs))
        scope = SCOPE_WORDS.get(text.strip(), text.strip())
        if scope not in PLACE_SCOPES:
            raise ValidationError(
                f"one of {', '.join(PLACE_SCOPES)} (县内, 州内, 省内, 省外), not {text!r}"
            )
        return scope


def _term(**kwargs):
    """An industry or a skill: its code, name or one of its aliases (the domain resolves it)."""
    return Text(validate=validate.Length(min=1, max=50), **kwargs)


class Wage(fields.String):
    """A monthly wage in yuan as text, loaded as integer fen (the domain checks its range)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_yuan(super()._deserialize(value, attr, data, **kwargs))
        except InvalidAmount as exc:
            raise ValidationError(str(exc)) from None


class WholeNumber(fields.Integer):
    """An integer sent as a JSON number (not text, not true/false, not 2.5)."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Not a valid integer.")
        return super()._deserialize(value, attr, data, **kwargs)


def _name(max_length: int = 100, **kwargs):
    return Text(validate=validate.Length(min=1, max=max_length), **kwargs)


class EmployerSchema(Schema):
    class Meta:
        unknown = RAISE

    name = _name(required=True)
    credit_code = CreditCode(required=True)
    place_scope = PlaceScope(required=True)
    place = _name(required=True)
    industry = _term(required=True)


class StationSchema(Schema):
    class Meta:
        unknown = RAISE

    name = _name(required=True)
    place_scope = PlaceScope(required=True)
    place = _name(required=True)
    # An HR operator's own company when not given; a county administrator names it.
    hr_company = fields.String(load_default=None, validate=validate.Length(min=1, max=36))


class OrderSchema(Schema):
    class Meta:
        unknown = RAISE

    agreement_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    employer_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    station_id = fields.String(load_default=None, validate=validate.Length(min=1, max=36))
    title = _name(required=True)
    positions = Text(load_default="", validate=validate.Length(max=2000))
    head_count = WholeNumber(required=True)
    wage_min = Wage(required=True)
    wage_max = Wage(required=True)
    # Where and what, when not given: the employer's.
    place_scope = PlaceScope(load_default=None)
    place = _name(load_default=None)
    industry = _term(load_default=None)
    skills = fields.List(_term(), load_default=list, validate=validate.Length(max=MAX_SKILLS_GIVEN))
    age_min = WholeNumber(load_default=None, allow_none=True)
    age_max = WholeNumber(load_default=None, allow_none=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(load_default=None, allow_none=True)


class CloseSchema(Schema):
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    outcome = fields.String(required=True, validate=validate.OneOf(ORDER_ENDINGS))
    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


def employer_state(employer: Employer) -> dict:
    return {
        "employer_id": employer.employer_id,
        "name": employer.name,
        "credit_code": employer.credit_code,
        "place_scope": employer.place_scope,
        "place": employer.place,
        "industry": employer.industry,
        "registered_by_org": employer.registered_by_org,
        "version": employer.version,
        "registered_at": employer.registered_at.isoformat(),
        "registered_by": employer.registered_by,
    }


def station_state(station: ServiceStation) -> dict:
    return {
        "station_id": station.station_id,
        "hr_company": station.hr_company,
        "name": station.name,
        "place_scope": station.place_scope,
        "place": station.place,
        "version": station.version,
        "registered_at": station.registered_at.isoformat(),
        "registered_by": station.registered_by,
    }


def order_state(order: JobOrder, employer_name: str) -> dict:
    """An order's whole state: the RPC replies and the `job_order_*` events' payload."""

    def day(value):
        return None if value is None else value.isoformat()

    return {
        "order_id": order.order_id,
        "agreement_id": order.agreement_id,
        "hr_company": order.hr_company,
        "employer_id": order.employer_id,
        "employer_name": employer_name,
        "station_id": order.station_id,
        "title": order.title,
        "positions": order.positions,
        "head_count": order.head_count,
        "wage_min_fen": order.wage_min_fen,
        "wage_max_fen": order.wage_max_fen,
        "place_scope": order.place_scope,
        "place": order.place,
        "industry": order.industry,
        "skills": list(order.skills),
        "age_min": order.age_min,
        "age_max": order.age_max,
        "starts_on": day(order.starts_on),
        "ends_on": day(order.ends_on),
        "status": order.status,
        "reason": order.reason,
        "version": order.version,
        "opened_at": order.opened_at.isoformat(),
        "opened_by": order.opened_by,
        "closed_at": day(order.closed_at),
        "closed_by": order.closed_by,
    }
