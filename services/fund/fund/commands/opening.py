"""A joint account's life: prepared between two parties, opened by both seals, re-sealed after a
party's seal changed, closed once the principal is back."""

from __future__ import annotations

import uuid
from dataclasses import replace

from fund.audit_trail import audit
from fund.commands import locked_books
from fund.domain import accounts as a
from fund.exceptions import ReturnBlocked, SealSignatureRejected, TermsRejected
from fund.queries import changed_seals, effective_seals, find_account
from fund.schemas import new_event
from sanbao_common import seals
from sanbao_common.context import Caller
from sanbao_common.crypto import load_public_key, signature_valid, statement_bytes
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events


def prepare_account(
    uow: UnitOfWork, caller: Caller, terms: dict, registrar_keys: dict
) -> a.JointAccount:
    """Terms between the county cooperative and an HR company, naming their confirmed seals;
    refused at once if either has none in effect (docs/decisions/0009)."""
    books = locked_books(uow)
    county_seal = books.effective_seal(terms["county_org_id"])
    hr_seal = books.effective_seal(terms["hr_org_id"])
    account = a.JointAccount(
        account_id=str(uuid.uuid4()),
        agreement_ref=terms["agreement_ref"],
        county=caller.county,
        county_org_id=terms["county_org_id"],
        hr_org_id=terms["hr_org_id"],
        principal_fen=terms["principal_fen"],
        term_start=terms["term_start"],
        term_end=terms["term_end"],
        county_seal=terms.get("county_seal") or (county_seal.fingerprint if county_seal else ""),
        hr_seal=terms.get("hr_seal") or (hr_seal.fingerprint if hr_seal else ""),
        status=a.PREPARED,
    )
    seals.check_party_seals(
        account.terms(), effective_seals(books, account), caller.county, registrar_keys
    )
    a.check_terms(account)
    books.add_account(account)
    audit(books, caller, "prepare_joint_account", account.account_id, account.terms())
    return account


def seal_account(
    uow: UnitOfWork,
    caller: Caller,
    account_id: str,
    org_id: str,
    public_key: str,
    signature: str,
    registrar_keys: dict,
) -> a.JointAccount:
    """One party's seal signs the terms; the second signature opens the account, under the
    kit's one rule for joint accounts (`sanbao_common.seals.check_joint_account_seals`)."""
    books = locked_books(uow)
    account = find_account(books, account_id)
    effective = effective_seals(books, account)
    seals.check_party_seals(account.terms(), effective, caller.county, registrar_keys)
    sealed = a.add_seal_signature(account, org_id, public_key, signature)
    if sealed.status == a.OPEN:
        seals.check_joint_account_seals(
            sealed.terms(), effective, sealed.seal_signatures, caller.county, registrar_keys
        )
    books.save_account(sealed)
    audit(
        books,
        caller,
        "seal_joint_account",
        account_id,
        {
            "org_id": org_id,
            "public_key": public_key,
            "signature": signature,
            "status": sealed.status,
        },
    )
    if sealed.status == a.OPEN:
        write_events(
            uow,
            [
                new_event(
                    "joint_account_opened",
                    caller,
                    dict(sealed.terms(), seal_signatures=sealed.seal_signatures),
                    account_id,
                    sealed.version,
                )
            ],
        )
    return sealed


def reseal_account(
    uow: UnitOfWork,
    caller: Caller,
    account_id: str,
    org_id: str,
    signature: str,
    registrar_keys: dict,
) -> a.JointAccount:
    """After a party's seal changed, both parties' current seals sign the terms again (the next
    amendment, naming the current seals); with both, outflows resume."""
    books = locked_books(uow)
    account = find_account(books, account_id)
    a.check_open(account)
    if not changed_seals(books, account):
        raise TermsRejected(
            message_en="both parties' seals are the ones the terms name: nothing to re-seal",
            message_zh="双方印鉴均与条款一致，无需重新用印",
        )
    a.check_party(account, org_id)
    effective = effective_seals(books, account)
    county_seal, hr_seal = (effective.get(org) for org in account.parties)
    if county_seal is None or hr_seal is None:
        raise seals.SealNotEffective(
            message_en="both parties need a confirmed seal in effect before re-sealing",
            message_zh="双方均须有经确认的有效印鉴方可重新用印",
        )
    amended = account.resealed(county_seal.fingerprint, hr_seal.fingerprint)
    terms = amended.terms()
    seals.check_party_seals(terms, effective, caller.county, registrar_keys)
    reseal = account.reseal or {}
    if reseal.get("terms") != terms:
        reseal = {"terms": terms, "seal_signatures": {}}
    if not signature_valid(
        load_public_key(effective[org_id].public_key), statement_bytes(terms), signature
    ):
        raise SealSignatureRejected(expected=effective[org_id].fingerprint)
    reseal = {
        "terms": terms,
        "seal_signatures": dict(reseal["seal_signatures"], **{org_id: signature}),
    }
    resealed = replace(account, reseal=reseal, version=account.version + 1)
    events = []
    if set(reseal["seal_signatures"]) == set(account.parties):
        seals.check_joint_account_seals(
            terms, effective, reseal["seal_signatures"], caller.county, registrar_keys
        )
        resealed = replace(
            amended,
            seal_keys={org: effective[org].public_key for org in account.parties},
            seal_signatures=reseal["seal_signatures"],
            reseal=None,
            version=account.version + 1,
        )
        events.append(
            new_event(
                "joint_account_resealed",
                caller,
                dict(resealed.terms(), seal_signatures=resealed.seal_signatures),
                account_id,
                resealed.version,
            )
        )
    books.save_account(resealed)
    audit(
        books,
        caller,
        "reseal_joint_account",
        account_id,
        {"org_id": org_id, "terms": terms, "signature": signature, "done": bool(events)},
    )
    write_events(uow, events)
    return resealed


def close_account(uow: UnitOfWork, caller: Caller, account_id: str) -> a.JointAccount:
    books = locked_books(uow)
    account = find_account(books, account_id)
    a.check_open(account)
    totals = books.balances(account_id)
    if totals.get("principal_returned", 0) != account.principal_fen:
        raise ReturnBlocked(
            message_en="the principal has not been returned", message_zh="本金尚未返还"
        )
    if any(books.proposals(account_id, account.county, a.PENDING)):
        raise TermsRejected(
            message_en="proposals are still pending", message_zh="仍有待签批的付款申请"
        )
    closed = replace(account, status=a.CLOSED, version=account.version + 1)
    books.save_account(closed)
    audit(books, caller, "close_joint_account", account_id, {"balances_fen": totals})
    write_events(
        uow,
        [
            new_event(
                "joint_account_closed",
                caller,
                dict(closed.terms(), status=closed.status, balances_fen=totals),
                account_id,
                closed.version,
            )
        ],
    )
    return closed
