"""The audit chain's records and its signed checkpoints (part of `Books`)."""

from __future__ import annotations

import json

from sqlalchemy import insert, select

from fund.adapters.tables import audit_log, checkpoints
from fund.domain.audit import GENESIS, AuditRecord


class AuditLog:
    connection: object

    def chain_head(self) -> tuple[int, str]:
        row = self.connection.execute(
            select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
        ).first()
        return (row.seq, row.hash) if row else (0, GENESIS)

    def append_audit(self, record: AuditRecord) -> None:
        data = record.body()
        data["detail"] = json.dumps(record.detail, sort_keys=True, ensure_ascii=False, default=str)
        self.connection.execute(insert(audit_log).values(**data, hash=record.hash))

    def audit_records(self) -> list[AuditRecord]:
        rows = self.connection.execute(select(audit_log).order_by(audit_log.c.seq))
        return [
            AuditRecord(
                seq=r.seq,
                at=r.at,
                actor=r.actor,
                command=r.command,
                account_id=r.account_id,
                detail=json.loads(r.detail),
                prev_hash=r.prev_hash,
                hash=r.hash,
            )
            for r in rows
        ]

    def last_checkpoint(self):
        return self.connection.execute(
            select(checkpoints).order_by(checkpoints.c.seq.desc()).limit(1)
        ).first()

    def add_checkpoint(self, seq: int, head: str, at: str, signature: str) -> None:
        self.connection.execute(
            insert(checkpoints).values(seq=seq, hash=head, at=at, signature=signature)
        )
