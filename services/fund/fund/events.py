"""What the fund does with registry's events: seals confirmed or revoked, signatories' keys
enrolled or revoked. Each applies inside the consumer's unit of work, acting as the fund on
behalf of the event's actor."""

from __future__ import annotations

import logging
from dataclasses import replace

from fund.adapters.repository import Books
from fund.audit_trail import audit
from fund.queries import find_account, now
from fund.schemas import new_event, proposal_payload
from sanbao_common import seals
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events

log = logging.getLogger(__name__)


def _acting_on(event, county: str) -> Caller:
    """The fund acting because of an event: as itself, on behalf of the event's actor, within
    the request the event belongs to (what its audit records and events say)."""
    return Caller(county, f"system:fund for {event.actor}", event.correlation_id)


def apply_seals(uow: UnitOfWork, events, county: str, registrar_keys: dict) -> None:
    """Seals confirmed or revoked in the directory, each verified here against the pinned
    registrar keys rather than taken on registry's word. A seal's state only moves forward
    (confirmed, then revoked), whatever order the events arrive in or however often one is
    replayed; a confirmation that does not verify, or that would displace the organisation's
    effective seal without naming it in `replaces`, changes nothing. A seal no longer in effect
    freezes the accounts whose terms name it."""
    books = Books(uow.connection)
    books.lock()
    for event in events:
        payload = event.payload
        caller = _acting_on(event, county)
        try:
            if event.type == "seal_confirmed":
                applied = _apply_confirmation(books, payload, county, registrar_keys)
            else:
                applied = _apply_revocation(books, payload, county, registrar_keys)
        except (seals.SealNotEffective, seals.RegistrarSignatureRejected, KeyError) as exc:
            applied = str(exc)
        if applied is not True:
            log.warning(
                "%s of seal %s ignored: %s", event.type, payload.get("fingerprint"), applied
            )
            continue
        detail = {k: payload.get(k) for k in ("org_id", "fingerprint", "confirmation")}
        detail["revocation"] = payload.get("revocation")
        audit(books, caller, event.type, None, detail)


def _apply_confirmation(books: Books, payload: dict, county: str, registrar_keys: dict):
    record = seals.SealRecord(
        payload["org_id"],
        payload["org_kind"],
        payload["fingerprint"],
        payload["public_key"],
        payload["confirmation"],
        payload["confirmation_signature"],
    )
    seals.check_confirmation(record, county, registrar_keys)
    known = books.seal(record.fingerprint)
    if known is not None and known.revoked:
        return "the seal was revoked or replaced: a confirmation cannot bring it back"
    if known is not None:
        return "already in effect"
    current = books.effective_seal(record.org_id)
    replaces = record.confirmation["replaces"]
    if current is not None and current.fingerprint != replaces:
        return f"it does not replace the effective seal {current.fingerprint}"
    if replaces:
        books.revoke_seal(
            replaces,
            record.org_id,
            {"replaced_by": record.fingerprint, "confirmation": record.confirmation},
            record.confirmation_signature,
        )
    books.confirm_seal(record)
    return True


def _apply_revocation(books: Books, payload: dict, county: str, registrar_keys: dict):
    revocation = payload["revocation"]
    seals.check_revocation(revocation, payload["revocation_signature"], county, registrar_keys)
    known = books.seal(revocation["fingerprint"])
    if known is not None and known.org_id != revocation["organisation_id"]:
        return "the revocation names another organisation than the seal's"
    if known is not None and known.revoked:
        return "already revoked"
    books.revoke_seal(
        revocation["fingerprint"],
        revocation["organisation_id"],
        revocation,
        payload["revocation_signature"],
    )
    return True


def apply_signing_keys(uow: UnitOfWork, events) -> None:
    """Signatories' keys as registry enrols and revokes them (each certificate is checked where
    a signature relies on it)."""
    books = Books(uow.connection)
    for event in events:
        payload = event.payload
        if event.type == "signing_key_enrolled":
            books.save_signatory(
                payload["fingerprint"],
                payload["org_id"],
                payload["user_id"],
                payload["public_key"],
                payload.get("limit_fen"),
                payload["certificate"],
                payload["seal_signature"],
                payload.get("seal_fingerprint"),
            )
        else:
            books.lock()  # the drops below append to the audit chain
            books.revoke_signatory(payload["fingerprint"], now(), payload)
            _drop_signatures(uow, books, event, payload["fingerprint"])


def _drop_signatures(uow: UnitOfWork, books: Books, event, key_fingerprint: str) -> None:
    """A revoked key's signatures stop counting on every proposal not yet paid: they are taken
    off (audited and announced), so that organisation signs again with a key still valid."""
    for proposal in books.pending_signed_with(key_fingerprint):
        account = find_account(books, proposal.account_id)
        caller = _acting_on(event, account.county)
        kept = tuple(s for s in proposal.signatures if s[2] != key_fingerprint)
        dropped = replace(proposal, signatures=kept, version=proposal.version + 1)
        books.save_proposal(dropped, new=False)
        audit(
            books,
            caller,
            "signature_dropped",
            account.account_id,
            {
                "proposal_id": proposal.proposal_id,
                "key": key_fingerprint,
                "reason": "the signing key was revoked",
            },
        )
        write_events(
            uow,
            [
                new_event(
                    "outflow_signature_dropped",
                    caller,
                    dict(
                        proposal_payload(account, dropped),
                        key=key_fingerprint,
                        reason="the signing key was revoked",
                    ),
                    proposal.proposal_id,
                    dropped.version,
                )
            ],
        )
