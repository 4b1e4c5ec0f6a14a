"""The RPC arguments of statements' acknowledgements and disputes, and the states replies and
events carry. Amounts are integer fen; dates `YYYY-MM-DD`; times ISO 8601 with their offset."""

from __future__ import annotations

import unicodedata

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from sanbao_common.privacy import mask_text

OUTCOMES = ("owed", "waived")


class Text(fields.String):
    """Text folded with NFKC, inner runs of spaces made one, stripped, and any ID number or
    phone number typed into it masked (what is written reaches events and every reader)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = unicodedata.normalize("NFKC", super()._deserialize(value, attr, data, **kwargs))
        return mask_text(" ".join(text.split()))


class DisputeSchema(Schema):
    class Meta:
        unknown = RAISE

    placement_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    reason = Text(required=True, validate=validate.Length(min=2, max=500))


# The most placements one acknowledgement disputes (a statement bigger than that is disputed
# through the county cooperative, not line by line in one request).
MAX_DISPUTES = 5000


class AcknowledgeSchema(Schema):
    class Meta:
        unknown = RAISE

    statement_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    disputes = fields.List(
        fields.Nested(DisputeSchema), load_default=list, validate=validate.Length(max=MAX_DISPUTES)
    )

    @validates_schema
    def _once_each(self, data, **kwargs):
        placements = [d["placement_id"] for d in data.get("disputes") or []]
        if len(placements) != len(set(placements)):
            raise ValidationError("a placement is disputed once", "disputes")


class ResolveSchema(Schema):
    class Meta:
        unknown = RAISE

    statement_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    dispute_no = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


def _time(value) -> str | None:
    return None if value is None else value.isoformat()


def dispute_state(d: dict) -> dict:
    return {
        "dispute_no": d["dispute_no"], "placement_id": d["placement_id"], "reason": d["reason"],
        "state": d["state"], "amount_fen": d["amount_fen"], "asked_fen": d["asked_fen"],
        "raised_at": _time(d["raised_at"]),
        "raised_by": d["raised_by"], "resolved_at": _time(d["resolved_at"]),
        "resolved_by": d["resolved_by"], "note": d["note"],
        "receivable_state": d["receivable_state"], "receivable_id": d["receivable_id"],
        "statement_ref": f"{d['statement_id']}:d{d['dispute_no']}",
    }  # fmt: skip


def statement_state(s: dict, disputes: list[dict] | None = None) -> dict:
    """A statement as replies and `statement_acknowledged` carry it."""
    state = {
        name: s[name]
        for name in (
            "statement_id", "period", "agreement_id", "kind", "counterparty_id",
            "counterparty_kind", "counterparty_name", "total_fen", "status", "acknowledged_fen",
            "disputed_fen", "acknowledged_by", "receivable_state", "receivable_id",
            "receivable_reason", "paid_fen",
        )
    }  # fmt: skip
    state["issued_at"] = _time(s["issued_at"])
    state["acknowledged_at"] = _time(s["acknowledged_at"])
    if disputes is not None:
        state["disputes"] = [dispute_state(d) for d in disputes]
    return state


def line_state(line: dict) -> dict:
    """One party's share of one item: what a labourer's line on a statement is made of."""
    return {
        "line_id": line["line_id"], "kind": line["kind"], "item_key": line["item_key"],
        "party": line["party"], "payee_id": line["payee_id"], "amount_fen": line["amount_fen"],
        "adjustment": bool(line["adjustment"]), "statement_id": line["statement_id"],
        "agreement_id": line["agreement_id"], "rule_id": line["rule_id"],
        "rule_version": line["rule_version"],
        "due_on": None if line["due_on"] is None else line["due_on"].isoformat(),
        "follow_up_month": line["follow_up_month"], "dispute_no": line["dispute_no"],
    }  # fmt: skip


def labourers(lines: list[dict]) -> list[dict]:
    """Lines grouped per placement (the labourer's line), in placement order."""
    found: dict[str, dict] = {}
    for line in lines:
        entry = found.get(line["placement_id"])
        if entry is None:
            entry = found[line["placement_id"]] = {
                "placement_id": line["placement_id"], "person_id": line["person_id"],
                "name": line["name"], "id_number_masked": line["id_number_masked"],
                "village_code": line["village_code"], "township_code": line["township_code"],
                "agent_id": line["agent_id"], "amount_fen": 0, "lines": [],
            }  # fmt: skip
        entry["amount_fen"] += line["amount_fen"]
        entry["lines"].append(line_state(line))
    return list(found.values())
