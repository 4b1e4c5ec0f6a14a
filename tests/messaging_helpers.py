"""Helpers for tests that look at the bus directly: publish as the admin, read queues."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import amqp

from sanbao_common.envelope import new_envelope
from sanbao_common.messaging.admin import connect
from sanbao_common.privacy import mask_id_number


def labourer_event(sample, *, person_id=None, version=1, county="532501", **changes) -> dict:
    """A `labourer_registered` envelope as registry would publish it."""
    person_id = person_id or str(uuid.uuid4())
    id_number = sample.id_number(county)
    envelope = new_envelope(
        "labourer_registered",
        source="registry",
        county=county,
        payload={
            "person_id": person_id,
            "name": sample.name(),
            "id_number_masked": mask_id_number(id_number),
            "sex": "female",
            "birth_date": "1990-03-15",
            "village_code": f"{county}001201",
            "registered_at": datetime.now(UTC).isoformat(),
        },
        actor="test:publisher",
        correlation_id="corr-test",
        record_id=person_id,
        version=version,
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
