"""The RPC arguments of placements and follow-ups, and the state replies and events carry
(`dispatch_contract.placements.PLACEMENT_STATE_FIELDS`). Wages come in as yuan text ("4800.00")
and go out as integer fen a month; dates as `YYYY-MM-DD`."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from dispatch.orders.schemas import Text, Wage, WholeNumber
from dispatch.placements.domain import FollowUp, Placement
from dispatch.placements.schedule import due_dates
from dispatch_contract.placements import END_REASONS, FOLLOW_UP_MONTHS, FOLLOW_UP_OUTCOMES

_ID = validate.Length(min=1, max=36)


class StartSchema(Schema):
    class Meta:
        unknown = RAISE

    batch_id = fields.String(required=True, validate=_ID)
    person_id = fields.String(required=True, validate=_ID)
    starts_on = fields.Date(required=True)
    wage = Wage(required=True)


class FollowUpSchema(Schema):
    class Meta:
        unknown = RAISE

    month = WholeNumber(required=True, validate=validate.OneOf(FOLLOW_UP_MONTHS))
    contacted_on = fields.Date(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(FOLLOW_UP_OUTCOMES))
    wage = Wage(load_default=None, allow_none=True, data_key="wage", attribute="wage_fen")
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


class EndSchema(Schema):
    placement_id = fields.String(required=True, validate=_ID)
    ended_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(END_REASONS))
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


def _day(value) -> str | None:
    return None if value is None else value.isoformat()


def follow_up_state(record: FollowUp) -> dict:
    return {
        "month": record.month,
        "due_on": record.due_on.isoformat(),
        "contacted_on": record.contacted_on.isoformat(),
        "outcome": record.outcome,
        "wage_fen": record.wage_fen,
        "note": record.note,
        "recorded_at": record.recorded_at.isoformat(),
        "recorded_by": record.recorded_by,
    }


def placement_state(p: Placement) -> dict:
    """A placement's whole state: the RPC replies and the `placement_*` events' payload."""
    recorded = {f.month for f in p.follow_ups}
    return {
        "placement_id": p.placement_id, "batch_id": p.batch_id, "order_id": p.order_id,
        "agreement_id": p.agreement_id, "agreement_version": p.agreement_version,
        "hr_company": p.hr_company, "employer_id": p.employer_id,
        "employer_name": p.employer_name, "person_id": p.person_id, "name": p.name,
        "id_number_masked": p.id_number_masked, "village_code": p.village_code,
        "township_code": p.township_code, "agent_id": p.agent_id, "poor": p.poor,
        "place_scope": p.place_scope, "place": p.place, "starts_on": p.starts_on.isoformat(),
        "wage_fen": p.wage_fen, "current_wage_fen": p.current_wage_fen, "status": p.status,
        "ended_on": _day(p.ended_on), "end_reason": p.end_reason, "end_note": p.end_note,
        "schedule": [
            {"month": month, "due_on": due_on.isoformat(), "recorded": month in recorded}
            for month, due_on in due_dates(p.starts_on).items()
        ],
        "follow_ups": [follow_up_state(f) for f in p.follow_ups],
        "started_at": p.started_at.isoformat(), "started_by": p.started_by,
        "ended_at": _day(p.ended_at), "ended_by": p.ended_by, "version": p.version,
    }  # fmt: skip
