"""A receivable the fund refused, asked for again, inside the unit of work it is given.

The fund refuses a `receivable_requested` it cannot record (`fund_request_refused`, kind
`receivable`; settlement.periods.receivables notes the statement or dispute `refused` with the
reason). Nothing is lost: the county cooperative (an operator of a county cooperative, or the
county's administrator) asks for it again — the same `receivable_requested` (same statement
reference, counterparty, period and amount) published once more, and the receivable `requested`
again. The fund records a receivable once per business key, so asking again after a refusal
tries again and never doubles one. Only a refused receivable is asked for again."""

from __future__ import annotations

from sanbao_common.access import Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.errors import DomainError
from sanbao_common.messaging.outbox import write_events
from settlement.periods import events as ev
from settlement.periods.errors import DisputeNotFound
from settlement.periods.receivables import parse_statement_ref, receivable_meta
from settlement.periods.repository import PeriodRepository, found_statement
from settlement.periods.use_cases import check_settles

REFUSED, REQUESTED = "refused", "requested"


class ReceivableNotRefused(DomainError):
    code = "RECEIVABLE_NOT_REFUSED"
    message_en = (
        "only a receivable the fund refused is asked for again (this one is not refused: see "
        "its receivable_state)"
    )
    message_zh = "只有被资金服务拒绝的应收款才能重新申请（该应收款未被拒绝，请查看其状态）"


def request_receivable_again(
    uow: UnitOfWork, caller: Caller, principal: Principal, statement_ref: str
) -> dict:
    """`statement_ref` (a statement id, or `<statement_id>:d<n>` for a dispute found owed):
    its refused receivable's `receivable_requested` published again; replies the reference,
    amount and new state."""
    check_settles(principal)
    repo = PeriodRepository(uow.connection)
    statement_id, number = parse_statement_ref(statement_ref)
    statement = found_statement(repo, statement_id)
    if number is None:
        current = statement
    else:
        current = repo.dispute(statement_id, number)
        if current is None:
            raise DisputeNotFound(statement_id=statement_id, dispute_no=number)
    if current["receivable_state"] != REFUSED:
        raise ReceivableNotRefused(
            statement_ref=statement_ref, receivable_state=current["receivable_state"]
        )
    amount = receivable_meta(uow.connection, statement_ref)["amount_fen"]
    changes = {"receivable_state": REQUESTED, "receivable_reason": None}
    only_if = {"receivable_state": REFUSED}
    changed = (
        repo.update_statement(statement_id, only_if, **changes)
        if number is None
        else repo.update_dispute(statement_id, number, only_if, **changes)
    )
    if not changed:
        raise ReceivableNotRefused(statement_ref=statement_ref, receivable_state="changed")
    write_events(uow, [ev.receivable_request(caller, statement, statement_ref, amount)])
    return {
        "statement_ref": statement_ref,
        "statement_id": statement_id,
        "dispute_no": number,
        "amount_fen": amount,
        "receivable_state": REQUESTED,
        "asked_by": caller.actor,
    }
