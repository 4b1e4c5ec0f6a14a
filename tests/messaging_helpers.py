"""Helpers for tests that look at the bus directly: publish as the admin, read queues."""

from __future__ import annotations

import json
import uuid

import amqp

from sanbao_common.envelope import new_envelope
from sanbao_common.messaging.admin import connect
from sanbao_common.privacy import mask_id_number


def labourer_state(sample, *, person_id=None, version=1, county="532501") -> dict:
    """One person's state as registry's labourer events carry it."""
    id_number = sample.id_number(county)
    return {
        "person_id": person_id or str(uuid.uuid4()),
        "name": sample.name(),
        "id_number_masked": mask_id_number(id_number),
        "phone_masked": None,
        "sex": "female",
        "birth_year": 1990,
        "village_code": f"{county}001201",
        "village_group": None,
        "household_id": None,
        "poor": False,
        "agent_id": None,
        "status": "active",
        "employment_status": None,
        "skills": [],
        "intention_regions": [],
        "intention_industries": [],
        "expected_wage_fen": None,
        "earliest_start": None,
        "training_intention": [],
        "willing_to_go": False,
        "version": version,
    }


def labourer_event(sample, *, person_id=None, version=1, county="532501", **changes) -> dict:
    """A `labourer_registered` envelope about one person, as registry would publish it; its
    `record_id` names the person for the tests' convenience (registry leaves it empty)."""
    state = labourer_state(sample, person_id=person_id, version=version, county=county)
    envelope = new_envelope(
        "labourer_registered",
        source="registry",
        county=county,
        payload={"people": [state]},
        actor="test:publisher",
        correlation_id="corr-test",
        record_id=state["person_id"],
    )
    envelope.update(changes)
    return envelope


def publish(amqp_uri: str, exchange: str, routing_key: str, bodies: list) -> None:
    """Publish raw bodies (dicts become JSON) with confirms, as the admin may."""
    connection = connect(amqp_uri)
    try:
        channel = connection.channel()
        channel.confirm_select()
        for body in bodies:
            data = json.dumps(body).encode() if isinstance(body, dict) else body
            channel.basic_publish_confirm(
                amqp.Message(data, delivery_mode=2, content_type="application/json"),
                exchange=exchange,
                routing_key=routing_key,
            )
    finally:
        connection.close()


def drain(amqp_uri: str, queue: str) -> list[amqp.Message]:
    """Take every message now in a queue (acknowledged: they are gone afterwards)."""
    connection = connect(amqp_uri)
    try:
        channel = connection.channel()
        messages = []
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            messages.append(message)
        return messages
    finally:
        connection.close()


def queue_depth(amqp_uri: str, queue: str) -> int:
    connection = connect(amqp_uri)
    try:
        return connection.channel().queue_declare(queue, passive=True).message_count
    finally:
        connection.close()
