"""Money in: bank credits against bank references, each income credit matched to the receivables
it pays (`fund.domain.receivables`)."""

from __future__ import annotations

import uuid

from fund.adapters.repository import Books
from fund.audit_trail import audit
from fund.commands import locked_books
from fund.commands.advances import unclaimed
from fund.commands.receivables import credit_event, matched_event
from fund.domain import accounts as a
from fund.domain import receivables as r
from fund.domain.posting_rules import movement_entry
from fund.exceptions import (
    AdvanceRejected,
    BankReferenceUsed,
    ProposalRejected,
    ReceivableRejected,
    ReceivablesOpen,
)
from fund.queries import find_account, now
from fund.schemas import new_event
from fund_contract.requests import PAYS_NOTHING, RECEIVABLE_KINDS
from fund_contract.vocabularies import INFLOW_KINDS
from sanbao_common.access import Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events


def record_inflow(
    uow: UnitOfWork, caller: Caller, principal: Principal, account_id: str, inflow: dict
) -> dict:
    """One bank credit; see `record_inflows`."""
    return record_inflows(uow, caller, principal, account_id, [inflow])[0]


def record_inflows(
    uow: UnitOfWork, caller: Caller, principal: Principal, account_id: str, inflows: list[dict]
) -> list[dict]:
    """Bank credits (one, or a bank statement's worth), each posting its own balanced entries,
    all or none. Each: {kind, amount_fen, bank_ref, reference, payer, pays}.

    Each bank reference is recorded once per account, whichever side records it; an income
    credit pays the receivables it names (or its payer's oldest first), the rest held as the
    payer's credit; a recovery at most what is outstanding on its advance; the principal at most
    the agreement's; a shortfall deposit at most what is owed."""
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
    held = books.credits(account_id)  # payers' credits, as this request moves them
    owed: dict[str, bool] = {}  # whether receivables of a kind are open (read once per kind)
    details, entries, events = [], [], []
    for inflow in inflows:
        parts, detail = _parts(books, account, inflow, (totals, outstanding, claimed, owed))
        posted = []
        for movement, amount_fen, reference, receivable in parts:
            entry = movement_entry(movement, amount_fen, reference)
            for posting in entry:  # later credits in the same request see the earlier ones
                totals[posting.account] = totals.get(posting.account, 0) + posting.amount_fen
                if posting.account == "advances_outstanding":
                    outstanding[posting.reference] = (
                        outstanding.get(posting.reference, 0) + posting.amount_fen
                    )
            entry_id = str(uuid.uuid4())
            entries.append((entry_id, f"inflow:{inflow['kind']}", entry, inflow["bank_ref"]))
            posted.append((entry_id, entry))
            if receivable is not None:
                owed.pop(inflow["kind"], None)  # it may have paid the last one open
                events.append(_match(books, caller, receivable, amount_fen, inflow, entry_id))
                detail["matches"].append(
                    {"receivable_id": receivable.receivable_id, "amount_fen": amount_fen}
                )
            elif movement.startswith("credit_held:"):
                detail["credit_fen"] = amount_fen
                held[reference] = held.get(reference, 0) + amount_fen
                events.append(
                    credit_event(books, caller, account_id, reference, amount_fen, held[reference])
                )
        detail.update(
            entry_id=posted[0][0],
            entry_ids=[entry_id for entry_id, _ in posted],
            postings=[p.__dict__ for _, entry in posted for p in entry],
        )
        details.append(detail)
    books.add_bank_references(account_id, [(d["bank_ref"], d["entry_id"]) for d in details])
    books.post_many(account_id, entries, by=caller.actor)
    audit(books, caller, "record_inflows", account_id, {"inflows": details})
    write_events(
        uow,
        [
            new_event("inflow_recorded", caller, dict(d, account_id=account_id), d["entry_id"], 1)
            for d in details
        ]
        + events,
    )
    return details


