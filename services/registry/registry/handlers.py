"""registry's use cases: one function per command, inside the unit of work it is given.
Handlers never commit: the entrypoint commits once, together with the idempotency key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from registry.adapters.repository import LabourerRepository
from registry.domain import model
from registry.exceptions import ConcurrentRegistration, LabourerAlreadyRegistered, LabourerNotFound
from registry.schemas import LabourerRegisteredPayload
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import new_envelope
from sanbao_common.errors import DomainError
from sanbao_common.messaging.outbox import write_events

SOURCE = "registry"
_payload = LabourerRegisteredPayload()


def labourer_registered(labourer: model.Labourer, caller: Caller) -> dict:
    return new_envelope(
        "labourer_registered",
        source=SOURCE,
        county=caller.county,
        payload=_payload.dump(labourer),
        actor=caller.actor,
        correlation_id=caller.correlation_id,
        record_id=labourer.person_id,
        version=labourer.version,
    )


def register_labourers(
    uow: UnitOfWork, commands: list[dict], caller: Caller
) -> tuple[list[model.Labourer], list[tuple[int, DomainError]]]:
    """Register each person not registered yet; refuse the others, each with its reason.

    One ID number is one person: one already in the registry, or twice in the same batch, is
    refused with a pointer to the record it would duplicate."""
    repository = LabourerRepository(uow.connection)
    known = repository.person_ids_by_id_number([command["id_number"] for command in commands])
    now = datetime.now(UTC)
    registered: list[model.Labourer] = []
    refused: list[tuple[int, DomainError]] = []
    for index, command in enumerate(commands):
        existing = known.get(command["id_number"])
        if existing is not None:
            refused.append((index, LabourerAlreadyRegistered(person_id=existing)))
            continue
        try:
            labourer = model.register(
                person_id=str(uuid.uuid4()),
                name=command["name"],
                id_number=command["id_number"],
                phone=command["phone"],
                village=command["village_code"],
                county=caller.county,
                now=now,
                actor=caller.actor,
            )
        except DomainError as exc:
            refused.append((index, exc))
            continue
        known[labourer.id_number] = labourer.person_id
        registered.append(labourer)
    if registered:
        try:
            repository.add_many(registered)
        except IntegrityError:
            # Another replica registered one of these people between our lookup and our insert;
            # the unit of work rolls back, and a retry of the command finds them registered.
            raise ConcurrentRegistration() from None
        write_events(uow, [labourer_registered(labourer, caller) for labourer in registered])
    return registered, refused


def register_labourer(uow: UnitOfWork, command: dict, caller: Caller) -> model.Labourer:
    registered, refused = register_labourers(uow, [command], caller)
    if refused:
        raise refused[0][1]
    return registered[0]


def get_labourer(uow: UnitOfWork, person_id: str) -> model.Labourer:
    labourer = LabourerRepository(uow.connection).get(person_id)
    if labourer is None:
        raise LabourerNotFound(person_id=person_id)
    return labourer


def count_labourers(uow: UnitOfWork, under: str | None = None) -> int:
    """All labourers, or those registered in villages whose code starts with `under`."""
    return LabourerRepository(uow.connection).count(under)
