"""Storage of the checkpoints registry witnesses, inside a unit of work's connection."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from registry.adapters.tables import audit_witness


class WitnessRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    def has(self, source: str, seq: int) -> bool:
        return (
            self.connection.execute(
                select(audit_witness.c.seq).where(
                    audit_witness.c.source == source, audit_witness.c.seq == seq
                )
            ).first()
            is not None
        )

    def add(self, **checkpoint) -> None:
        self.connection.execute(insert(audit_witness).values(**checkpoint))

    def checkpoints(self, source: str) -> list[dict]:
        rows = self.connection.execute(
            select(audit_witness)
            .where(audit_witness.c.source == source)
            .order_by(audit_witness.c.seq)
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
