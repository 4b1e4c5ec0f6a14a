"""The county's witness: checkpoints of other services' audit chains, kept in registry's own
database, so that rewriting a service's history also means rewriting another database."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import insert, select

from registry.adapters.tables import audit_witness
from sanbao_common.checkpoints import signed_by_pinned_key
from sanbao_common.db import UnitOfWork

log = logging.getLogger(__name__)


def keep(uow: UnitOfWork, events, pinned_keys: str, county: str) -> None:
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
        exists = uow.connection.execute(
            select(audit_witness.c.seq).where(
                audit_witness.c.source == event.source, audit_witness.c.seq == payload["seq"]
            )
        ).first()
        if exists:
            continue  # a checkpoint is never replaced: the first one received stands
        uow.connection.execute(
            insert(audit_witness).values(
                source=event.source,
                seq=payload["seq"],
                hash=payload["hash"],
                at=payload["at"],
                signature=payload["signature"],
                public_key=payload["public_key"],
                received_at=datetime.now(UTC),
            )
        )


def checkpoints(uow: UnitOfWork, source: str) -> list[dict]:
    rows = uow.connection.execute(
        select(audit_witness).where(audit_witness.c.source == source).order_by(audit_witness.c.seq)
    )
    return [
        {
            "seq": r.seq,
            "hash": r.hash,
            "at": r.at,
            "signature": r.signature,
            "public_key": r.public_key,
        }
        for r in rows
    ]
