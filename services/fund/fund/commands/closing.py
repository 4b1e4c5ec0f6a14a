"""A joint account's end: closed once the principal is back. (Accounts open, and are amended and
re-sealed, from sealed cooperation agreements: `fund.agreements`.)"""

from __future__ import annotations

from dataclasses import replace

from fund.audit_trail import audit
from fund.commands import locked_books
from fund.domain import accounts as a
from fund.exceptions import ReturnBlocked, TermsRejected
from fund.queries import find_account
from fund.schemas import account_payload, new_event
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events


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
    if books.receivables(account_id, open_only=True) or books.credits(account_id):
        raise TermsRejected(
            message_en="receivables are still open, or payers' credits held (refund them: "
            "credit_refund)",
            message_zh="仍有未结应收款或未退还的付款方余款",
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
                dict(account_payload(closed), balances_fen=totals),
                account_id,
                closed.version,
            )
        ],
    )
    return closed
