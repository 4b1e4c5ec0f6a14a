"""What the fund does with dispatch's `agreement_sealed`: opens the agreement's joint account, or
amends it, re-sealing it when the parties' seals changed.

The fund trusts nothing in the event but what the two seals signed: of the payload it takes only
`terms` and `seal_signatures`. The terms must have exactly the contract's fields, be this county's
cooperation agreement, and carry both parties' seal signatures over their canonical JSON, by the
seals the fund itself knows to be in effect (its own copies of registry's seal events, verified
against the pinned registrar keys; `sanbao_common.seals.check_joint_account_seals`).

- The first version the fund sees of an agreement opens its account (account id = agreement id),
  unless it is the paper agreement of an account the fund's retired sealing opened (same
  reference, parties, principal and term): that account becomes the agreement's.
- A later version changes no fixed field; naming other seals than the account's, it re-seals the
  account (outflows resume: `joint_account_resealed`), else it amends it
  (`joint_account_amended`). An older or equal version changes nothing: redelivered, replayed or
  re-sent, it is ignored.
- An agreement naming a seal the fund has not heard of yet waits (held: registry's seal events
  come on queues of their own) and is tried again whenever a seal event is applied. Anything else
  that fails is refused: logged, and kept in the audit chain with its reason. Neither is ever
  retried by the broker nor parked in a dead-letter queue; a refused agreement takes effect by a
  new version sealed correctly (or `sanbao events resync fund` once the seals are known).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from fund.adapters.joint_accounts import SealedAgreement
from fund.adapters.repository import Books
from fund.audit_trail import audit
from fund.domain import accounts as a
from fund.domain import agreements as terms_of
from fund.exceptions import AgreementRefused, SealSignatureRejected
from fund.queries import now
from fund.schemas import account_payload, new_event
from sanbao_common import seals
from sanbao_common.context import Caller, on_behalf_of
from sanbao_common.crypto import load_public_key, signature_valid, statement_bytes
from sanbao_common.db import UnitOfWork
from sanbao_common.errors import DomainError
from sanbao_common.messaging.outbox import write_events

log = logging.getLogger(__name__)

OPENED, TAKEN, RESEALED, AMENDED = "opened", "taken", "resealed", "amended"
IGNORED, WAITING, REFUSED = "ignored", "waiting", "refused"


@dataclass(frozen=True)
class Outcome:
    """What became of one sealed agreement; `error` says why it waits or was refused."""

    result: str
    agreement_id: str | None = None
    version: int | None = None
    account_id: str | None = None
    error: DomainError | None = None

    @property
    def reason(self) -> str | None:
        return None if self.error is None else str(self.error)


def apply_agreements(uow: UnitOfWork, events, county: str, registrar_keys: dict) -> list:
    """The consumer's batch of `agreement_sealed`, each applied on its own."""
    books = Books(uow.connection)
    books.lock()
    outcomes = []
    for event in events:
        payload = event.payload if isinstance(event.payload, dict) else {}
        sealed = SealedAgreement(
            agreement_id="",
            version=0,
            terms=payload.get("terms"),
            seal_signatures=payload.get("seal_signatures"),
            actor=event.actor,
            correlation_id=event.correlation_id,
            event_id=str(event.event_id),
            reason="",
        )
        outcomes.append(_settle(uow, books, sealed, county, registrar_keys))
    return outcomes


def retry_held(uow: UnitOfWork, county: str, registrar_keys: dict) -> list:
    """The agreements waiting for seals, tried again (after a seal event was applied)."""
    books = Books(uow.connection)
    books.lock()
    outcomes = []
    for held in books.held_agreements():
        # Each in a savepoint: whatever a held agreement carries, trying it again must never
        # fail the seal event that prompted it (the seal would then never reach the fund).
        try:
            with uow.connection.begin_nested():
                outcome = _settle(uow, books, held, county, registrar_keys, held=True)
                if outcome.result != WAITING:
                    books.drop_held_agreement(held.agreement_id, held.version)
        except Exception:
            log.exception(
                "agreement %s version %s stays held: trying it again failed",
                held.agreement_id,
                held.version,
            )
            continue
        outcomes.append(outcome)
    return outcomes


def _settle(
    uow: UnitOfWork,
    books: Books,
    sealed: SealedAgreement,
    county: str,
    registrar_keys: dict,
    held: bool = False,
) -> Outcome:
    caller = on_behalf_of("fund", county, sealed.actor, sealed.correlation_id)
    outcome = _apply(uow, books, caller, sealed, county, registrar_keys)
    agreement = f"agreement {outcome.agreement_id} version {outcome.version}"
    if outcome.result == WAITING and not held:
        waiting = replace(
            sealed,
            agreement_id=outcome.agreement_id,
            version=outcome.version,
            reason=outcome.reason,
        )
        books.hold_agreement(waiting, now())
        log.warning("%s waits for a seal the fund does not know yet: %s", agreement, outcome.reason)
    elif outcome.result == REFUSED:
        log.warning("%s refused: %s", agreement, outcome.reason)
        detail = {
            "agreement_id": outcome.agreement_id,
            "version": outcome.version,
            "event_id": sealed.event_id,
            "code": outcome.error.code,
            "reason": outcome.error.message_en,
            "details": {k: str(v)[:200] for k, v in outcome.error.details.items()},
        }
        audit(books, caller, "refuse_agreement", outcome.account_id, detail)
    elif outcome.result == IGNORED:
        log.info("%s ignored: %s", agreement, outcome.reason)
    elif outcome.result != WAITING:
        books.drop_held_agreement(outcome.agreement_id, outcome.version)
    return outcome


