"""Advances: settled against vouchers (reimbursement accounting, 报账制), and the claims pending
write-offs hold on them, which recoveries, settlements and other write-offs must leave alone."""

from __future__ import annotations

import uuid

from fund.audit_trail import audit
from fund.commands import locked_books
from fund.domain import accounts as a
from fund.domain.posting_rules import movement_entry
from fund.exceptions import AdvanceRejected
from fund.queries import find_account, now
from fund.schemas import native, new_event
from sanbao_common.access import Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events


def claims(lines) -> dict[str, int]:
    """What lines take of each advance, by reference."""
    taken: dict[str, int] = {}
    for line in lines:
        taken[line.reference or ""] = taken.get(line.reference or "", 0) + line.amount_fen
    return taken


def unclaimed(outstanding: dict[str, int], claimed: dict[str, int], reference) -> int:
    """What is outstanding on an advance beyond what pending write-offs claim of it."""
    return outstanding.get(reference or "", 0) - claimed.get(reference or "", 0)


def settle_advance(
    uow: UnitOfWork,
    caller: Caller,
    principal: Principal,
    account_id: str,
    reference: str,
    vouchers: list[dict],
) -> dict:
    """Vouchers turn (part of) an advance into expenses: reimbursement accounting (报账制)."""
    books = locked_books(uow)
    account = find_account(books, account_id)
    a.check_open(account)
    a.check_party(account, principal.organisation_id)
    outstanding = books.outstanding_advances(account_id).get(reference, 0)
    claimed = books.reserved_claims(account_id, now()).get(reference, 0)
    total = sum(v["amount_fen"] for v in vouchers)
    if not vouchers or total <= 0 or total > outstanding - claimed:  # write-offs claimed theirs
        raise AdvanceRejected(outstanding_fen=outstanding, claimed_fen=claimed, vouchers_fen=total)
    numbers = [v["number"] for v in vouchers]
    if len(set(numbers)) != len(numbers) or any(books.voucher_used(account_id, n) for n in numbers):
        raise AdvanceRejected(
            message_en="a voucher is used once", message_zh="同一凭证只能使用一次"
        )
    entry_id = str(uuid.uuid4())
    entry = movement_entry("settlement", total, reference)
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
        uow,
        [new_event("advance_settled", caller, dict(detail, account_id=account_id), entry_id, 1)],
    )
    return native(detail)
