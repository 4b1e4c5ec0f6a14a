"""Receivables: recorded once per business key, by a party's finance person or at another
service's request (`fund.requests`), and paid first from the payer's held credit."""

from __future__ import annotations

import uuid

from fund.adapters.repository import Books
from fund.audit_trail import audit
from fund.commands import locked_books
from fund.domain import accounts as a
from fund.domain import receivables as r
from fund.domain.posting_rules import movement_entry
from fund.exceptions import ReceivableRejected
from fund.queries import find_account, now, receivable_view
from fund.schemas import derived_id, new_event
from fund_contract.requests import RECEIVABLE_KEY_FIELDS
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events


def record_receivable(
    uow: UnitOfWork,
    caller: Caller,
    account_id: str,
    data: dict,
    *,
    party: str | None,
    requested_by: str = "rpc",
    event_id: str | None = None,
) -> tuple[r.Receivable, bool]:
    """What a counterparty owes the account: (the receivable, whether it is new). `party`: the
    caller's organisation, which must be the account's county cooperative, the side owed (None:
    another service asked, by event); the HR company never writes down what it owes itself. The
    same business key again with the same amount is the receivable already recorded; with
    another amount it is refused: a recorded receivable is never overwritten."""
    books = locked_books(uow)
    account = find_account(books, account_id)
    a.check_open(account)
    if party is not None and party != account.county_org_id:
        a.check_party(account, party)
        raise ReceivableRejected(
            message_en="receivables are recorded by the county cooperative, the side owed",
            message_zh="应收款由县级劳务合作社（收款方）登记",
        )
    data = dict(data, account_id=account_id)
    r.check_receivable(data, account.parties)
    known = books.receivable_by_key(tuple(data[field] for field in RECEIVABLE_KEY_FIELDS))
    if known is not None:
        if r.same_request(known, data):
            return known, False
        raise ReceivableRejected(
            message_en="this receivable is recorded already, with another amount",
            message_zh="该应收款已按其他金额登记",
            receivable_id=known.receivable_id,
            recorded_fen=known.amount_fen,
        )
    entry_id = str(uuid.uuid4())
    receivable = books.add_receivable(
        r.Receivable(
            receivable_id=str(uuid.uuid4()),
            account_id=account_id,
            kind=data["kind"],
            period=data["period"],
            counterparty_id=data["counterparty_id"],
            counterparty_kind=data["counterparty_kind"],
            counterparty_name=data["counterparty_name"],
            statement_ref=data["statement_ref"],
            amount_fen=data["amount_fen"],
            paid_fen=0,
            basis=r.ON_RECEIPT,
            requested_by=requested_by,
            recorded_at=now(),
            recorded_by=caller.actor,
            entry_id=entry_id,
            event_id=event_id,
        )
    )
    entry = movement_entry(f"receivable:{receivable.kind}", receivable.amount_fen)
    books.post(
        account_id, entry_id, f"receivable:{receivable.kind}", entry,
        by=caller.actor, source=receivable.receivable_id,
    )  # fmt: skip
    events = [
        new_event(
            "receivable_recorded",
            caller,
            receivable_view(receivable),
            receivable.receivable_id,
            receivable.version,
        )
    ]
    receivable = _pay_from_credit(books, caller, account, receivable, events)
    audit(
        books, caller, "record_receivable", account_id,
        {"receivable": receivable_view(receivable), "requested_by": requested_by},
    )  # fmt: skip
    write_events(uow, events)
    return receivable, True


def _pay_from_credit(
    books: Books, caller: Caller, account: a.JointAccount, receivable: r.Receivable, events: list
) -> r.Receivable:
    """A new receivable is paid first from what its payer holds as credit on the account."""
    payer = receivable.counterparty_id
    held = books.credits(account.account_id).get(payer, 0)
    refunding = books.reserved_claims(account.account_id, now(), "credit_refund").get(payer, 0)
    part = min(held - refunding, receivable.open_fen)  # what pending refunds claim stays theirs
    if part <= 0:
        return receivable
    entry_id, match_id = str(uuid.uuid4()), str(uuid.uuid4())
    entry = movement_entry(f"credit_applied:{receivable.kind}", part, receivable.counterparty_id)
    books.post(
        account.account_id, entry_id, f"credit_applied:{receivable.kind}", entry,
        by=caller.actor, source=receivable.receivable_id,
    )  # fmt: skip
    paid = receivable.paid(part)
    books.save_paid(paid)
    books.add_match(match_id, paid, part, "credit", None, entry_id)
    events.append(matched_event(caller, paid, match_id, part, "credit", None, entry_id))
    events.append(
        credit_event(books, caller, account.account_id, paid.counterparty_id, -part, held - part)
    )
    return paid


def matched_event(
    caller: Caller,
    receivable: r.Receivable,
    match_id: str,
    amount_fen: int,
    source: str,
    bank_ref: str | None,
    entry_id: str,
) -> dict:
    """`receivable_matched`: the match and the receivable's whole state after it."""
    match = {
        "match_id": match_id,
        "amount_fen": amount_fen,
        "source": source,
        "bank_ref": bank_ref,
        "entry_id": entry_id,
    }
    return new_event(
        "receivable_matched",
        caller,
        dict(receivable_view(receivable), match=match),
        receivable.receivable_id,
        receivable.version,
    )


def credit_event(
    books: Books, caller: Caller, account_id: str, payer_id: str, change_fen: int, balance_fen: int
) -> dict:
    """`payer_credit_changed`: a payer's credit on the account, `balance_fen` after it moved by
    `change_fen` (held: positive; paying a receivable: negative)."""
    version = books.next_credit_version(account_id, payer_id)
    return new_event(
        "payer_credit_changed",
        caller,
        {
            "account_id": account_id,
            "payer_id": payer_id,
            "change_fen": change_fen,
            "balance_fen": balance_fen,
            "version": version,
        },
        derived_id(account_id, payer_id),
        version,
    )
