"""What registry tells the fund about the parties (part of `Books`): their seals, confirmed or
revoked, and their signatories' keys with the certificates their seals signed."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import insert, select, update

from fund.adapters.tables import seals, signatories
from fund.domain.accounts import Signatory
from sanbao_common.seals import SealRecord


class PartyRows:
    connection: object

    def confirm_seal(self, seal: SealRecord) -> None:
        """Keep a confirmed seal as its organisation's effective one. The caller has checked
        that it is not revoked and that it replaces the organisation's current one, if any."""
        values = {
            "org_id": seal.org_id,
            "org_kind": seal.org_kind,
            "public_key": seal.public_key,
            "status": "effective",
            "confirmation": json.dumps(seal.confirmation, sort_keys=True, ensure_ascii=False),
            "confirmation_signature": seal.confirmation_signature,
        }
        if self.seal(seal.fingerprint) is None:
            self.connection.execute(insert(seals).values(fingerprint=seal.fingerprint, **values))
        else:
            self.connection.execute(
                update(seals).where(seals.c.fingerprint == seal.fingerprint).values(**values)
            )

    def revoke_seal(
        self, fingerprint: str, org_id: str, revocation: dict, signature: str | None
    ) -> None:
        """Revoked for good: a seal not seen yet is kept as revoked, so that its confirmation,
        arriving later or replayed, can never make it effective."""
        values = {
            "status": "revoked",
            "revocation": json.dumps(revocation, sort_keys=True, ensure_ascii=False),
            "revocation_signature": signature,
        }
        if self.seal(fingerprint) is None:
            self.connection.execute(
                insert(seals).values(
                    fingerprint=fingerprint,
                    org_id=org_id,
                    org_kind="",
                    public_key="",
                    confirmation="{}",
                    confirmation_signature="",
                    **values,
                )
            )
        else:
            self.connection.execute(
                update(seals).where(seals.c.fingerprint == fingerprint).values(**values)
            )

    def seal(self, fingerprint: str) -> SealRecord | None:
        row = self.connection.execute(
            select(seals).where(seals.c.fingerprint == fingerprint)
        ).first()
        return None if row is None else self._seal(row)

    def effective_seal(self, org_id: str) -> SealRecord | None:
        row = self.connection.execute(
            select(seals).where(seals.c.org_id == org_id, seals.c.status == "effective")
        ).first()
        return None if row is None else self._seal(row)

    @staticmethod
    def _seal(row) -> SealRecord:
        return SealRecord(
            org_id=row.org_id,
            org_kind=row.org_kind,
            fingerprint=row.fingerprint,
            public_key=row.public_key,
            confirmation=json.loads(row.confirmation),
            confirmation_signature=row.confirmation_signature,
            revoked=row.status != "effective",
        )

    # -- signatories ---------------------------------------------------------------------------

    def save_signatory(
        self,
        fingerprint: str,
        org_id: str,
        user_id: str,
        public_key: str,
        limit_fen,
        certificate: dict,
        seal_signature: str,
        seal_fingerprint: str | None = None,
    ) -> None:
        if self.connection.execute(
            select(signatories.c.fingerprint).where(signatories.c.fingerprint == fingerprint)
        ).first():
            return
        self.connection.execute(
            insert(signatories).values(
                fingerprint=fingerprint,
                org_id=org_id,
                user_id=user_id,
                public_key=public_key,
                limit_fen=limit_fen,
                certificate=json.dumps(certificate, sort_keys=True),
                seal_signature=seal_signature,
                seal_fingerprint=seal_fingerprint,
            )
        )

    def revoke_signatory(self, fingerprint: str, at: datetime, record: dict) -> None:
        """Revoked for good: a key not enrolled yet here (its enrolment may arrive later, on its
        own queue) is kept as revoked, so that the enrolment cannot make it count."""
        if self.signatory(fingerprint) is None:
            self.connection.execute(
                insert(signatories).values(
                    fingerprint=fingerprint,
                    org_id=record.get("org_id") or "",
                    user_id=record.get("user_id") or "",
                    public_key=record.get("public_key") or "",
                    limit_fen=record.get("limit_fen"),
                    certificate="{}",
                    seal_signature="",
                    seal_fingerprint=record.get("seal_fingerprint"),
                    revoked_at=at,
                )
            )
            return
        self.connection.execute(
            update(signatories)
            .where(signatories.c.fingerprint == fingerprint)
            .where(signatories.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    def signatory(self, fingerprint: str):
        """(Signatory, its certificate, the seal's signature over it) or None."""
        row = self.connection.execute(
            select(signatories).where(signatories.c.fingerprint == fingerprint)
        ).first()
        if row is None:
            return None
        signatory = Signatory(
            row.fingerprint,
            row.org_id,
            row.user_id,
            row.public_key,
            row.limit_fen,
            row.revoked_at is not None,
            row.seal_fingerprint,
        )
        return signatory, json.loads(row.certificate), row.seal_signature
