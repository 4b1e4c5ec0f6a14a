"""A service's own verified copies of organisations' seals, kept from registry's `seal_confirmed`
and `seal_revoked` events: the one way every service relying on seals (the fund, dispatch) keeps
them, so that each checks every seal against the pinned registrar keys itself
(`sanbao_common.seals`) instead of taking registry's word for it.

- `seals_table(metadata)`: the table (each service its own, in its own database).
- `SealBook(connection, table)`: read and write it.
- `apply_seal_event(book, type, payload, county, registrar_keys)`: one event applied, or the reason
  it changed nothing. A seal's state only moves forward (confirmed, then revoked), whatever order
  the events arrive in or however often one is replayed; a confirmation that does not verify, or
  that would displace the organisation's effective seal without naming it in `replaces`, changes
  nothing; a revocation not signed by a pinned registrar key changes nothing.

`book` is anything with `seal`, `effective_seal`, `confirm_seal` and `revoke_seal` as `SealBook`
has them (the fund's `Books` keeps them on its own table this way).
"""

from __future__ import annotations

import json

from sqlalchemy import Column, String, Table, Text, insert, select, update

from sanbao_common import seals
from sanbao_common.seals import SealRecord

EFFECTIVE, REVOKED = "effective", "revoked"


def seals_table(metadata, name: str = "seals") -> Table:
    """The seals a service relies on, each with its registrar's confirmation (and revocation)."""
    return Table(
        name,
        metadata,
        Column("fingerprint", String(80), primary_key=True),
        Column("org_id", String(36), nullable=False, index=True),
        Column("org_kind", String(20), nullable=False),
        Column("public_key", String(64), nullable=False),
        Column("status", String(10), nullable=False),
        Column("confirmation", Text, nullable=False),
        Column("confirmation_signature", String(100), nullable=False),
        Column("revocation", Text),
        Column("revocation_signature", String(100)),
    )


def _json(value: dict) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class SealBook:
    """One service's seal table, on the connection of the unit of work it is used in."""

    def __init__(self, connection, table: Table):
        self.connection, self.table = connection, table

    def confirm_seal(self, seal: SealRecord) -> None:
        """Keep a confirmed seal as its organisation's effective one. The caller has checked
        that it is not revoked and that it replaces the organisation's current one, if any."""
        values = {
            "org_id": seal.org_id,
            "org_kind": seal.org_kind,
            "public_key": seal.public_key,
            "status": EFFECTIVE,
            "confirmation": _json(seal.confirmation),
            "confirmation_signature": seal.confirmation_signature,
        }
        t = self.table
        if self.seal(seal.fingerprint) is None:
            self.connection.execute(insert(t).values(fingerprint=seal.fingerprint, **values))
        else:
            self.connection.execute(
                update(t).where(t.c.fingerprint == seal.fingerprint).values(**values)
            )

    def revoke_seal(
        self, fingerprint: str, org_id: str, revocation: dict, signature: str | None
    ) -> None:
        """Revoked for good: a seal not seen yet is kept as revoked, so that its confirmation,
        arriving later or replayed, can never make it effective."""
        values = {
            "status": REVOKED,
            "revocation": _json(revocation),
            "revocation_signature": signature,
        }
        t = self.table
        if self.seal(fingerprint) is None:
            self.connection.execute(
                insert(t).values(
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
                update(t).where(t.c.fingerprint == fingerprint).values(**values)
            )

    def seal(self, fingerprint: str) -> SealRecord | None:
        t = self.table
        row = self.connection.execute(select(t).where(t.c.fingerprint == fingerprint)).first()
        return None if row is None else seal_of_row(row)

    def effective_seal(self, org_id: str) -> SealRecord | None:
        t = self.table
        row = self.connection.execute(
            select(t).where(t.c.org_id == org_id, t.c.status == EFFECTIVE)
        ).first()
        return None if row is None else seal_of_row(row)

    def effective_seals(self, org_ids) -> dict[str, SealRecord]:
        """{org id: its effective seal} for those of `org_ids` that have one."""
        t = self.table
        rows = self.connection.execute(
            select(t).where(t.c.org_id.in_(sorted(set(org_ids))), t.c.status == EFFECTIVE)
        )
        return {row.org_id: seal_of_row(row) for row in rows}


def seal_of_row(row) -> SealRecord:
    return SealRecord(
        org_id=row.org_id,
        org_kind=row.org_kind,
        fingerprint=row.fingerprint,
        public_key=row.public_key,
        confirmation=json.loads(row.confirmation),
        confirmation_signature=row.confirmation_signature,
        revoked=row.status != EFFECTIVE,
    )


def apply_seal_event(book, event_type: str, payload: dict, county: str, registrar_keys: dict):
    """`seal_confirmed` or `seal_revoked` applied to `book`: True, or why it changed nothing
    (a text for the log). A payload that is not even the right shape is one of those reasons."""
    try:
        if event_type == "seal_confirmed":
            return _apply_confirmation(book, payload, county, registrar_keys)
        if event_type == "seal_revoked":
            return _apply_revocation(book, payload, county, registrar_keys)
        return f"not a seal event: {event_type}"
    except (seals.SealNotEffective, seals.RegistrarSignatureRejected) as exc:
        return str(exc)
    except (KeyError, TypeError, AttributeError) as exc:
        return f"the payload does not fit ({type(exc).__name__}: {exc})"


def _apply_confirmation(book, payload: dict, county: str, registrar_keys: dict):
    record = SealRecord(
        payload["org_id"],
        payload["org_kind"],
        payload["fingerprint"],
        payload["public_key"],
        payload["confirmation"],
        payload["confirmation_signature"],
    )
    seals.check_confirmation(record, county, registrar_keys)
    known = book.seal(record.fingerprint)
    if known is not None and known.revoked:
        return "the seal was revoked or replaced: a confirmation cannot bring it back"
    if known is not None:
        return "already in effect"
    current = book.effective_seal(record.org_id)
    replaces = record.confirmation["replaces"]
    if current is not None and current.fingerprint != replaces:
        return f"it does not replace the effective seal {current.fingerprint}"
    replaced = book.seal(replaces) if replaces else None
    if replaced is not None and replaced.org_id != record.org_id:
        return "it names another organisation's seal in `replaces`"
    if replaces:
        book.revoke_seal(
            replaces,
            record.org_id,
            {"replaced_by": record.fingerprint, "confirmation": record.confirmation},
            record.confirmation_signature,
        )
    book.confirm_seal(record)
    return True


def _apply_revocation(book, payload: dict, county: str, registrar_keys: dict):
    revocation = payload["revocation"]
    seals.check_revocation(revocation, payload["revocation_signature"], county, registrar_keys)
    known = book.seal(revocation["fingerprint"])
    if known is not None and known.org_id != revocation["organisation_id"]:
        return "the revocation names another organisation than the seal's"
    if known is not None and known.revoked:
        return "already revoked"
    book.revoke_seal(
        revocation["fingerprint"],
        revocation["organisation_id"],
        revocation,
        payload["revocation_signature"],
    )
    return True
