"""Money out: an outflow proposed, signed by one signatory of each party and paid with the second
signature, or rejected. A proposal reserves its cash (a write-off claims its advance) until then."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from fund.adapters.repository import Books
from fund.audit_trail import audit
from fund.commands import locked_books
from fund.commands.advances import claims, unclaimed
from fund.commands.receivables import credit_event
from fund.domain import accounts as a
from fund.domain.posting_rules import POSTING_RULES, outflow_entry
from fund.exceptions import (
    AdvanceRejected,
    InsufficientFunds,
    ProposalRejected,
    ReturnBlocked,
    SignatureRejected,
)
from fund.payees import resolve_lines
from fund.queries import changed_seals, find_account, find_proposal, now
from fund.schemas import new_event, proposal_payload
from fund_contract.vocabularies import OUTFLOW_KINDS
from sanbao_common.access import Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.ledger import Entry
from sanbao_common.messaging.outbox import write_events


def propose_outflow(
    uow: UnitOfWork,
    caller: Caller,
    proposer: tuple[str, str],
    account_id: str,
    kind: str,
    lines: list[a.Line],
    expires_at: datetime,
    request: tuple[str, str] | None = None,
) -> a.Proposal:
    """A proposal by `proposer` (user id, organisation id), who cannot sign it; `request`: the
    service and key it was asked for by (`fund.requests`). Its lines carry their payees' bank
    details (`fund.payees`)."""
    proposer_id, proposer_org = proposer
    books = locked_books(uow)
    account = find_account(books, account_id)
    a.check_not_frozen(account, changed_seals(books, account))
    at = now()
    if kind == "write_off":
        # A claim is given up once: pending write-offs already hold theirs.
        outstanding = books.outstanding_advances(account_id)
        claimed = books.reserved_claims(account_id, at)
        for reference, amount_fen in claims(lines).items():
            if amount_fen > unclaimed(outstanding, claimed, reference):
                raise AdvanceRejected(
                    message_en="more than is outstanding on the advance beyond pending write-offs",
                    message_zh="超过该垫支未核销且未被待签批核销占用的金额",
                    reference=reference,
                    outstanding_fen=outstanding.get(reference, 0),
                    claimed_fen=claimed.get(reference, 0),
                )
    if kind == "return_principal":
        _check_return(books, account, sum(line.amount_fen for line in lines))
    if kind == "credit_refund":
        _check_refund(books, account_id, lines, at)
    draws_on = POSTING_RULES[kind].draws_on if kind in OUTFLOW_KINDS else None
    reserved = books.reserved(account_id, at)
    available = books.balances(account_id).get(draws_on, 0) - reserved.get(draws_on, 0)
    proposal = a.new_proposal(
        account,
        str(uuid.uuid4()),
        kind,
        resolve_lines(books, kind, lines) if kind in OUTFLOW_KINDS else lines,
        proposer_id,
        proposer_org,
        expires_at,
        at,
        available,
        request,
    )
    books.save_proposal(proposal, new=True)
    audit(
        books,
        caller,
        "propose_outflow",
        account_id,
        {"proposal": proposal.statement(), "proposed_by": proposer_id, "request": request},
    )
    write_events(
        uow,
        [
            new_event(
                "outflow_proposed",
                caller,
                proposal_payload(account, proposal),
                proposal.proposal_id,
                proposal.version,
            )
        ],
    )
    return proposal


def _check_refund(books: Books, account_id: str, lines: list[a.Line], at: datetime) -> None:
    """A credit goes back to the payer holding it (each line's payee and reference), at most what
    it holds beyond what pending refunds claim."""
    if any(not line.reference or line.payee != line.reference for line in lines):
        raise ProposalRejected(
            message_en="a credit goes back to its payer: each line's payee and reference are it",
            message_zh="退还余款须退给付款方本身（收款方与关联编号均为付款方）",
        )
    held = books.credits(account_id)
    claimed = books.reserved_claims(account_id, at, "credit_refund")
    for payer, amount_fen in claims(lines).items():
        if amount_fen > held.get(payer, 0) - claimed.get(payer, 0):
            raise ProposalRejected(
                message_en="more than the payer's credit beyond pending refunds",
                message_zh="超过该付款方未被待签批退款占用的余款",
                payer=payer,
                held_fen=held.get(payer, 0),
                claimed_fen=claimed.get(payer, 0),
            )


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


def sign_outflow(
    uow: UnitOfWork,
    caller: Caller,
    principal: Principal,
    proposal_id: str,
    key_fingerprint: str,
    signature: str,
) -> a.Proposal:
    """One signatory's signature; the second party's pays the proposal."""
    books = locked_books(uow)
    proposal = find_proposal(books, proposal_id, caller.county)
    account = find_account(books, proposal.account_id)
    a.check_not_frozen(account, changed_seals(books, account))
    found = books.signatory(key_fingerprint)
    signatory = None
    if found is not None:
        signatory, certificate, seal_signature = found
        if not signatory.revoked:  # a revoked key is refused as such by add_signature
            a.check_certificate(account, signatory, certificate, seal_signature)
    signed = a.add_signature(account, proposal, principal.user_id, signatory, signature, now())
    events = [
        new_event(
            "outflow_signed", caller, proposal_payload(account, signed), proposal_id, signed.version
        )
    ]
    entry_id = None
    if a.fully_signed(account, signed):
        _check_signatories_current(books, account, signed)
        entry_id, entry = _pay(books, account, signed, caller)
        signed = replace(signed, status=a.PAID, version=signed.version + 1)
        events += _payment_events(caller, account, signed, entry_id, entry)
        if signed.kind == "credit_refund":
            held = books.credits(account.account_id)
            events += [
                credit_event(books, caller, account.account_id, payer, -amount, held.get(payer, 0))
                for payer, amount in claims(signed.lines).items()
            ]
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


def _pay(
    books: Books, account: a.JointAccount, proposal: a.Proposal, caller: Caller
) -> tuple[str, Entry]:
    """Post the payment, checking the cash where it is posted: never below zero."""
    totals = books.balances(account.account_id)
    entry = outflow_entry(proposal.kind, proposal.lines)
    if proposal.kind == "write_off":  # the claim is still there to give up, checked as it goes
        outstanding = books.outstanding_advances(account.account_id)
        for reference, amount_fen in claims(proposal.lines).items():
            if amount_fen > outstanding.get(reference, 0):
                raise AdvanceRejected(
                    message_en="less is outstanding on the advance than the write-off gives up",
                    message_zh="该垫支未核销金额少于核销金额",
                    reference=reference,
                    outstanding_fen=outstanding.get(reference, 0),
                )
    if proposal.kind == "credit_refund":  # the credit is still there to pay back
        held = books.credits(account.account_id)
        for payer, amount_fen in claims(proposal.lines).items():
            if amount_fen > held.get(payer, 0):
                raise ProposalRejected(
                    message_en="the payer holds less credit than the refund pays back",
                    message_zh="付款方余款少于退款金额",
                    payer=payer,
                    held_fen=held.get(payer, 0),
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


def _payment_events(
    caller: Caller, account: a.JointAccount, paid: a.Proposal, entry_id: str, entry: Entry
) -> list[dict]:
    """`outflow_paid`, and `fund_returned` for the principal."""
    events = [
        new_event(
            "outflow_paid",
            caller,
            dict(
                proposal_payload(account, paid),
                entry_id=entry_id,
                postings=[p.__dict__ for p in entry],
            ),
            paid.proposal_id,
            paid.version,
        )
    ]
    if paid.kind == "return_principal":
        events.append(
            new_event(
                "fund_returned",
                caller,
                {
                    "account_id": account.account_id,
                    "amount_fen": paid.amount_fen,
                    "entry_id": entry_id,
                },
                account.account_id,
                account.version,
            )
        )
    return events


def reject_outflow(
    uow: UnitOfWork, caller: Caller, principal: Principal, proposal_id: str, reason: str
) -> a.Proposal:
    books = locked_books(uow)
    proposal = find_proposal(books, proposal_id, caller.county)
    account = find_account(books, proposal.account_id)
    a.check_party(account, principal.organisation_id)
    a.check_pending(proposal, now())
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
            new_event(
                "outflow_rejected",
                caller,
                proposal_payload(account, rejected),
                proposal_id,
                rejected.version,
            )
        ],
    )
    return rejected
