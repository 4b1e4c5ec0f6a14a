"""What registry tells the fund about the parties (part of `Books`): their seals, confirmed or
revoked (kept as every service keeps them, `sanbao_common.seal_book`), and their signatories'
keys with the certificates their seals signed."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import insert, select, update

from fund.adapters.tables import seals, signatories
from fund.domain.accounts import Signatory
from sanbao_common.seal_book import SealBook
from sanbao_common.seals import SealRecord


class PartyRows:
    connection: object

    @property
    def _seal_book(self) -> SealBook:
        return SealBook(self.connection, seals)

    def confirm_seal(self, seal: SealRecord) -> None:
        """Keep a confirmed seal as its organisation's effective one (`SealBook.confirm_seal`)."""
        self._seal_book.confirm_seal(seal)

    def revoke_seal(
        self, fingerprint: str, org_id: str, revocation: dict, signature: str | None
    ) -> None:
        """Revoked for good, even a seal not seen yet (`SealBook.revoke_seal`)."""
        self._seal_book.revoke_seal(fingerprint, org_id, revocation, signature)

    def seal(self, fingerprint: str) -> SealRecord | None:
        return self._seal_book.seal(fingerprint)

    def effective_seal(self, org_id: str) -> SealRecord | None:
        return self._seal_book.effective_seal(org_id)

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
