"""What settlement reads of others' events (docs/events.md): a sealed agreement version from
dispatch's `agreement_sealed`, a placement's state from `placement_started` /
`placement_followed_up` / `placement_ended`, an organisation from registry's
`organisation_registered` / `organisation_changed`. Pure: no I/O.

An event that does not fit raises `Unfit` with the reason; the use cases keep it as a refused
input (settlement.inputs.use_cases), never apply it and never park it.

Settlement takes an agreement's terms as dispatch publishes them on its own exchange, which only
dispatch may publish to (docs/events.md "Who may publish where"); it does not verify the seals'
signatures over them, as the fund does before any money moves on them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from dispatch_contract.placements import PLACEMENT_STATUSES
from sanbao_common.envelope import Envelope
from sanbao_common.privacy import mask_text, remask

MAX_ID = 36
MAX_VERSION = 2**31 - 1
_DIGITS = {9: re.compile(r"^[0-9]{9}$"), 12: re.compile(r"^[0-9]{12}$")}
# A masked ID number of any form dispatch has published (`532501***********3` today,
# `532501********0013` before): 15 or 18 characters, some of them hidden.
_MASKED_ID = re.compile(r"(?=[0-9Xx*]*\*)(?:[0-9Xx*]{15}|[0-9Xx*]{18})")
SOURCES = {
    "agreement_sealed": "dispatch",
    "placement_started": "dispatch",
    "placement_followed_up": "dispatch",
    "placement_ended": "dispatch",
    "organisation_registered": "registry",
    "organisation_changed": "registry",
}


class Unfit(ValueError):
    """The event does not fit what settlement reads of it: the reason, for operators."""


@dataclass(frozen=True)
class AgreementVersion:
    agreement_id: str
    version: int
    effective_from: date
    county_cooperative: str
    hr_company: str
    terms: dict


@dataclass(frozen=True)
class PlacementState:
    placement_id: str
    version: int
    agreement_id: str
    agreement_version: int
    hr_company: str
    person_id: str
    name: str
    id_number_masked: str
    village_code: str
    township_code: str
    agent_id: str | None
    poor: bool
    starts_on: date
    ended_on: date | None
    status: str
    follow_up_months: tuple[int, ...]
    state: dict


@dataclass(frozen=True)
class OrganisationState:
    org_id: str
    kind: str
    name: str
    division_code: str | None
    parent_id: str | None
    active: bool
    version: int


def _text(payload: dict, name: str, most: int = MAX_ID, *, optional: bool = False):
    value = payload.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= most:
        raise Unfit(f"{name} is not a text of 1 to {most} characters")
    return value


def _whole(payload: dict, name: str) -> int:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_VERSION:
        raise Unfit(f"{name} is not a positive whole number")
    return value


def _day(payload: dict, name: str, *, optional: bool = False) -> date | None:
    value = payload.get(name)
    if value is None and optional:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Unfit(f"{name} is not a date YYYY-MM-DD") from None


def _code(payload: dict, name: str, digits: int) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not _DIGITS[digits].match(value):
        raise Unfit(f"{name} is not {digits} digits")
    return value


def _record(event: Envelope, id_field: str) -> tuple[dict, str, int]:
    """What every event settlement reads passes: its publisher, an object payload, the record
    id and version the same in the envelope and the payload."""
    expected = SOURCES[event.type]
    if event.source != expected:
        raise Unfit(f"only {expected} publishes {event.type}, not {event.source}")
    payload = event.payload
    if not isinstance(payload, dict):
        raise Unfit("the payload is not an object")
    record_id, version = _text(payload, id_field), _whole(payload, "version")
    if event.record_id != record_id:
        raise Unfit(f"record_id is not the payload's {id_field}")
    if event.version != version:
        raise Unfit("the envelope's version is not the payload's")
    return payload, record_id, version


def agreement_version(event: Envelope) -> AgreementVersion:
    """The sealed version's terms and what settlement indexes them by; whether the rules can be
    read from the terms is `settlement.domain.rules.rules_from_terms`'s to say."""
    payload, agreement_id, version = _record(event, "agreement_id")
    terms = payload.get("terms")
    if not isinstance(terms, dict):
        raise Unfit("terms is not an object")
    if terms.get("agreement_id") != agreement_id or terms.get("version") != version:
        raise Unfit("the terms' agreement_id and version are not the event's")
    return AgreementVersion(
        agreement_id,
        version,
        _day(terms, "effective_from"),
        _text(terms, "county_cooperative"),
        _text(terms, "hr_company"),
        terms,
    )