def _match(books: Books, caller: Caller, receivable, amount_fen: int, inflow: dict, entry_id):
    """The receivable paid `amount_fen` by the credit: its row and match kept, its event."""
    paid = receivable.paid(amount_fen)
    books.save_paid(paid)
    match_id = str(uuid.uuid4())
    books.add_match(match_id, paid, amount_fen, "inflow", inflow["bank_ref"], entry_id)
    return matched_event(caller, paid, match_id, amount_fen, "inflow", inflow["bank_ref"], entry_id)


def _parts(
    books: Books, account: a.JointAccount, inflow: dict, state: tuple
) -> tuple[list[tuple], dict]:
    """What a bank credit posts, once it fits the books as they stand (`state`: the balances,
    advances outstanding and claimed, and which kinds are owed, as the request moved them):
    [(movement, amount, reference, the receivable it pays or None)], and the credit's reply so
    far."""
    totals, outstanding, claimed, owed = state
    kind, amount_fen, reference = inflow["kind"], inflow["amount_fen"], inflow.get("reference")
    detail = {
        "kind": kind,
        "amount_fen": amount_fen,
        "bank_ref": inflow["bank_ref"],
        "reference": reference,
        "payer": None,
        "matches": [],
        "credit_fen": 0,
    }
    if kind not in INFLOW_KINDS or type(amount_fen) is not int or amount_fen <= 0:
        raise ProposalRejected(
            message_en="an inflow has a known kind and a positive amount",
            message_zh="入账须有已知类别和正数金额",
        )
    if kind in RECEIVABLE_KINDS:
        parts, detail["payer"] = _income_parts(books, account, inflow, owed)
        return parts, detail
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
    return [(kind, amount_fen, reference, None)], detail


def _income_parts(
    books: Books, account: a.JointAccount, inflow: dict, owed: dict[str, bool]
) -> tuple[list[tuple], str]:
    """An income credit: the receivables it pays, each its part (`fund.domain.receivables`), and
    the rest as its payer's credit, or earned on receipt when it pays nothing."""
    kind, amount_fen, pays = inflow["kind"], inflow["amount_fen"], inflow.get("pays")
    named = (
        [books.receivable(receivable_id) for receivable_id in pays]
        if isinstance(pays, list)
        else []
    )
    named = [x if x is None or x.account_id == account.account_id else None for x in named]
    payer = inflow.get("payer") or _implied_payer(account, kind, named)
    if kind == "service_revenue" and payer != account.hr_org_id:
        raise ReceivableRejected(
            message_en="service revenue is paid by the account's HR company",
            message_zh="劳务经济收益金的付款方须为本账户的人力资源服务企业",
            field="payer",
        )
    if pays is None:  # said nothing: income with nothing owed, unless something is owed
        if kind not in owed:
            owed[kind] = bool(books.receivables(account.account_id, kind=kind, open_only=True))
        if owed[kind]:
            raise ReceivablesOpen(kind=kind)
        pays = PAYS_NOTHING
    if pays != PAYS_NOTHING and not payer:
        raise ReceivableRejected(
            message_en="say who paid (payer: the organisation or employer id)",
            message_zh="请注明付款方",
            field="payer",
        )
    open_of_payer = sorted(  # oldest period first; within a period, as recorded
        books.receivables(account.account_id, kind=kind, counterparty_id=payer, open_only=True)
        if payer
        else [],
        key=lambda receivable: (receivable.period, receivable.seq),
    )
    taken, left = r.allocate(amount_fen, r.to_pay(pays, kind, payer, named, open_of_payer))
    parts = [
        (
            f"receipt_accrued:{kind}" if receivable.basis == r.ACCRUED else f"receipt:{kind}",
            part,
            None,
            receivable,
        )
        for receivable, part in taken
    ]
    if left:
        held = pays != PAYS_NOTHING  # beyond what it pays: the payer's, not income
        parts.append((f"credit_held:{kind}" if held else f"earned:{kind}", left, payer, None))
    return parts, payer


def _implied_payer(account: a.JointAccount, kind: str, named: list) -> str | None:
    """Who paid, when the credit does not say: the HR company for service revenue, else the one
    counterparty of the receivables it names."""
    if kind == "service_revenue":
        return account.hr_org_id
    payers = {x.counterparty_id for x in named if x is not None}
    return payers.pop() if len(payers) == 1 else None
