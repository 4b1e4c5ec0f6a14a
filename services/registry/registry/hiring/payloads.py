"""What registry reads of dispatch's batch and placement events (dispatch_contract's batch_state
and placement state; docs/events.md): only what decides who may see whom unmasked and what a
person's four clears say. Pure: no I/O.

An event that does not fit (wrong source, a record id or version that differs from its
envelope's, fields of the wrong kind) is a `MalformedEvent`, which the consumer parks at once:
it changes nothing. Statuses registry does not know are read as closed, so that a status dispatch
adds later never opens anyone's numbers by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch_contract import batches, placements
from registry_contract.vocabularies import SCOPES
from sanbao_common.envelope import Envelope, MalformedEvent

SOURCE = "dispatch"
# A batch lets its HR company see its people while it is open (forming, approved, departed), and
# only those who said yes and still take part: confirmed, departed. Not the merely invited: an HR
# operator invites anyone in the pool, so an invitation would show anyone; a confirmation is
# recorded by the person's agent or cooperative. An arrived batch no longer does: each arrived
# member's placement, once started, does (docs/access.md).
OPEN_BATCH_STATUSES = frozenset(batches.OPEN_BATCH_STATUSES)
VISIBLE_MEMBER_STATUSES = frozenset({"confirmed", "departed"})
ACTIVE_PLACEMENT = placements.ACTIVE
MAX_ID = 36
MAX_MEMBERS = 5000  # far above any order's head count; a bigger list is not a batch
MAX_PLACE = 100  # what labourers.employment_place holds
MAX_VERSION = 2**31 - 1  # what company_records.version (an INTEGER) holds


@dataclass(frozen=True)
class CompanyRecord:
    """A batch or placement as registry needs it: whose it is, its version, and whom it opens."""

    kind: str  # batch | placement
    record_id: str
    hr_company: str
    version: int
    open: bool
    people: frozenset[str]  # seen unmasked by the company's HR operators while open


@dataclass(frozen=True)
class Placement:
    record: CompanyRecord
    person_id: str
    active: bool
    place_scope: str
    place: str | None


def _malformed(event: Envelope, problem: str) -> MalformedEvent:
    return MalformedEvent(
        message_en=f"the {event.type} event does not fit: {problem}",
        message_zh=f"{event.type} 事件内容不符合规范：{problem}",
        event_id=str(event.event_id),
    )


def _an_id(event: Envelope, value, name: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID:
        raise _malformed(event, f"{name} is not an id")
    return value


def _record_fields(event: Envelope, id_field: str) -> tuple[dict, str, str, int]:
    """The checks every batch and placement event passes: its source, its payload, its record
    id and version the same in the envelope and the state."""
    if event.source != SOURCE:
        raise _malformed(event, f"only {SOURCE} publishes it, not {event.source}")
    payload = event.payload
    if not isinstance(payload, dict):
        raise _malformed(event, "the payload is not an object")
    record_id = _an_id(event, payload.get(id_field), id_field)
    if event.record_id != record_id:
        raise _malformed(event, f"record_id is not the payload's {id_field}")
    version = payload.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 0 < version <= MAX_VERSION:
        raise _malformed(event, "version is not a positive whole number a column holds")
    if event.version != version:
        raise _malformed(event, "the envelope's version is not the payload's")
    hr_company = _an_id(event, payload.get("hr_company"), "hr_company")
    return payload, record_id, hr_company, version


def batch_record(event: Envelope) -> CompanyRecord:
    payload, batch_id, hr_company, version = _record_fields(event, "batch_id")
    status, members = payload.get("status"), payload.get("members")
    if not isinstance(status, str):
        raise _malformed(event, "status is not text")
    if not isinstance(members, list) or len(members) > MAX_MEMBERS:
        raise _malformed(event, f"members is not a list of at most {MAX_MEMBERS}")
    people = set()
    for member in members:
        if not isinstance(member, dict) or not isinstance(member.get("status"), str):
            raise _malformed(event, "a member is not an object with a status")
        person_id = _an_id(event, member.get("person_id"), "a member's person_id")
        if member["status"] in VISIBLE_MEMBER_STATUSES:
            people.add(person_id)
    is_open = status in OPEN_BATCH_STATUSES
    return CompanyRecord(
        "batch", batch_id, hr_company, version, is_open, frozenset(people if is_open else ())
    )


def placement(event: Envelope) -> Placement:
    payload, placement_id, hr_company, version = _record_fields(event, "placement_id")
    person_id = _an_id(event, payload.get("person_id"), "person_id")
    status, scope, place = payload.get("status"), payload.get("place_scope"), payload.get("place")
    if not isinstance(status, str):
        raise _malformed(event, "status is not text")
    if scope not in SCOPES:
        raise _malformed(event, f"place_scope is one of {', '.join(SCOPES)}")
    if place is not None and not isinstance(place, str):
        raise _malformed(event, "place is not text")
    active = status == ACTIVE_PLACEMENT
    record = CompanyRecord(
        "placement",
        placement_id,
        hr_company,
        version,
        active,
        frozenset({person_id} if active else ()),
    )
    place = (place or "").strip()[:MAX_PLACE] or None
    return Placement(record, person_id, active, scope, place)