def _follow_up_months(payload: dict) -> tuple[int, ...]:
    follow_ups = payload.get("follow_ups") or []
    if not isinstance(follow_ups, list):
        raise Unfit("follow_ups is not a list")
    months = set()
    for item in follow_ups:
        month = item.get("month") if isinstance(item, dict) else None
        if isinstance(month, bool) or not isinstance(month, int) or not 0 < month <= 600:
            raise Unfit("a follow-up has no month")
        months.add(month)
    return tuple(sorted(months))


def _masked_id(payload: dict) -> str:
    """The placement's masked ID number in today's form (`sanbao_common.privacy.remask`); a
    whole number, or anything else that is not a masked form, is refused."""
    value = payload.get("id_number_masked")
    if not isinstance(value, str) or not _MASKED_ID.fullmatch(value):
        raise Unfit("id_number_masked is not a masked ID number")
    return remask(value)


def _scrubbed(value):
    """The payload as kept: any ID-number- or phone-like run in its free text (notes, reasons)
    masked (`sanbao_common.privacy.mask_text`)."""
    if isinstance(value, dict):
        return {name: _scrubbed(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    return mask_text(value) if isinstance(value, str) else value


def placement_state(event: Envelope) -> PlacementState:
    payload, placement_id, version = _record(event, "placement_id")
    masked = _masked_id(payload)
    status = payload.get("status")
    if status not in PLACEMENT_STATUSES:
        raise Unfit(f"status is one of {', '.join(PLACEMENT_STATUSES)}")
    poor = payload.get("poor")
    if not isinstance(poor, bool):
        raise Unfit("poor is not true or false")
    village, township = _code(payload, "village_code", 12), _code(payload, "township_code", 9)
    if not village.startswith(township):
        raise Unfit("township_code is not the village's township")
    starts_on, ended_on = _day(payload, "starts_on"), _day(payload, "ended_on", optional=True)
    if (status == "ended") != (ended_on is not None):
        raise Unfit("ended_on is given exactly when the placement ended")
    if ended_on is not None and ended_on < starts_on:
        raise Unfit("ended_on is before starts_on")
    return PlacementState(
        placement_id=placement_id,
        version=version,
        agreement_id=_text(payload, "agreement_id"),
        agreement_version=_whole(payload, "agreement_version"),
        hr_company=_text(payload, "hr_company"),
        person_id=_text(payload, "person_id"),
        name=mask_text(_text(payload, "name", 50)),
        id_number_masked=masked,
        village_code=village,
        township_code=township,
        agent_id=_text(payload, "agent_id", optional=True),
        poor=poor,
        starts_on=starts_on,
        ended_on=ended_on,
        status=status,
        follow_up_months=_follow_up_months(payload),
        state={**_scrubbed(payload), "id_number_masked": masked},
    )


def organisation_state(event: Envelope) -> OrganisationState:
    payload, org_id, version = _record(event, "org_id")
    active = payload.get("active")
    if not isinstance(active, bool):
        raise Unfit("active is not true or false")
    division = payload.get("division_code")
    if division is not None and (
        not isinstance(division, str) or not re.fullmatch(r"[0-9]{2,12}", division)
    ):
        raise Unfit("division_code is not 2 to 12 digits")
    return OrganisationState(
        org_id=org_id,
        kind=_text(payload, "kind", 20),
        name=_text(payload, "name", 200),
        division_code=division,
        parent_id=_text(payload, "parent_id", optional=True),
        active=active,
        version=version,
    )


def dumps(value: dict) -> str:
    """JSON text of a payload part as kept (sorted keys, Chinese as is)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
