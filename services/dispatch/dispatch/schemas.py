"""Event payloads dispatch consumes, and its RPC replies.

Labourer events carry up to 500 people each and a roster import publishes thousands of them, so
their payloads are checked by hand here (as the envelope is, docs/decisions/0005) rather than
by a schema per person. Fields dispatch does not use are ignored, so that registry can add
fields without breaking it.
"""

from __future__ import annotations

from datetime import date

from dispatch_contract.vocabularies import PLACE_SCOPES
from sanbao_common.envelope import Envelope, MalformedEvent
from sanbao_common.privacy import remask

_TEXT = ("person_id", "name", "id_number_masked", "sex", "village_code")
# What matching ranks on (issue 15). Events registry wrote before them lack some (the codes came
# with its vocabularies): a missing field is an empty answer, so that old events replay cleanly.
_LISTS = ("industry_codes", "skill_codes", "training_intention")
_INTENTION_SCOPES = (*PLACE_SCOPES, "none")


def _malformed(event: Envelope, problem: str) -> MalformedEvent:
    return MalformedEvent(
        message_en=f"the {event.type} payload does not fit: {problem}",
        message_zh=f"{event.type} 事件内容不符合规范：{problem}",
        event_id=str(event.event_id),
    )


def person_state(event: Envelope, person) -> dict:
    """One labourer's state as dispatch keeps it, from a labourer event's payload."""
    if not isinstance(person, dict):
        raise _malformed(event, "a person is not an object")
    try:
        state = {name: person[name] for name in _TEXT}
        if not all(isinstance(value, str) and value for value in state.values()):
            raise _malformed(event, f"one of {_TEXT} is not text")
        state["id_number_masked"] = remask(state["id_number_masked"])
        state["birth_year"] = _birth_year(person)
        state["version"] = person["version"]
        state["poor"] = person["poor"]
        state["willing_to_go"] = person["willing_to_go"]
        state["employment_status"] = person["employment_status"]
        # Events registry wrote before placements reached the four clears lack it: the
        # township's record.
        state["employment_source"] = person.get("employment_source")
        state["skills"] = person["skills"]
        state["intention_regions"] = person["intention_regions"]
        state["status"] = person["status"]
    except (KeyError, TypeError, ValueError) as exc:
        raise _malformed(event, f"{type(exc).__name__}: {exc}") from None
    if not isinstance(state["version"], int) or state["version"] < 1:
        raise _malformed(event, "version is not a positive integer")
    if not isinstance(state["poor"], bool) or not isinstance(state["willing_to_go"], bool):
        raise _malformed(event, "poor and willing_to_go are true or false")
    if state["status"] not in ("active", "merged"):
        raise _malformed(event, "status is active or merged")
    source = state["employment_source"]
    if source is not None and not (isinstance(source, str) and source and len(source) <= 60):
        raise _malformed(event, "employment_source is a placement id or null")
    if not isinstance(state["skills"], list) or not isinstance(state["intention_regions"], list):
        raise _malformed(event, "skills and intention_regions are lists")
    state.update(_ranking_fields(event, person))
    return state


def _ranking_fields(event: Envelope, person: dict) -> dict:
    """What matching needs of a labourer, absent ones as empty answers; wrong types refused."""
    fields = {name: person.get(name) or [] for name in _LISTS}
    for name in _LISTS:
        if not isinstance(fields[name], list) or not all(
            isinstance(item, str) for item in fields[name]
        ):
            raise _malformed(event, f"{name} is a list of text")
    fields["industry_codes"] = sorted(set(fields["industry_codes"]))
    fields["skill_codes"] = sorted(set(fields["skill_codes"]))
    scope = person.get("intention_scope")
    if scope is not None and scope not in _INTENTION_SCOPES:
        raise _malformed(event, f"intention_scope is one of {', '.join(_INTENTION_SCOPES)} or null")
    wage = person.get("expected_wage_fen")
    if wage is not None and (isinstance(wage, bool) or not isinstance(wage, int) or wage < 0):
        raise _malformed(event, "expected_wage_fen is a whole number of fen or null")
    start = person.get("earliest_start")
    try:
        start = date.fromisoformat(start) if start is not None else None
    except (TypeError, ValueError):
        raise _malformed(event, "earliest_start is a date (YYYY-MM-DD) or null") from None
    agent = person.get("agent_id")
    if agent is not None and not (isinstance(agent, str) and agent):
        raise _malformed(event, "agent_id is an id or null")
    return fields | {
        "intention_scope": scope,
        "expected_wage_fen": wage,
        "earliest_start": start,
        "agent_id": agent,
    }


def _birth_year(person: dict) -> int:
    """The birth year; an event registry wrote before birth dates left the masked world carries
    the date, of which the pool keeps the year only (docs/access.md)."""
    if "birth_year" in person:
        year = person["birth_year"]
        if not isinstance(year, int) or isinstance(year, bool):
            raise TypeError("birth_year is not a whole number")
        return year
    return int(person["birth_date"][:4])


def people_of(event: Envelope) -> list:
    people = event.payload.get("people")
    if not isinstance(people, list) or not people:
        raise _malformed(event, "people is not a non-empty list")
    return people


def merge_of(event: Envelope) -> tuple[dict, str, int]:
    """The kept person's state, and the merged record's id and final version."""
    payload = event.payload
    merged, version = payload.get("merged_person_id"), payload.get("merged_version")
    if not isinstance(merged, str) or not merged:
        raise _malformed(event, "merged_person_id is missing")
    if not isinstance(version, int) or version < 1:
        raise _malformed(event, "merged_version is not a positive integer")
    return person_state(event, payload.get("kept")), merged, version
