"""The event envelope: what every event carries, and what a consumer refuses."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sanbao_common.envelope import MalformedEvent, new_envelope, parse_envelope


def envelope(**changes):
    body = new_envelope(
        "labourer_registered",
        source="registry",
        county="532501",
        payload={"person_id": "p1"},
        actor="cli:operator",
        correlation_id="abc",
        record_id="p1",
        version=1,
    )
    body.update(changes)
    return body


def test_an_envelope_carries_every_field():
    body = envelope()
    assert set(body) == {
        "event_id", "type", "source", "county", "occurred_at", "schema_version",
        "correlation_id", "actor", "record_id", "version", "payload",
    }  # fmt: skip
    uuid.UUID(body["event_id"])
    assert datetime.fromisoformat(body["occurred_at"]).utcoffset() == timedelta(0)
    event = parse_envelope(body, "532501")
    assert event.type == "labourer_registered" and event.version == 1


def test_each_envelope_has_its_own_id():
    assert envelope()["event_id"] != envelope()["event_id"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"schema_version": 2}, "unknown schema version"),
        ({"occurred_at": datetime.now(timezone(timedelta(hours=8))).isoformat()}, "UTC"),
        ({"occurred_at": datetime.now(UTC).replace(tzinfo=None).isoformat()}, "occurred_at"),
        ({"event_id": "not-a-uuid"}, "event_id"),
        ({"type": "LabourerRegistered"}, "type"),
        ({"payload": "x"}, "payload"),
        ({"extra": 1}, "extra"),
        ({"version": 0}, "version"),
    ],
)
def test_a_malformed_envelope_is_refused_with_its_reason(changes, reason):
    with pytest.raises(MalformedEvent, match=reason) as caught:
        parse_envelope(envelope(**changes), "532501")
    assert caught.value.code == "MALFORMED_EVENT"


def test_a_missing_field_is_refused():
    body = envelope()
    del body["actor"]
    with pytest.raises(MalformedEvent, match="actor"):
        parse_envelope(body, "532501")


def test_another_countys_event_is_refused():
    with pytest.raises(MalformedEvent, match="532528"):
        parse_envelope(envelope(county="532528"), "532501")


def test_a_body_that_is_not_an_object_is_refused():
    with pytest.raises(MalformedEvent, match="not a JSON object"):
        parse_envelope(["x"], "532501")


def test_a_producer_cannot_build_a_bad_envelope():
    with pytest.raises(MalformedEvent):
        new_envelope(
            "Registered", source="registry", county="532501", payload={}, actor="a",
            correlation_id="c",
        )  # fmt: skip
