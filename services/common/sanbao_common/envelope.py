"""The envelope every event travels in (docs/events.md describes it for other languages).

Events about one record carry its `record_id` and `version`, and their payload is the record's
whole state after the change, so a consumer can ignore anything older than what it has applied.

Every consumer checks every envelope it receives, thousands a second, so the check is written
out by hand (docs/decisions/0005-envelope-check.md): about a tenth of what a marshmallow schema
costs per event. Payloads are checked by each consumer's own marshmallow schema
(`load_payload`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from marshmallow import Schema, ValidationError

from sanbao_common.errors import DomainError, describe_field_errors

SCHEMA_VERSION = 1
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})

EVENT_TYPE_PATTERN = re.compile(r"^[a-z]+(_[a-z]+)+$")
_SERVICE = re.compile(r"^[a-z]+$")
_COUNTY = re.compile(r"^\d{6}$")


class MalformedEvent(DomainError):
    code = "MALFORMED_EVENT"
    message_en = "the event does not fit the envelope"
    message_zh = "事件格式不符合信封规范"


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


FIELDS = frozenset(Envelope.__dataclass_fields__)
REQUIRED = FIELDS - {"record_id", "version"}


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
    """An envelope, serialised (JSON-ready) for the wire.

    Built by our own code from validated records, so only the event's name is checked here; the
    whole shape is checked by every consumer (`parse_envelope`) and by the tests of every
    publisher, which parse what they publish."""
    if not EVENT_TYPE_PATTERN.match(type):
        raise MalformedEvent(
            message_en=f"event type {type!r} is not <noun>_<past verb>",
            message_zh=f"事件类型 {type!r} 不符合命名规则",
        )
    return {
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


def _problems(data: dict) -> tuple[dict, dict]:
    """(the checked values, field -> what is wrong with it)."""
    problems: dict[str, str] = {}
    values: dict = {}
    for name in data.keys() - FIELDS:
        problems[name] = "unknown field"
    for name in REQUIRED - data.keys():
        problems[name] = "missing"

    def text(name: str, pattern: re.Pattern | None = None, max_length: int = 200) -> None:
        value = data.get(name)
        if name not in data:
            return
        if not isinstance(value, str) or not 1 <= len(value) <= max_length:
            problems[name] = f"must be a string of 1 to {max_length} characters"
        elif pattern is not None and not pattern.match(value):
            problems[name] = "has the wrong form"
        else:
            values[name] = value

    text("type", EVENT_TYPE_PATTERN, 64)
    text("source", _SERVICE, 32)
    text("county", _COUNTY, 6)
    text("correlation_id", None, 64)
    text("actor", None, 200)
    if "event_id" in data:
        try:
            values["event_id"] = uuid.UUID(data["event_id"])
        except (TypeError, ValueError, AttributeError):
            problems["event_id"] = "must be a UUID"
    if "occurred_at" in data:
        try:
            moment = datetime.fromisoformat(data["occurred_at"])
        except (TypeError, ValueError):
            problems["occurred_at"] = "must be an ISO 8601 date and time"
        else:
            if moment.utcoffset() != timedelta(0):
                problems["occurred_at"] = "must be in UTC, with its offset"
            values["occurred_at"] = moment
    if "schema_version" in data:
        version = data["schema_version"]
        if type(version) is not int:
            problems["schema_version"] = "must be an integer"
        elif version not in SUPPORTED_SCHEMA_VERSIONS:
            problems["schema_version"] = f"unknown schema version {version}"
        values["schema_version"] = version
    record_id, version = data.get("record_id"), data.get("version")
    if record_id is not None and not isinstance(record_id, str):
        problems["record_id"] = "must be a string or null"
    if version is not None and (type(version) is not int or version < 1):
        problems["version"] = "must be an integer of at least 1, or null"
    values["record_id"], values["version"] = record_id, version
    if "payload" in data:
        if not isinstance(data["payload"], dict):
            problems["payload"] = "must be an object"
        values["payload"] = data["payload"]
    return values, problems


def parse_envelope(data, county: str) -> Envelope:
    """Check an incoming envelope; refuse one from another county."""
    if not isinstance(data, dict):
        raise MalformedEvent(
            message_en="the event body is not a JSON object", message_zh="事件内容不是 JSON 对象"
        )
    values, problems = _problems(data)
    if problems:
        described = describe_field_errors(problems)
        raise MalformedEvent(
            message_en=f"the event does not fit the envelope: {described}",
            message_zh=f"事件格式不符合信封规范：{described}",
        )
    if values["county"] != county:
        raise MalformedEvent(
            message_en=f"the event belongs to county {values['county']}, not {county}",
            message_zh=f"事件属于县（市）{values['county']}，不属于本县 {county}",
        )
    return Envelope(**values)


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