def _apply(uow, books: Books, caller: Caller, sealed, county: str, registrar_keys: dict):
    terms = sealed.terms
    named = terms.get("agreement_id") if isinstance(terms, dict) else None
    named = named if isinstance(named, str) and len(named) <= 36 else None
    try:
        terms, signatures = terms_of.read_sealed(terms, sealed.seal_signatures, county)
    except DomainError as exc:
        return Outcome(REFUSED, named, error=exc)
    agreement_id, version = terms["agreement_id"], terms["version"]
    account = books.account_of_agreement(agreement_id)
    at = {"agreement_id": agreement_id, "version": version}
    if account is not None and version <= account.agreement_version:
        return Outcome(IGNORED, **at, account_id=account.account_id, error=_already(account))
    if account is None:
        account = _before_agreements(books, terms)
    else:
        try:
            terms_of.check_amendment(account, terms)
        except DomainError as exc:
            return Outcome(REFUSED, **at, account_id=account.account_id, error=exc)
    try:
        effective = _sealed_by(books, terms, signatures, county, registrar_keys)
    except DomainError as exc:
        # A seal the fund has not heard of may yet be confirmed: the agreement waits for it.
        named_seals = (terms[f"{party}_seal"] for party in terms_of.PARTY_FIELDS)
        unknown = any(books.seal(fingerprint) is None for fingerprint in named_seals)
        result = WAITING if unknown else REFUSED
        return Outcome(result, **at, account_id=account and account.account_id, error=exc)
    keys = {org: seal.public_key for org, seal in effective.items()}
    if account is None:
        try:
            opened = terms_of.account_from(terms, county, keys, signatures)
        except DomainError as exc:
            return Outcome(REFUSED, **at, error=exc)
        books.add_account(opened)
        _record(
            uow, books, caller, sealed, "open_joint_account", opened, event="joint_account_opened"
        )
        return Outcome(OPENED, **at, account_id=opened.account_id)
    if account.agreement_id is None:
        changed = terms_of.taken_by_agreement(account, terms, keys, signatures)
        result, command = TAKEN, "take_joint_account"
    else:
        changed = terms_of.amended(account, terms, keys, signatures)
        result, command = AMENDED, "amend_joint_account"
    try:
        a.check_terms(changed)
    except DomainError as exc:
        return Outcome(REFUSED, **at, account_id=account.account_id, error=exc)
    books.save_account(changed)
    if (changed.county_seal, changed.hr_seal) != (account.county_seal, account.hr_seal):
        _record(uow, books, caller, sealed, command, changed, event="joint_account_resealed")
        return Outcome(
            RESEALED if result == AMENDED else result, **at, account_id=account.account_id
        )
    _record(uow, books, caller, sealed, command, changed, event="joint_account_amended")
    return Outcome(result, **at, account_id=account.account_id)


def _already(account: a.JointAccount) -> DomainError:
    return AgreementRefused(
        message_en="the account already has this version of the agreement or a later one",
        message_zh="该账户已适用此版本或更新版本的协议",
        in_force=account.agreement_version,
    )


def _before_agreements(books: Books, terms: dict) -> a.JointAccount | None:
    """The open account the fund's retired sealing opened for this paper agreement, if any."""
    found = [
        account
        for account in books.accounts_before_agreements()
        if terms_of.matches_before_agreements(account, terms)
    ]
    return found[0] if len(found) == 1 else None


def _sealed_by(books: Books, terms: dict, signatures: dict, county: str, registrar_keys: dict):
    """The parties' seals in effect as the fund knows them, each of the kind its party must be,
    named by the terms and signing them exactly (the kit's joint account rule, after a check of
    each signature that names the party whose signature does not hold)."""
    parties = [terms[party] for party in terms_of.PARTY_FIELDS]
    effective = {org: books.effective_seal(org) for org in parties}
    effective = {org: seal for org, seal in effective.items() if seal is not None}
    seals.check_party_seals(terms, effective, county, registrar_keys)
    message = statement_bytes(terms)
    for org in parties:
        seal = effective[org]
        if not signature_valid(load_public_key(seal.public_key), message, signatures[org]):
            raise SealSignatureRejected(
                message_en="the seal's signature over the exact terms is missing or wrong",
                message_zh="缺少印鉴对条款原文的签名或签名不符",
                org_id=org,
                expected=seal.fingerprint,
            )
    seals.check_joint_account_seals(terms, effective, signatures, county, registrar_keys)
    return effective


def _record(uow, books: Books, caller: Caller, sealed, command: str, account, event: str):
    """The account's change in the audit chain, and its event: the whole state, at the account's
    version."""
    audit(
        books,
        caller,
        command,
        account.account_id,
        {
            "agreement_id": account.agreement_id,
            "agreement_version": account.agreement_version,
            "event_id": sealed.event_id,
            "terms": account.terms(),
            "seal_signatures": account.seal_signatures,
        },
    )
    payload = account_payload(account)
    write_events(uow, [new_event(event, caller, payload, account.account_id, account.version)])
