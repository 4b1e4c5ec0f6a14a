"""The county's witness: checkpoints of other services' audit chains, kept in registry's own
database, so that rewriting a service's history also means rewriting another database."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from registry.witness.repository import WitnessRepository
from sanbao_common.checkpoints import signed_by_pinned_key
from sanbao_common.db import UnitOfWork

log = logging.getLogger(__name__)


def keep(uow: UnitOfWork, events, pinned_keys: str, county: str) -> None:
    repository = WitnessRepository(uow.connection)
    for event in events:
        payload = event.payload
        # A forged checkpoint kept first would stand forever: a checkpoint is never replaced.
        if not signed_by_pinned_key(payload, pinned_keys, county):
            log.warning(
                "audit checkpoint %s of %s not kept: not signed by a pinned checkpoint key",
                payload.get("seq"),
                event.source,
            )
            continue
        if repository.has(event.source, payload["seq"]):
            continue  # a checkpoint is never replaced: the first one received stands
        repository.add(
            source=event.source,
            seq=payload["seq"],
            hash=payload["hash"],
            at=payload["at"],
            signature=payload["signature"],
            public_key=payload["public_key"],
            received_at=datetime.now(UTC),
        )


def checkpoints(uow: UnitOfWork, source: str) -> list[dict]:
    return WitnessRepository(uow.connection).checkpoints(source)
