"""Dispatch's batch and placement events as registry consumes them, built in tests with the
kit's envelope (the payloads of dispatch_contract's batch_state and placement state, as much as
registry reads of them and a little more), and delivered through the consumer's own path."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

from nameko import config as nameko_config

from sanbao_common.envelope import new_envelope
from sanbao_common.messaging.consumer import BatchOutcome, Delivery
from testkit import TEST_COUNTY, principal

HR_A, HR_B = "org-hr-a", "org-hr-b"


def hr_operator(company: str = HR_A, roles=("hr_operator",)):
    """A person of an HR company; by default its HR operator."""
    return replace(
        principal(list(roles), kind="hr_company", scope=company, username=f"hr-{company}"),
        organisation_id=company,
    )


def event(event_type: str, record_id: str, version: int, payload: dict, **envelope) -> dict:
    body = new_envelope(
        event_type,
        source="dispatch",
        county=TEST_COUNTY,
        payload=payload,
        actor="user:hr-a",
        correlation_id="corr-dispatch",
        record_id=record_id,
        version=version,
    )
    return body | envelope


def batch_event(
    event_type: str,
    batch_id: str,
    version: int,
    status: str,
    members: dict[str, str],
    hr_company: str = HR_A,
    **payload,
) -> dict:
    """A batch_* event: `members` person id -> member status."""
    state = {
        "batch_id": batch_id,
        "order_id": "order-1",
        "agreement_id": "agreement-1",
        "hr_company": hr_company,
        "employer_id": "employer-1",
        "employer_name": "昆明某电子厂",
        "place_scope": "in_province",
        "place": "昆明市",
        "title": "电子厂普工",
        "status": status,
        "costs": [],
        "advance_fen": 0,
        "advance": None,
        "members": [
            {
                "person_id": person_id,
                "name": "某人",
                "id_number_masked": "532501***********3",
                "village_code": "532501001201",
                "agent_id": None,
                "status": member_status,
                "seat": None,
                "share_fen": 0,
                "invited_on": "2026-11-01",
                "responded_on": None,
            }
            for person_id, member_status in members.items()
        ],  # fmt: skip
        "substitutions": [],
        "version": version,
    } | payload
    return event(event_type, batch_id, version, state)


def placement_event(
    event_type: str,
    placement_id: str,
    version: int,
    person_id: str,
    status: str = "active",
    hr_company: str = HR_A,
    overrides: dict | None = None,
) -> dict:
    state = {
        "placement_id": placement_id,
        "batch_id": "batch-1",
        "order_id": "order-1",
        "agreement_id": "agreement-1",
        "agreement_version": 1,
        "hr_company": hr_company,
        "employer_id": "employer-1",
        "employer_name": "昆明某电子厂",
        "person_id": person_id,
        "name": "某人",
        "id_number_masked": "532501***********3",
        "village_code": "532501001201",
        "township_code": "532501001",
        "agent_id": None,
        "poor": False,
        "place_scope": "in_province",
        "place": "昆明市呈贡区",
        "starts_on": "2026-11-20",
        "wage_fen": 450000,
        "current_wage_fen": 450000,
        "status": status,
        "ended_on": None if status == "active" else "2026-12-20",
        "end_reason": None if status == "active" else "returned",
        "follow_ups": [],
        "version": version,
    } | (overrides or {})
    return event(event_type, placement_id, version, state)


def new_id() -> str:
    return str(uuid.uuid4())


def deliver(worker, *bodies: dict) -> BatchOutcome:
    """Through the handler's consumer path (envelope checks, inbox, one transaction), as the
    county's queue would hand them over; the handler is the one for the first body's type."""
    deliveries = [Delivery(n, json.dumps(b).encode(), {}) for n, b in enumerate(bodies, 1)]
    with nameko_config.patch({"COUNTY": TEST_COUNTY}):
        return getattr(worker, f"handle_{bodies[0]['type']}")(deliveries)


def key() -> str:
    """A fresh idempotency key."""
    return uuid.uuid4().hex
