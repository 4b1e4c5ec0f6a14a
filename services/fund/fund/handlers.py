"""The fund's use cases, each inside the unit of work it is given (the entrypoint commits).

Every command locks the books first, so commands apply one at a time whatever the number of
replicas and connections, and ends by appending itself to the audit chain, in the same
transaction as its journal entries: what happened and the record of it commit together."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

from fund.adapters.repository import Books
from fund.domain import accounts as a
from fund.domain import ledger
from fund.domain.audit import AuditRecord, chain_hash, first_break, journal_break
from fund.exceptions import (
    AccountNotFound,
    AdvanceRejected,
    BankReferenceUsed,
    InsufficientFunds,
    NotAParty,
    ProposalNotFound,
    ProposalRejected,
    ReturnBlocked,
    SealSignatureRejected,
    SignatureRejected,
    TermsRejected,
)
from sanbao_common import seals
from sanbao_common.access import Principal
from sanbao_common.checkpoints import checkpoint_statement
from sanbao_common.context import Caller
from sanbao_common.crypto import (
    load_public_key,
    public_key_text,
    sign,
    signature_valid,
    statement_bytes,
)
from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import new_envelope
from sanbao_common.errors import DomainError
from sanbao_common.messaging.outbox import write_events

SOURCE = "fund"
log = logging.getLogger(__name__)
INFLOWS = {
    # kind -> (debit, credit) of the entry a bank credit makes
    "principal_deposit": ("cash_principal", "principal_received"),
    "service_revenue": ("cash_income", "revenue_receivable"),
    "policy_subsidy": ("cash_income", "income_policy_subsidy"),
    "employer_subsidy": ("cash_income", "income_employer_subsidy"),
    "advance_recovery": ("cash_principal", "advances_outstanding"),
    "shortfall_deposit": ("cash_principal", "shortfall_receivable"),
}
EXPENSE_KINDS = ("transport", "medical_exam", "training", "meals", "other")


def _now() -> datetime:
    return datetime.now(UTC)


def _native(value):
    """JSON-native (what the audit hash is computed over, and what is stored)."""
    return json.loads(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))


def audit(
    books: Books, caller: Caller, command: str, account_id: str | None, detail: dict
) -> AuditRecord:
    if books.posted:  # the entries this command posted, bound into its record (verify compares)
        detail = dict(detail, journal=books.posted)
        books.posted = []
    seq, head = books.chain_head()
    record = AuditRecord(
        seq + 1, _now().isoformat(), caller.actor, command, account_id, _native(detail), head
    )
    record = replace(record, hash=chain_hash(record))
    books.append_audit(record)
    return record


def _event(type_: str, caller: Caller, payload: dict, record_id: str, version: int | None) -> dict:
    return new_envelope(
        type_,
        source=SOURCE,
        county=caller.county,
        payload=_native(payload),
        actor=caller.actor,
        correlation_id=caller.correlation_id,
        record_id=record_id,
        version=version,
    )


def _account(books: Books, account_id: str) -> a.JointAccount:
    account = books.account(account_id)
    if account is None:
        raise AccountNotFound(account_id=account_id)
    return account


def _party(account: a.JointAccount, principal: Principal) -> None:
    if principal.organisation_id not in account.parties:
        raise NotAParty(org_id=principal.organisation_id)


def account_view(books: Books, account: a.JointAccount, now: datetime | None = None) -> dict:
    """The account with its balances and, on the record itself, what is waiting on it."""
    now = now or _now()
    totals = books.balances(account.account_id)
    reserved = books.reserved(account.account_id, now)
    pending = books.proposals(account.account_id, account.county, a.PENDING)
    frozen_for = changed_seals(books, account)
    return {
        **account.terms(),
        "status": account.status,
        "version": account.version,
        "seals_signed": sorted(account.seal_signatures),
        "seals_waiting_for": [o for o in account.parties if o not in account.seal_signatures],
        # Parties whose seal changed since the terms were sealed: outflows wait for re-sealing,
        # both parties' current seals signing `reseal_terms` (`reseal_signed_by` so far).
        "frozen_for": frozen_for,
        "reseal_terms": _reseal_terms(books, account, frozen_for),
        "reseal_signed_by": sorted((account.reseal or {}).get("seal_signatures", {})),
        "balances_fen": totals,
        "available_fen": {
            cash: totals.get(cash, 0) - reserved.get(cash, 0)
            for cash in ("cash_principal", "cash_income")
        },
        "reserved_fen": reserved,
        "pending_outflows": [
            {
                "proposal_id": p.proposal_id,
                "kind": p.kind,
                "amount_fen": p.amount_fen,
                "expires_at": p.expires_at.isoformat(),
                "signed_by": sorted(p.signed_by()),
                "waiting_for": p.waiting_for(account),
            }
            for p in pending
            if p.expires_at > now
        ],
    }


# -- opening ------------------------------------------------------------------------------------


def _effective_seals(books: Books, account: a.JointAccount) -> dict:
    """org id -> the seal the fund knows to be in effect for it (from registry's events)."""
    found = {org: books.effective_seal(org) for org in account.parties}
    return {org: seal for org, seal in found.items() if seal is not None}


def _reseal_terms(books: Books, account: a.JointAccount, frozen_for: list[str]) -> dict | None:
    """The amended terms both parties' current seals sign to unfreeze the account, if any."""
    if account.status != a.OPEN or not frozen_for:
        return None
    effective = _effective_seals(books, account)
    if len(effective) < 2:
        return None
    county_org, hr_org = account.parties
    return account.resealed(
        effective[county_org].fingerprint, effective[hr_org].fingerprint
    ).terms()


def changed_seals(books: Books, account: a.JointAccount) -> list[str]:
    """The parties whose seal is no longer the one the account's terms name: revoked, or
    replaced by another the registrar confirmed."""
    changed = []
    for org in account.parties:
        named = books.seal(account.seal_of(org))
        effective = books.effective_seal(org)
        if (named is not None and named.revoked) or (
            effective is not None and effective.fingerprint != account.seal_of(org)
        ):
            changed.append(org)
    return changed


def prepare_account(
    uow: UnitOfWork, caller: Caller, terms: dict, registrar_keys: dict
) -> a.JointAccount:
    """Terms between the county cooperative and an HR company, naming their confirmed seals;
    refused at once if either has none in effect (docs/decisions/0009)."""
    books = Books(uow.connection)
    books.lock()
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
        account.terms(), _effective_seals(books, account), caller.county, registrar_keys
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
    books = Books(uow.connection)
    books.lock()
    account = _account(books, account_id)
    effective = _effective_seals(books, account)
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
                _event(
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
    books = Books(uow.connection)
    books.lock()
    account = _account(books, account_id)
    a.check_open(account)
    if not changed_seals(books, account):
        raise TermsRejected(
            message_en="both parties' seals are the ones the terms name: nothing to re-seal",
            message_zh="双方印鉴均与条款一致，无需重新用印",
        )
    if org_id not in account.parties:
        raise NotAParty(org_id=org_id)
    effective = _effective_seals(books, account)
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
            _event(
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


# -- money in -----------------------------------------------------------------------------------


def record_inflow(
    uow: UnitOfWork,
    caller: Caller,
    principal: Principal,
    account_id: str,
    kind: str,
    amount_fen: int,
    bank_ref: str,
    reference: str | None = None,
) -> dict:
    """One bank credit; see `record_inflows`."""
    inflow = {"kind": kind, "amount_fen": amount_fen, "bank_ref": bank_ref, "reference": reference}
    return record_inflows(uow, caller, principal, account_id, [inflow])[0]


def record_inflows(
    uow: UnitOfWork, caller: Caller, principal: Principal, account_id: str, inflows: list[dict]
) -> list[dict]:
    """Bank credits (one, or a bank statement's worth), each its own balanced entry, all or none.

    Each bank reference is recorded once per account, whichever side records it; service revenue
    first settles what is receivable; a recovery at most what is outstanding on its advance; the
    principal at most the agreement's; a shortfall deposit at most what is owed."""
    books = Books(uow.connection)
    books.lock()
    account = _account(books, account_id)
    a.check_open(account)
    _party(account, principal)
    refs = [inflow["bank_ref"] for inflow in inflows]
    used = books.used_bank_references(account_id, refs)
    if used or len(set(refs)) != len(refs):
        raise BankReferenceUsed(bank_ref=sorted(used)[0] if used else "repeated in the request")
    totals = books.balances(account_id)
    outstanding = books.outstanding_advances(account_id)
    claimed = books.reserved_claims(account_id, _now())
    details, entries = [], []
    for inflow in inflows:
        kind, amount_fen, reference = inflow["kind"], inflow["amount_fen"], inflow.get("reference")
        if kind not in INFLOWS or type(amount_fen) is not int or amount_fen <= 0:
            raise ProposalRejected(
                message_en="an inflow has a known kind and a positive amount",
                message_zh="入账须有已知类别和正数金额",
            )
        debit, credit = INFLOWS[kind]
        if kind == "service_revenue" and totals.get("revenue_receivable", 0) < amount_fen:
            credit = "income_service_revenue"  # more than was due (or nothing was): earned now
        if kind == "advance_recovery" and amount_fen > _unclaimed(outstanding, claimed, reference):
            raise AdvanceRejected(
                message_en="more than is outstanding on the advance beyond pending write-offs",
                message_zh="超过该垫支未核销且未被待签批核销占用的金额",
                outstanding_fen=outstanding.get(reference or "", 0),
                claimed_fen=claimed.get(reference or "", 0),
            )
        if kind == "principal_deposit" and (
            totals.get("principal_received", 0) - amount_fen < -account.principal_fen
        ):
            raise ProposalRejected(
                message_en="more principal than the agreement's", message_zh="存入本金超过协议约定"
            )
        if kind == "shortfall_deposit" and amount_fen > totals.get("shortfall_receivable", 0):
            raise ProposalRejected(
                message_en="more than the shortfall owed", message_zh="超过应补足金额"
            )
        entry = ledger.transfer(debit, credit, amount_fen, reference)
        for posting in entry:  # later credits in the same request see the earlier ones
            totals[posting.account] = totals.get(posting.account, 0) + posting.amount_fen
            if posting.account == "advances_outstanding":
                outstanding[posting.reference] = (
                    outstanding.get(posting.reference, 0) + posting.amount_fen
                )
        entry_id = str(uuid.uuid4())
        entries.append((entry_id, f"inflow:{kind}", entry, inflow["bank_ref"]))
        details.append(
            {
                "kind": kind,
                "amount_fen": amount_fen,
                "bank_ref": inflow["bank_ref"],
                "reference": reference,
                "entry_id": entry_id,
                "postings": [p.__dict__ for p in entry],
            }
        )
    books.add_bank_references(account_id, [(d["bank_ref"], d["entry_id"]) for d in details])
    books.post_many(account_id, entries, by=caller.actor)
    audit(books, caller, "record_inflows", account_id, {"inflows": details})
    write_events(
        uow,
        [
            _event("inflow_recorded", caller, dict(d, account_id=account_id), d["entry_id"], 1)
            for d in details
        ],
    )
    return details


def record_receivable(
    uow: UnitOfWork,
    caller: Caller,
    principal: Principal,
    account_id: str,
    period: str,
    amount_fen: int,
) -> dict:
    """Service revenue due from the HR company for a period: a claim, not yet cash."""
    books = Books(uow.connection)
    books.lock()
    account = _account(books, account_id)
    a.check_open(account)
    _party(account, principal)
    if type(amount_fen) is not int or amount_fen <= 0:
        raise ProposalRejected(message_en="a positive amount", message_zh="金额须为正数")
    entry_id = str(uuid.uuid4())
    entry = ledger.transfer("revenue_receivable", "income_service_revenue", amount_fen)
    books.post(account_id, entry_id, "receivable", entry, by=caller.actor, source=period)
    detail = {
        "period": period,
        "amount_fen": amount_fen,
        "entry_id": entry_id,
        "postings": [p.__dict__ for p in entry],
    }
    audit(books, caller, "record_receivable", account_id, detail)
    return detail


# -- money out ----------------------------------------------------------------------------------


def available(books: Books, account_id: str, cash_account: str, now: datetime) -> int:
    return books.balances(account_id).get(cash_account, 0) - books.reserved(account_id, now).get(
        cash_account, 0
    )


def _claims(lines) -> dict[str, int]:
    """What lines take of each advance, by reference."""
    claims: dict[str, int] = {}
    for line in lines:
        claims[line.reference or ""] = claims.get(line.reference or "", 0) + line.amount_fen
    return claims


def _unclaimed(outstanding: dict[str, int], claimed: dict[str, int], reference) -> int:
    """What is outstanding on an advance beyond what pending write-offs claim of it."""
    return outstanding.get(reference or "", 0) - claimed.get(reference or "", 0)


def propose_outflow(
    uow: UnitOfWork,
    caller: Caller,
    principal: Principal,
    account_id: str,
    kind: str,
    lines: list[a.Line],
    expires_at: datetime,
) -> a.Proposal:
    books = Books(uow.connection)
    books.lock()
    account = _account(books, account_id)
    a.check_not_frozen(account, changed_seals(books, account))
    now = _now()
    draws_on = a.OUTFLOW_KINDS.get(kind)
    if kind == "write_off":
        # A claim is given up once: pending write-offs already hold theirs.
        outstanding = books.outstanding_advances(account_id)
        claimed = books.reserved_claims(account_id, now)
        for reference, amount_fen in _claims(lines).items():
            if amount_fen > _unclaimed(outstanding, claimed, reference):
                raise AdvanceRejected(
                    message_en="more than is outstanding on the advance beyond pending write-offs",
                    message_zh="超过该垫支未核销且未被待签批核销占用的金额",
                    reference=reference,
                    outstanding_fen=outstanding.get(reference, 0),
                    claimed_fen=claimed.get(reference, 0),
                )
    if kind == "return_principal":
        _check_return(books, account, sum(line.amount_fen for line in lines))
    proposal = a.new_proposal(
        account,
        str(uuid.uuid4()),
        kind,
        lines,
        principal.user_id,
        principal.organisation_id,
        expires_at,
        now,
        available(books, account_id, draws_on, now) if draws_on else 0,
    )
    books.save_proposal(proposal, new=True)
    audit(
        books,
        caller,
        "propose_outflow",
        account_id,
        {"proposal": proposal.statement(), "proposed_by": principal.user_id},
    )
    write_events(
        uow,
        [
            _event(
                "outflow_proposed",
                caller,
                _proposal_payload(account, proposal),
                proposal.proposal_id,
                proposal.version,
            )
        ],
    )
    return proposal


def _check_return(books: Books, account: a.JointAccount, amount_fen: int) -> None:
    """The whole principal, in one payment, once nothing is owed to the fund any more."""
    totals = books.balances(account.account_id)
    if amount_fen != account.principal_fen:
        raise ReturnBlocked(
            message_en="the whole principal goes back in one payment",
            message_zh="本金须一次性全额返还",
            principal_fen=account.principal_fen,
        )
    if totals.get("advances_outstanding", 0):
        raise ReturnBlocked(
            message_en="advances are still outstanding: settle, recover or write them off",
            message_zh="尚有未核销垫支",
            outstanding_fen=totals["advances_outstanding"],
        )
    if totals.get("shortfall_receivable", 0):
        raise ReturnBlocked(
            message_en="the HR company has not yet deposited the shortfall",
            message_zh="人力资源服务企业尚未补足差额",
            shortfall_fen=totals["shortfall_receivable"],
        )


def _proposal_payload(account: a.JointAccount, proposal: a.Proposal) -> dict:
    return dict(
        proposal.statement(),
        status=proposal.status,
        proposed_by=proposal.proposed_by,
        signed_by=sorted(proposal.signed_by()),
        waiting_for=proposal.waiting_for(account),
        reason=proposal.reason,
    )


def _proposal(books: Books, proposal_id: str, county: str) -> a.Proposal:
    proposal = books.proposal(proposal_id, county)
    if proposal is None:
        raise ProposalNotFound(proposal_id=proposal_id)
    return proposal


def sign_outflow(
    uow: UnitOfWork,
    caller: Caller,
    principal: Principal,
    proposal_id: str,
    key_fingerprint: str,
    signature: str,
) -> a.Proposal:
    books = Books(uow.connection)
    books.lock()
    proposal = _proposal(books, proposal_id, caller.county)
    account = _account(books, proposal.account_id)
    a.check_not_frozen(account, changed_seals(books, account))
    found = books.signatory(key_fingerprint)
    signatory = None
    if found is not None:
        signatory, certificate, seal_signature = found
        if not signatory.revoked:  # a revoked key is refused as such by add_signature
            a.check_certificate(account, signatory, certificate, seal_signature)
    now = _now()
    signed = a.add_signature(account, proposal, principal.user_id, signatory, signature, now)
    events = [
        _event(
            "outflow_signed",
            caller,
            _proposal_payload(account, signed),
            proposal_id,
            signed.version,
        )
    ]
    entry_id = None
    if a.fully_signed(account, signed):
        _check_signatories_current(books, account, signed)
        entry_id, entry = _pay(books, account, signed, caller)
        signed = replace(signed, status=a.PAID, version=signed.version + 1)
        events.append(
            _event(
                "outflow_paid",
                caller,
                dict(
                    _proposal_payload(account, signed),
                    entry_id=entry_id,
                    postings=[p.__dict__ for p in entry],
                ),
                proposal_id,
                signed.version,
            )
        )
        if signed.kind == "return_principal":
            events.append(
                _event(
                    "fund_returned",
                    caller,
                    {
                        "account_id": account.account_id,
                        "amount_fen": signed.amount_fen,
                        "entry_id": entry_id,
                    },
                    account.account_id,
                    account.version,
                )
            )
    books.save_proposal(signed, entry_id, new=False)
    audit(
        books,
        caller,
        "sign_outflow",
        account.account_id,
        {
            "proposal_id": proposal_id,
            "key": key_fingerprint,
            "signature": signature,
            "signer": principal.user_id,
            "status": signed.status,
            "entry_id": entry_id,
        },
    )
    write_events(uow, events)
    return signed


def _check_signatories_current(books: Books, account: a.JointAccount, proposal: a.Proposal) -> None:
    """At payment, every signature on the proposal still counts: its key not revoked since it
    signed (revoking drops such signatures from pending proposals; this holds even for one that
    escaped that) and certified by the seal the account's terms name now (a re-sealing since may
    have replaced the seal that certified it)."""
    for _, _, key_fingerprint, _ in proposal.signatures:
        found = books.signatory(key_fingerprint)
        if found is None or found[0].revoked:
            raise SignatureRejected(
                message_en="a signature on the proposal is by a key revoked since it signed",
                message_zh="该付款申请上有签批所用密钥已被撤销",
                key=key_fingerprint,
            )
        a.check_certificate(account, *found)


def _charged_to_hr(amount_fen: int) -> list:
    """Principal spent is owed back by the HR company, which returns the whole fund at the end
    of the term: the books say so the moment it is spent."""
    return [
        ledger.Posting("shortfall_receivable", amount_fen),
        ledger.Posting("charged_to_hr", -amount_fen),
    ]


def payment_entry(proposal: a.Proposal) -> tuple[ledger.Posting, ...]:
    """The one balanced entry that pays a proposal: the same whether it is posted or checked."""
    postings: list[ledger.Posting] = []
    for line in proposal.lines:
        if proposal.kind == "advance":
            postings += [
                ledger.Posting("advances_outstanding", line.amount_fen, line.reference),
                ledger.Posting("cash_principal", -line.amount_fen),
            ]
        elif proposal.kind == "reimbursement":
            postings += [
                ledger.Posting("expenses", line.amount_fen),
                ledger.Posting("cash_principal", -line.amount_fen),
                *_charged_to_hr(line.amount_fen),
            ]
        elif proposal.kind == "distribution":
            postings += [
                ledger.Posting("distributions", line.amount_fen),
                ledger.Posting("cash_income", -line.amount_fen),
            ]
        elif proposal.kind == "return_principal":
            postings += [
                ledger.Posting("principal_returned", line.amount_fen),
                ledger.Posting("cash_principal", -line.amount_fen),
            ]
        elif proposal.kind == "write_off":
            # Giving up an advance moves no cash; the HR company owes the principal it consumed.
            postings += [
                ledger.Posting("write_offs", line.amount_fen),
                ledger.Posting("advances_outstanding", -line.amount_fen, line.reference),
                *_charged_to_hr(line.amount_fen),
            ]
    return ledger.entry(*postings)


def _pay(books: Books, account: a.JointAccount, proposal: a.Proposal, caller: Caller):
    """Post the payment, checking the cash where it is posted: never below zero."""
    totals = books.balances(account.account_id)
    entry = payment_entry(proposal)
    if proposal.kind == "write_off":  # the claim is still there to give up, checked as it goes
        outstanding = books.outstanding_advances(account.account_id)
        for reference, amount_fen in _claims(proposal.lines).items():
            if amount_fen > outstanding.get(reference, 0):
                raise AdvanceRejected(
                    message_en="less is outstanding on the advance than the write-off gives up",
                    message_zh="该垫支未核销金额少于核销金额",
                    reference=reference,
                    outstanding_fen=outstanding.get(reference, 0),
                )
    if proposal.draws_on and totals.get(proposal.draws_on, 0) < proposal.amount_fen:
        raise InsufficientFunds(
            available_fen=totals.get(proposal.draws_on, 0), requested_fen=proposal.amount_fen
        )
    entry_id = str(uuid.uuid4())
    books.post(
        account.account_id,
        entry_id,
        f"outflow:{proposal.kind}",
        entry,
        by=caller.actor,
        source=proposal.proposal_id,
    )
    return entry_id, entry


def reject_outflow(
    uow: UnitOfWork, caller: Caller, principal: Principal, proposal_id: str, reason: str
) -> a.Proposal:
    books = Books(uow.connection)
    books.lock()
    proposal = _proposal(books, proposal_id, caller.county)
    account = _account(books, proposal.account_id)
    _party(account, principal)
    a.check_pending(proposal, _now())
    reason = " ".join(str(reason or "").split())
    if len(reason) < 2:
        raise ProposalRejected(message_en="a rejection says why", message_zh="驳回须说明理由")
    rejected = replace(proposal, status=a.REJECTED, reason=reason, version=proposal.version + 1)
    books.save_proposal(rejected, new=False)
    audit(
        books,
        caller,
        "reject_outflow",
        account.account_id,
        {"proposal_id": proposal_id, "reason": reason, "by": principal.user_id},
    )
    write_events(
        uow,
        [
            _event(
                "outflow_rejected",
                caller,
                _proposal_payload(account, rejected),
                proposal_id,
                rejected.version,
            )
        ],
    )
    return rejected


# -- advances -----------------------------------------------------------------------------------


def settle_advance(
    uow: UnitOfWork,
    caller: Caller,
    principal: Principal,
    account_id: str,
    reference: str,
    vouchers: list[dict],
) -> dict:
    """Vouchers turn (part of) an advance into expenses: reimbursement accounting (报账制)."""
    books = Books(uow.connection)
    books.lock()
    account = _account(books, account_id)
    a.check_open(account)
    _party(account, principal)
    outstanding = books.outstanding_advances(account_id).get(reference, 0)
    claimed = books.reserved_claims(account_id, _now()).get(reference, 0)
    total = sum(v["amount_fen"] for v in vouchers)
    if not vouchers or total <= 0 or total > outstanding - claimed:  # write-offs claimed theirs
        raise AdvanceRejected(outstanding_fen=outstanding, claimed_fen=claimed, vouchers_fen=total)
    numbers = [v["number"] for v in vouchers]
    if len(set(numbers)) != len(numbers) or any(books.voucher_used(account_id, n) for n in numbers):
        raise AdvanceRejected(
            message_en="a voucher is used once", message_zh="同一凭证只能使用一次"
        )
    entry_id = str(uuid.uuid4())
    entry = ledger.entry(
        ledger.Posting("expenses", total),
        ledger.Posting("advances_outstanding", -total, reference),
        *_charged_to_hr(total),
    )
    books.post(account_id, entry_id, "settlement", entry, by=caller.actor, source=reference)
    for v in vouchers:
        books.add_voucher(
            account_id,
            reference,
            v["number"],
            v["date"],
            v["amount_fen"],
            v["kind"],
            v.get("attachment_sha256"),
            entry_id,
        )
    detail = {
        "reference": reference,
        "vouchers": vouchers,
        "entry_id": entry_id,
        "settled_fen": total,
        "still_outstanding_fen": outstanding - total,
    }
    audit(books, caller, "settle_advance", account_id, detail)
    write_events(
        uow, [_event("advance_settled", caller, dict(detail, account_id=account_id), entry_id, 1)]
    )
    return _native(detail)


def aging(books: Books, account_id: str, today: date) -> list[dict]:
    paid_at = books.advance_paid_at(account_id)
    return sorted(
        (
            {
                "reference": ref,
                "outstanding_fen": amount,
                "days": (today - paid_at[ref].date()).days if ref in paid_at else None,
            }
            for ref, amount in books.outstanding_advances(account_id).items()
        ),
        key=lambda row: -(row["days"] or 0),
    )


def close_account(uow: UnitOfWork, caller: Caller, account_id: str) -> a.JointAccount:
    books = Books(uow.connection)
    books.lock()
    account = _account(books, account_id)
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
            _event(
                "joint_account_closed",
                caller,
                dict(closed.terms(), status=closed.status, balances_fen=totals),
                account_id,
                closed.version,
            )
        ],
    )
    return closed


def statement(books: Books, account: a.JointAccount, start: date, end: date) -> dict:
    """Entries dated start..end (Asia/Shanghai business days), with the balances around them."""
    from zoneinfo import ZoneInfo

    china = ZoneInfo("Asia/Shanghai")
    opening: dict[str, int] = {}
    closing: dict[str, int] = {}
    entries = []
    for entry in books.entries(account.account_id):
        day = entry["created_at"].astimezone(china).date()
        if day > end:
            continue
        target = opening if day < start else closing
        for posting in entry["postings"]:
            target[posting.account] = target.get(posting.account, 0) + posting.amount_fen
        if day >= start:
            entries.append(
                {
                    "date": day.isoformat(),
                    "entry_id": entry["entry_id"],
                    "kind": entry["kind"],
                    "source": entry["source"],
                    "by": entry["created_by"],
                    "postings": [p.__dict__ for p in entry["postings"]],
                }
            )
    for account_name, amount in opening.items():
        closing[account_name] = closing.get(account_name, 0) + amount
    last = books.last_checkpoint()
    return {
        "account": account.terms(),
        "status": account.status,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "opening_fen": opening,
        "closing_fen": closing,
        "entries": entries,
        "checkpoint": None
        if last is None
        else {"seq": last.seq, "hash": last.hash, "at": last.at, "signature": last.signature},
    }


# -- checkpoints of the audit chain --------------------------------------------------------------


def gauge_figures(books: Books, now: datetime | None = None) -> dict:
    """What the fund's metrics show: per open account its available cash, advances outstanding
    and the proposals waiting for signatures; and how far the audit chain has run past its last
    signed checkpoint."""
    now = now or _now()
    accounts = []
    for account in books.accounts():
        if account.status != a.OPEN:
            continue
        view = account_view(books, account, now)
        waiting = view["pending_outflows"]
        accounts.append(
            {
                "account_id": account.account_id,
                "agreement_ref": account.agreement_ref,
                "available_fen": view["available_fen"],
                "advances_outstanding_fen": view["balances_fen"].get("advances_outstanding", 0),
                "pending_outflows": len(waiting),
                "frozen_for": view["frozen_for"],
                "next_expiry_seconds": min(
                    (
                        (datetime.fromisoformat(p["expires_at"]) - now).total_seconds()
                        for p in waiting
                    ),
                    default=None,
                ),
            }
        )
    seq, _ = books.chain_head()
    last = books.last_checkpoint()
    return {
        "accounts": accounts,
        "records_since_checkpoint": seq - (last.seq if last is not None else 0),
        "checkpoint_age_seconds": (
            (now - datetime.fromisoformat(last.at)).total_seconds() if last is not None else None
        ),
    }


def take_checkpoint(uow: UnitOfWork, caller: Caller, signing_key) -> dict | None:
    """Sign the chain's head and send it out (an event the county's witness keeps), unless the
    head has not moved since the last checkpoint."""
    books = Books(uow.connection)
    seq, head = books.chain_head()
    last = books.last_checkpoint()
    if seq == 0 or (last is not None and last.seq >= seq):
        return None
    at = _now().isoformat()
    statement = checkpoint_statement(seq, head, at, caller.county)
    signature = sign(signing_key, statement_bytes(statement))
    books.add_checkpoint(seq, head, at, signature)
    payload = dict(statement, signature=signature, public_key=public_key_text(signing_key))
    write_events(uow, [_event("audit_checkpoint", caller, payload, f"fund-{seq}", None)])
    return payload


def verify(
    books: Books,
    witness: list[dict],
    public_key_text_: str,
    county: str,
    registrar_keys: dict | None = None,
) -> dict:
    """Everything the books must be, recomputed: the chain against the witness's checkpoints
    (each checked against the fund's key), every payment's two signatures, every account's
    trial balance, and no cash below zero. Names the first break."""
    problems: list[str] = []
    key = load_public_key(public_key_text_)
    checkpoints = []
    for point in witness:
        statement = checkpoint_statement(point["seq"], point["hash"], point["at"], county)
        if point.get("public_key") != public_key_text_ or not signature_valid(
            key, statement_bytes(statement), point["signature"]
        ):
            problems.append(f"checkpoint at record {point['seq']} is not signed by the fund's key")
            continue
        checkpoints.append(point)
    records = books.audit_records()
    chain = first_break(records, checkpoints)
    if chain:
        problems.append(chain)
    journal = books.journal()  # every entry as stored, in the form the chain binds
    journal_problem = journal_break(records, journal)
    if journal_problem:
        problems.append(journal_problem)
    for account in books.accounts():
        derived = books.balances_from_postings(account.account_id)
        kept = books.kept_balances(account.account_id)
        for ledger_account, reference in sorted(derived.keys() | kept.keys()):
            if derived.get((ledger_account, reference), 0) != kept.get(
                (ledger_account, reference), 0
            ):
                problems.append(
                    f"account {account.account_id}: the kept balance of {ledger_account}"
                    + (f" ({reference})" if reference else "")
                    + " is not the sum of its postings"
                )
        totals: dict[str, int] = {}
        for (ledger_account, _), amount in derived.items():
            totals[ledger_account] = totals.get(ledger_account, 0) + amount
        if not ledger.trial_balance_holds(totals):
            problems.append(f"account {account.account_id} does not balance")
        for cash in ("cash_principal", "cash_income"):
            if totals.get(cash, 0) < 0:
                problems.append(f"account {account.account_id}: {cash} below zero")
        for (ledger_account, reference), amount in sorted(derived.items()):
            if ledger_account == "advances_outstanding" and amount < 0:  # given up twice
                problems.append(
                    f"account {account.account_id}: advance {reference} outstanding below zero"
                )
        problems += _seal_problems(books, account, county, registrar_keys or {})
        problems += _outflow_problems(
            books, account, [e for e in journal if e["account_id"] == account.account_id]
        )
        for proposal in books.proposals(account.account_id, account.county, a.PAID):
            problems += _payment_problems(books, account, proposal, county, registrar_keys or {})
    return {
        "records": len(records),
        "checkpoints": len(checkpoints),
        "ok": not problems,
        "first_break": problems[0] if problems else None,
        "problems": problems,
    }


def _seal_problems(
    books: Books, account: a.JointAccount, county: str, registrar_keys: dict
) -> list[str]:
    """The account's terms as its seals signed them, under today's opening rule; an account
    opened before seals needed a registrar's confirmation is named so the county can redo it."""
    if account.status == a.PREPARED:
        return []
    named = {org: books.seal(account.seal_of(org)) for org in account.parties}
    if any(seal is None for seal in named.values()):
        return [
            f"account {account.account_id}: opened under a seal no registrar confirmed: have both "
            "parties' seals confirmed (sanbao seal audit)"
        ]
    # A seal revoked since is a frozen account, not a break: the terms were sealed under it.
    in_force = {org: replace(seal, revoked=False) for org, seal in named.items()}
    if any(account.seal_keys.get(org) != seal.public_key for org, seal in in_force.items()):
        return [f"account {account.account_id}: its seal keys are not the seals its terms name"]
    try:
        seals.check_joint_account_seals(
            account.terms(), in_force, account.seal_signatures, county, registrar_keys
        )
    except DomainError as exc:
        return [f"account {account.account_id}: its seals do not hold: {exc.message_en}"]
    return []


def _certifying_seal(
    books: Books, signatory: a.Signatory, county: str, registrar_keys: dict
) -> str | None:
    """The public key of the seal that certified the signatory, if the fund knows it as a seal a
    registrar confirmed for the signatory's organisation (the account's own seal key is used
    otherwise)."""
    seal = books.seal(signatory.seal_fingerprint) if signatory.seal_fingerprint else None
    if seal is None or seal.org_id != signatory.org_id:
        return None
    try:
        seals.check_confirmation(seal, county, registrar_keys)
    except DomainError:
        return None
    return seal.public_key


def _outflow_problems(books: Books, account: a.JointAccount, journal: list[dict]) -> list[str]:
    """Money leaves only by paying a proposal: every outflow entry of the account's `journal`
    (as `Books.journal` gives it) is the one entry of a paid proposal (whose signatures
    `_payment_problems` checks), posting exactly what paying it posts, and every paid proposal
    has that entry."""
    paid = {p.proposal_id: p for p in books.proposals(account.account_id, account.county, a.PAID)}
    problems, seen = [], set()
    for entry in journal:
        if not (entry["kind"] or "").startswith("outflow:"):
            continue
        proposal = paid.get(entry["source"])
        if proposal is None or entry["source"] in seen:
            problems.append(
                f"journal entry {entry['entry_id']} pays out without a paid proposal of its own"
            )
            continue
        seen.add(proposal.proposal_id)
        pays = [[p.account, p.amount_fen, p.reference] for p in payment_entry(proposal)]
        if entry["kind"] != f"outflow:{proposal.kind}" or entry["postings"] != pays:
            problems.append(
                f"journal entry {entry['entry_id']} is not what proposal "
                f"{proposal.proposal_id} pays"
            )
    problems += [
        f"paid proposal {p} has no entry in the journal" for p in sorted(paid.keys() - seen)
    ]
    return problems


def _payment_problems(
    books: Books, account: a.JointAccount, proposal: a.Proposal, county: str, registrar_keys: dict
) -> list[str]:
    orgs = set()
    for org_id, user_id, key_fingerprint, signature in proposal.signatures:
        found = books.signatory(key_fingerprint)
        if found is None:
            return [f"payment {proposal.proposal_id} was signed by an unknown key"]
        signatory, certificate, seal_signature = found
        try:
            a.check_certificate(
                account,
                signatory,
                certificate,
                seal_signature,
                _certifying_seal(books, signatory, county, registrar_keys),
            )
        except Exception:  # noqa: BLE001 - any failure here is a break to report
            return [f"payment {proposal.proposal_id}: a signatory's certificate does not verify"]
        if (
            signatory.user_id != user_id
            or user_id == proposal.proposed_by
            or signatory.org_id != org_id
        ):
            return [f"payment {proposal.proposal_id}: a signature that should not have counted"]
        if not signature_valid(
            load_public_key(signatory.public_key), statement_bytes(proposal.statement()), signature
        ):
            return [f"payment {proposal.proposal_id}: a signature does not match the proposal"]
        orgs.add(org_id)
    if orgs != set(account.parties):
        return [f"payment {proposal.proposal_id} lacks one organisation's signature"]
    return []


# -- signatories, from registry's events ---------------------------------------------------------


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
            books.revoke_signatory(payload["fingerprint"], _now(), payload)
            _drop_signatures(uow, books, event, payload["fingerprint"])


def _drop_signatures(uow: UnitOfWork, books: Books, event, key_fingerprint: str) -> None:
    """A revoked key's signatures stop counting on every proposal not yet paid: they are taken
    off (audited and announced), so that organisation signs again with a key still valid."""
    for proposal in books.pending_signed_with(key_fingerprint):
        account = _account(books, proposal.account_id)
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
                _event(
                    "outflow_signature_dropped",
                    caller,
                    dict(
                        _proposal_payload(account, dropped),
                        key=key_fingerprint,
                        reason="the signing key was revoked",
                    ),
                    proposal.proposal_id,
                    dropped.version,
                )
            ],
        )
