"""The envelope every event travels in (docs/events.md describes it for other languages).

Events about one record carry its `record_id` and `version`, and their payload is the record's
whole state after the change, so a consumer can ignore anything older than what it has applied.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from sanbao_common.errors import DomainError, describe_field_errors

SCHEMA_VERSION = 1
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})

EVENT_TYPE = validate.Regexp(
    r"^[a-z]+(_[a-z]+)+$", error="must be <noun>_<past verb> in snake_case"
)
SERVICE_NAME = validate.Regexp(r"^[a-z]+$", error="must be a service name")
COUNTY_CODE = validate.Regexp(r"^\d{6}$", error="must be a 6-digit county code")


class MalformedEvent(DomainError):
    code = "MALFORMED_EVENT"
    message_en = "the event does not fit the envelope"
    message_zh = "事件格式不符合信封规范"


class EnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=EVENT_TYPE)
    source = fields.String(required=True, validate=SERVICE_NAME)
    county = fields.String(required=True, validate=COUNTY_CODE)
    occurred_at = fields.AwareDateTime(required=True)
    schema_version = fields.Integer(required=True, strict=True)
    correlation_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    actor = fields.String(required=True, validate=validate.Length(min=1, max=200))
    record_id = fields.String(load_default=None, allow_none=True)
    version = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1)
    )
    payload = fields.Dict(required=True, keys=fields.String())

    @validates("occurred_at")
    def _utc(self, value: datetime, **_):
        if value.utcoffset() != timedelta(0):
            raise ValidationError("must be in UTC")

    @validates("schema_version")
    def _known_version(self, value: int, **_):
        if value not in SUPPORTED_SCHEMA_VERSIONS:
            raise ValidationError(f"unknown schema version {value}")


@dataclass(frozen=True)
class Envelope:
    event_id: uuid.UUID
    type: str
    source: str
    county: str
    occurred_at: datetime
    schema_version: int
    correlation_id: str
    actor: str
    payload: dict
    record_id: str | None = None
    version: int | None = None


_schema = EnvelopeSchema()


def new_envelope(
    type: str,
    *,
    source: str,
    county: str,
    payload: dict,
    actor: str,
    correlation_id: str,
    record_id: str | None = None,
    version: int | None = None,
    occurred_at: datetime | None = None,
) -> dict:
    """A validated envelope, serialised (JSON-ready) for the wire."""
    envelope = {
        "event_id": str(uuid.uuid4()),
        "type": type,
        "source": source,
        "county": county,
        "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
        "schema_version": SCHEMA_VERSION,
        "correlation_id": correlation_id,
        "actor": actor,
        "record_id": record_id,
        "version": version,
        "payload": payload,
    }
    parse_envelope(envelope, county)  # a producer bug must fail here, not in every consumer
    return envelope


def parse_envelope(data, county: str) -> Envelope:
    """Validate an incoming envelope; refuse one from another county."""
    if not isinstance(data, dict):
        raise MalformedEvent(
            message_en="the event body is not a JSON object", message_zh="事件内容不是 JSON 对象"
        )
    try:
        loaded = _schema.load(data)
    except ValidationError as exc:
        problems = describe_field_errors(exc.messages)
        raise MalformedEvent(
            message_en=f"the event does not fit the envelope: {problems}",
            message_zh=f"事件格式不符合信封规范：{problems}",
        ) from None
    if loaded["county"] != county:
        raise MalformedEvent(
            message_en=f"the event belongs to county {loaded['county']}, not {county}",
            message_zh=f"事件属于县（市）{loaded['county']}，不属于本县 {county}",
        )
    return Envelope(**loaded)


def load_payload(schema: Schema, event: Envelope) -> dict:
    """A consumer's view of an event's payload; one that does not fit is a malformed event, which
    no retry can mend (the consumer parks it at once)."""
    try:
        return schema.load(event.payload)
    except ValidationError as exc:
        problems = describe_field_errors(exc.messages)
        raise MalformedEvent(
            message_en=f"the {event.type} payload does not fit: {problems}",
            message_zh=f"{event.type} 事件内容不符合规范：{problems}",
            event_id=str(event.event_id),
        ) from None
