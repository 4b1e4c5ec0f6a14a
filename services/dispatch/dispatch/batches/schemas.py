"""The RPC arguments of batches, and the state replies and events carry
(`dispatch_contract.batches.BATCH_STATE_FIELDS`). Amounts come in as yuan text and go out as
integer fen; dates as `YYYY-MM-DD`."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from dispatch.batches.domain import Batch, Member, Substitution, advance_fen
from dispatch.orders.schemas import Text, Wage
from dispatch_contract.batches import COST_KINDS, COST_PER, RESPONSES

MAX_PEOPLE = 500  # at a time; a batch is a busload or a few, not a county
MAX_COSTS = 20
_ID = {"validate": validate.Length(min=1, max=36)}


class CostSchema(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(COST_KINDS))
    per = fields.String(required=True, validate=validate.OneOf(COST_PER))
    amount = Wage(required=True)

    @validates("amount")
    def _positive(self, value, **_):
        if value <= 0:
            raise ValidationError("more than 0.00 yuan")


def _people(least: int = 0, **kwargs):
    return fields.List(
        fields.String(**_ID), validate=validate.Length(min=least, max=MAX_PEOPLE), **kwargs
    )


def _costs(**kwargs):
    return fields.List(fields.Nested(CostSchema), validate=validate.Length(max=MAX_COSTS), **kwargs)


def _unique(values: list, what: str) -> None:
    if len(set(values)) != len(values):
        raise ValidationError(f"each {what} once")


class FormSchema(Schema):
    class Meta:
        unknown = RAISE

    order_id = fields.String(required=True, **_ID)
    people = _people(load_default=list)
    costs = _costs(load_default=list)

    @validates("people")
    def _people_once(self, value, **_):
        _unique(value, "person")

    @validates("costs")
    def _costs_once(self, value, **_):
        _unique([(c.get("kind"), c.get("per")) for c in value], "kind and basis (per)")


class InviteSchema(Schema):
    batch_id = fields.String(required=True, **_ID)
    people = _people(1, required=True)

    @validates("people")
    def _people_once(self, value, **_):
        _unique(value, "person")


class CostsSchema(Schema):
    batch_id = fields.String(required=True, **_ID)
    costs = _costs(required=True)

    @validates("costs")
    def _costs_once(self, value, **_):
        _unique([(c.get("kind"), c.get("per")) for c in value], "kind and basis (per)")


class ResponseSchema(Schema):
    batch_id = fields.String(required=True, **_ID)
    person_id = fields.String(required=True, **_ID)
    response = fields.String(required=True, validate=validate.OneOf(RESPONSES))
    responded_on = fields.Date(required=True)


class SubstituteSchema(Schema):
    batch_id = fields.String(required=True, **_ID)
    out_person_id = fields.String(required=True, **_ID)
    in_person_id = fields.String(required=True, **_ID)
    reason = Text(required=True, validate=validate.Length(min=1, max=500))
    responded_on = fields.Date(required=True)


class DepartureSchema(Schema):
    batch_id = fields.String(required=True, **_ID)
    departed_on = fields.Date(required=True)
    no_shows = _people(load_default=list)

    @validates("no_shows")
    def _once(self, value, **_):
        _unique(value, "person")


class ArrivalSchema(Schema):
    batch_id = fields.String(required=True, **_ID)
    arrived_on = fields.Date(required=True)


class ReleaseSchema(Schema):
    batch_id = fields.String(required=True, **_ID)
    person_id = fields.String(required=True, **_ID)
    reason = Text(required=True, validate=validate.Length(min=1, max=500))


class CancelSchema(Schema):
    batch_id = fields.String(required=True, **_ID)
    reason = Text(required=True, validate=validate.Length(min=1, max=500))


def _day(value):
    return None if value is None else value.isoformat()


def member_state(member: Member) -> dict:
    return {
        "person_id": member.person_id,
        "name": member.name,
        "id_number_masked": member.id_number_masked,
        "village_code": member.village_code,
        "agent_id": member.agent_id,
        "status": member.status,
        "seat": member.seat,
        "share_fen": member.share_fen,
        "invited_on": _day(member.invited_on),
        "responded_on": _day(member.responded_on),
        "released_reason": member.released_reason,
    }


def substitution_state(substitution: Substitution) -> dict:
    return {
        "seat": substitution.seat,
        "out_person_id": substitution.out_person_id,
        "in_person_id": substitution.in_person_id,
        "reason": substitution.reason,
        "on": _day(substitution.substituted_on),
        "by": substitution.recorded_by,
    }


def batch_state(
    batch: Batch, members: list[Member], substitutions: list[Substitution], order: dict
) -> dict:
    """A batch's whole state (the RPC replies and the `batch_*` events' payload); `order` gives
    what it copies of its job order (`employer_id`, `employer_name`, `place_scope`, `place`,
    `title`)."""
    return {
        "batch_id": batch.batch_id,
        "order_id": batch.order_id,
        "agreement_id": batch.agreement_id,
        "hr_company": batch.hr_company,
        "employer_id": order["employer_id"],
        "employer_name": order["employer_name"],
        "place_scope": order["place_scope"],
        "place": order["place"],
        "title": order["title"],
        "status": batch.status,
        "costs": [{"kind": c.kind, "per": c.per, "amount_fen": c.amount_fen} for c in batch.costs],
        "advance_fen": advance_fen(batch, members),
        "advance": None if batch.advance is None else dict(batch.advance),
        "members": [member_state(m) for m in sorted(members, key=lambda m: m.invited_seq)],
        "substitutions": [substitution_state(s) for s in substitutions],
        "formed_at": batch.formed_at.isoformat(),
        "formed_by": batch.formed_by,
        "approved_at": None if batch.approved_at is None else batch.approved_at.isoformat(),
        "approved_by": batch.approved_by,
        "departed_on": _day(batch.departed_on),
        "arrived_on": _day(batch.arrived_on),
        "cancelled_reason": batch.cancelled_reason,
        "version": batch.version,
    }
