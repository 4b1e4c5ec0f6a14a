"""Money in: bank credits against bank references, and service revenue receivable."""

from __future__ import annotations

import uuid

from fund.audit_trail import audit
from fund.commands import locked_books
from fund.commands.advances import unclaimed
from fund.domain import accounts as a
from fund.domain.posting_rules import movement_entry
from fund.exceptions import AdvanceRejected, BankReferenceUsed, ProposalRejected
from fund.queries import find_account, now
from fund.schemas import new_event
from fund_contract.vocabularies import INFLOW_KINDS
from sanbao_common.access import Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events


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
    books = locked_books(uow)
    account = find_account(books, account_id)
    a.check_open(account)
    a.check_party(account, principal.organisation_id)
    refs = [inflow["bank_ref"] for inflow in inflows]
    used = books.used_bank_references(account_id, refs)
    if used or len(set(refs)) != len(refs):
        raise BankReferenceUsed(bank_ref=sorted(used)[0] if used else "repeated in the request")
    totals = books.balances(account_id)
    outstanding = books.outstanding_advances(account_id)
    claimed = books.reserved_claims(account_id, now())
    details, entries = [], []
    for inflow in inflows:
        kind, amount_fen, reference = inflow["kind"], inflow["amount_fen"], inflow.get("reference")
        movement = _movement(account, inflow, totals, outstanding, claimed)
        entry = movement_entry(movement, amount_fen, reference)
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
            new_event("inflow_recorded", caller, dict(d, account_id=account_id), d["entry_id"], 1)
            for d in details
        ],
    )
    return details


def _movement(
    account: a.JointAccount,
    inflow: dict,
    totals: dict[str, int],
    outstanding: dict[str, int],
    claimed: dict[str, int],
) -> str:
    """The posting rule a bank credit follows, once it fits the books as they stand."""
    kind, amount_fen, reference = inflow["kind"], inflow["amount_fen"], inflow.get("reference")
    if kind not in INFLOW_KINDS or type(amount_fen) is not int or amount_fen <= 0:
        raise ProposalRejected(
            message_en="an inflow has a known kind and a positive amount",
            message_zh="入账须有已知类别和正数金额",
        )
    if kind == "service_revenue" and totals.get("revenue_receivable", 0) < amount_fen:
        return "service_revenue_earned"  # more than was due (or nothing was): earned now
    if kind == "advance_recovery" and amount_fen > unclaimed(outstanding, claimed, reference):
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
    return kind


def record_receivable(
    uow: UnitOfWork,
    caller: Caller,
    principal: Principal,
    account_id: str,
    period: str,
    amount_fen: int,
) -> dict:
    """Service revenue due from the HR company for a period: a claim, not yet cash."""
    books = locked_books(uow)
    account = find_account(books, account_id)
    a.check_open(account)
    a.check_party(account, principal.organisation_id)
    if type(amount_fen) is not int or amount_fen <= 0:
        raise ProposalRejected(message_en="a positive amount", message_zh="金额须为正数")
    entry_id = str(uuid.uuid4())
    entry = movement_entry("receivable", amount_fen)
    books.post(account_id, entry_id, "receivable", entry, by=caller.actor, source=period)
    detail = {
        "period": period,
        "amount_fen": amount_fen,
        "entry_id": entry_id,
        "postings": [p.__dict__ for p in entry],
    }
    audit(books, caller, "record_receivable", account_id, detail)
    return detail
