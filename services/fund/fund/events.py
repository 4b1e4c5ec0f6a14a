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
from sanbao_common.context import Caller, on_behalf_of
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events
from sanbao_common.seal_book import apply_seal_event

log = logging.getLogger(__name__)


def _acting_on(event, county: str) -> Caller:
    """The fund acting because of an event: as itself, on behalf of the event's actor, within
    the request the event belongs to (what its audit records and events say)."""
    return on_behalf_of("fund", county, event.actor, event.correlation_id)


def apply_seals(uow: UnitOfWork, events, county: str, registrar_keys: dict) -> None:
    """Seals confirmed or revoked in the directory, each verified here against the pinned
    registrar keys rather than taken on registry's word, by the kit's one rule for keeping seals
    (`sanbao_common.seal_book.apply_seal_event`: a seal's state only moves forward, a
    confirmation that does not verify or would displace the effective seal without naming it
    changes nothing). A seal no longer in effect freezes the accounts whose terms name it."""
    books = Books(uow.connection)
    books.lock()
    for event in events:
        payload = event.payload if isinstance(event.payload, dict) else {}
        applied = apply_seal_event(books, event.type, payload, county, registrar_keys)
        if applied is not True:
            log.warning(
                "%s of seal %s ignored: %s", event.type, payload.get("fingerprint"), applied
            )
            continue
        detail = {k: payload.get(k) for k in ("org_id", "fingerprint", "confirmation")}
        detail["revocation"] = payload.get("revocation")
        audit(books, _acting_on(event, county), event.type, None, detail)


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
