"""registry's use cases: one function per command, each inside the unit of work it is given."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from registry.adapters.repository import LabourerRepository
from registry.domain import model
from registry.exceptions import LabourerAlreadyRegistered, LabourerNotFound
from registry.schemas import LabourerRegisteredPayload
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import new_envelope

SOURCE = "registry"


def register_labourer(
    uow: UnitOfWork, command: dict, caller: Caller
) -> tuple[model.Labourer, list[dict]]:
    """Register one person; the same ID number twice is refused with a pointer to the first."""
    repository = LabourerRepository(uow.connection)
    existing = repository.find_by_id_number(command["id_number"])
    if existing is not None:
        raise LabourerAlreadyRegistered(person_id=existing.person_id)
    labourer = model.register(
        person_id=str(uuid.uuid4()),
        name=command["name"],
        id_number=command["id_number"],
        phone=command["phone"],
        village=command["village_code"],
        county=caller.county,
        now=datetime.now(UTC),
        actor=caller.actor,
    )
    try:
        with uow.connection.begin_nested():
            repository.add(labourer)
    except IntegrityError:
        # Another replica registered the same ID number between our lookup and our insert.
        raise LabourerAlreadyRegistered(
            person_id=repository.find_by_id_number(command["id_number"]).person_id
        ) from None
    event = new_envelope(
        "labourer_registered",
        source=SOURCE,
        county=caller.county,
        payload=LabourerRegisteredPayload().dump(labourer),
        actor=caller.actor,
        correlation_id=caller.correlation_id,
        record_id=labourer.person_id,
        version=labourer.version,
    )
    uow.commit()
    return labourer, [event]


def get_labourer(uow: UnitOfWork, person_id: str) -> model.Labourer:
    labourer = LabourerRepository(uow.connection).get(person_id)
    if labourer is None:
        raise LabourerNotFound(person_id=person_id)
    return labourer


def count_labourers(uow: UnitOfWork) -> int:
    return LabourerRepository(uow.connection).count()
