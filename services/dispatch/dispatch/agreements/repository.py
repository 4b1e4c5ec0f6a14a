"""Agreement rows and the seals they rely on, on the connection of one unit of work."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select, text, update

from dispatch.adapters.agreement_tables import agreement_versions, agreements, seals
from sanbao_common.crypto import statement_bytes
from sanbao_common.seal_book import SealBook

DRAFT, SEALED, WITHDRAWN = "draft", "sealed", "withdrawn"
# Every command on agreements, and every seal event, holds this lock (PostgreSQL; SQLite's writes
# are serialised already): a seal cannot be revoked between the check of a signature and the
# sealing it completes, nor two signatures be saved over each other.
_AGREEMENTS_LOCK = 0x5A4E_4241_4F41  # arbitrary, dispatch's own database


@dataclass(frozen=True)
class Version:
    agreement_id: str
    version: int
    status: str
    effective_from: date
    terms: dict
    seal_signatures: dict
    drafted_by: str
    drafted_at: datetime
    sealed_at: datetime | None
    withdrawn_by: str | None
    withdrawn_at: datetime | None


def _version(row) -> Version:
    return Version(
        agreement_id=row.agreement_id,
        version=row.version,
        status=row.status,
        effective_from=row.effective_from,
        terms=json.loads(row.terms),
        seal_signatures=json.loads(row.seal_signatures),
        drafted_by=row.drafted_by,
        drafted_at=row.drafted_at,
        sealed_at=row.sealed_at,
        withdrawn_by=row.withdrawn_by,
        withdrawn_at=row.withdrawn_at,
    )


class AgreementRepository:
    def __init__(self, connection):
        self.connection = connection
        self.seal_book = SealBook(connection, seals)

    def lock(self) -> None:
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AGREEMENTS_LOCK}
            )

    # -- agreements ----------------------------------------------------------------------------

    def get(self, agreement_id: str):
        return self.connection.execute(
            select(agreements).where(agreements.c.agreement_id == agreement_id)
        ).first()

    def reference_taken(self, reference: str) -> bool:
        """Another agreement not withdrawn has this reference."""
        return (
            self.connection.execute(
                select(agreements.c.agreement_id).where(
                    agreements.c.reference == reference, agreements.c.status != WITHDRAWN
                )
            ).first()
            is not None
        )

    def add(self, terms: dict, drafted_by: str, drafted_at: datetime) -> None:
        self.connection.execute(
            insert(agreements).values(
                agreement_id=terms["agreement_id"],
                reference=terms["reference"],
                county=terms["county"],
                county_cooperative=terms["county_cooperative"],
                hr_company=terms["hr_company"],
                principal_fen=terms["principal_fen"],
                term_start=date.fromisoformat(terms["term_start"]),
                term_end=date.fromisoformat(terms["term_end"]),
                bank_name=terms["bank_name"],
                bank_account=terms["bank_account"],
                status=DRAFT,
                sealed_version=None,
                draft_version=terms["version"],
                drafted_by=drafted_by,
                drafted_at=drafted_at,
            )
        )

    def set_state(self, agreement_id: str, **values) -> None:
        """status, sealed_version, draft_version."""
        self.connection.execute(
            update(agreements).where(agreements.c.agreement_id == agreement_id).values(**values)
        )

    def listed(self, hr_company: str | None, status: str | None) -> list:
        query = select(agreements).order_by(agreements.c.drafted_at, agreements.c.agreement_id)
        if hr_company is not None:
            query = query.where(agreements.c.hr_company == hr_company)
        if status is not None:
            query = query.where(agreements.c.status == status)
        return list(self.connection.execute(query))

    # -- versions ------------------------------------------------------------------------------

    def versions(self, agreement_id: str) -> list[Version]:
        v = agreement_versions
        rows = self.connection.execute(
            select(v).where(v.c.agreement_id == agreement_id).order_by(v.c.version)
        )
        return [_version(row) for row in rows]

    def version(self, agreement_id: str, version: int) -> Version | None:
        v = agreement_versions
        row = self.connection.execute(
            select(v).where(v.c.agreement_id == agreement_id, v.c.version == version)
        ).first()
        return None if row is None else _version(row)

    def add_version(self, terms: dict, drafted_by: str, drafted_at: datetime) -> None:
        self.connection.execute(
            insert(agreement_versions).values(
                agreement_id=terms["agreement_id"],
                version=terms["version"],
                status=DRAFT,
                effective_from=date.fromisoformat(terms["effective_from"]),
                # Stored as the exact bytes the seals sign: read back, they are the same terms.
                terms=statement_bytes(terms).decode("utf-8"),
                seal_signatures="{}",
                drafted_by=drafted_by,
                drafted_at=drafted_at,
            )
        )

    def save_version(self, version: Version) -> None:
        """A version's status, signatures and when it was sealed or withdrawn (never its terms,
        which no one rewrites)."""
        v = agreement_versions
        self.connection.execute(
            update(v)
            .where(v.c.agreement_id == version.agreement_id, v.c.version == version.version)
            .values(
                status=version.status,
                seal_signatures=json.dumps(version.seal_signatures, sort_keys=True),
                sealed_at=version.sealed_at,
                withdrawn_by=version.withdrawn_by,
                withdrawn_at=version.withdrawn_at,
            )
        )

    def sealed_versions(self, after: tuple | None, limit: int) -> list[Version]:
        """Sealed versions of every agreement in (agreement_id, version) order, after the key
        `after` (a page of the resync source)."""
        v = agreement_versions
        query = select(v).where(v.c.status == SEALED)
        if after is not None:
            agreement_id, number = after
            query = query.where(
                (v.c.agreement_id > agreement_id)
                | ((v.c.agreement_id == agreement_id) & (v.c.version > number))
            )
        rows = self.connection.execute(query.order_by(v.c.agreement_id, v.c.version).limit(limit))
        return [_version(row) for row in rows]
