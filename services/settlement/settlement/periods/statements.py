"""A statement's acknowledgement and its disputes, each inside the unit of work it is given.

The HR company a service revenue statement is issued to (a signatory of that company, whom its
own seal certified: no one on its behalf, not a county administrator, nor an account an
administrator created in the company) acknowledges it once, disputing placements' lines with a
reason: each disputed placement's lines are numbered with their dispute and stay visible; the
rest — the total less what is disputed — becomes the fund's receivable
(`receivable_requested`, statement_ref = the statement id) exactly once. The county
cooperative resolves each dispute: `owed` asks the fund for a second receivable (statement_ref
`<statement_id>:d<n>`), `waived` does not."""

from __future__ import annotations

from sqlalchemy import func, select

from sanbao_common import clock
from sanbao_common.access import SIGNATORY, Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events
from settlement.adapters.period_tables import settlement_lines
from settlement.domain.items import SERVICE_REVENUE
from settlement.periods import events as ev
from settlement.periods.errors import (
    DisputeNotFound,
    DisputeRejected,
    DisputeResolved,
    NotAcknowledgeable,
    NotTheCounterparty,
    StatementAlreadyAcknowledged,
)
from settlement.periods.repository import PeriodRepository, found_statement
from settlement.periods.schemas import dispute_state, statement_state
from settlement.periods.use_cases import check_settles

ISSUED, ACKNOWLEDGED = "issued", "acknowledged"


def _check_acknowledges(principal: Principal, statement: dict) -> None:
    if statement["kind"] != SERVICE_REVENUE:
        raise NotAcknowledgeable(statement_id=statement["statement_id"])
    if (
        SIGNATORY not in principal.roles
        or principal.organisation_id != statement["counterparty_id"]
    ):
        raise NotTheCounterparty(
            statement_id=statement["statement_id"], hr_company=statement["counterparty_id"]
        )


def _check_disputes(connection, statement_id: str, disputes: list[dict]) -> None:
    """Each disputed placement has lines on the statement; and what is left undisputed owes no
    payee money back (a payee's undisputed total below nothing would be shared out of the
    others' money when the receivable is paid)."""
    c = settlement_lines.c
    sums = connection.execute(
        select(c.placement_id, c.payee_id, func.sum(c.amount_fen))
        .where(c.statement_id == statement_id)
        .group_by(c.placement_id, c.payee_id)
    ).all()
    on_statement = {placement for placement, _, _ in sums}
    for dispute in disputes:
        if dispute["placement_id"] not in on_statement:
            raise DisputeRejected(statement_id=statement_id, placement_id=dispute["placement_id"])
    disputed = {dispute["placement_id"] for dispute in disputes}
    left: dict[str, int] = {}
    for placement, payee, total in sums:
        if placement not in disputed:
            left[payee] = left.get(payee, 0) + int(total)
    for payee, total in sorted(left.items()):
        if total < 0:
            raise DisputeRejected(
                message_en="what these disputes leave undisputed would have a payee owe money "
                "back on this statement",
                message_zh="除去这些异议后，本结算单上有收款方的金额为负",
                statement_id=statement_id, payee_id=payee, amount_fen=total,
            )  # fmt: skip


def acknowledge_statement(
    uow: UnitOfWork, caller: Caller, principal: Principal, data: dict
) -> dict:
    """`AcknowledgeSchema`, loaded: the statement acknowledged, less its disputed placements."""
    repo = PeriodRepository(uow.connection)
    statement = found_statement(repo, data["statement_id"])
    _check_acknowledges(principal, statement)
    if statement["status"] != ISSUED:
        raise StatementAlreadyAcknowledged(statement_id=statement["statement_id"])
    _check_disputes(uow.connection, statement["statement_id"], data["disputes"])
    now, rows = clock.now(), []
    for number, dispute in enumerate(data["disputes"], 1):
        amount = repo.mark_disputed(statement["statement_id"], dispute["placement_id"], number)
        rows.append(
            {
                "statement_id": statement["statement_id"],
                "dispute_no": number,
                "placement_id": dispute["placement_id"],
                "reason": dispute["reason"],
                "state": "open",
                "amount_fen": amount,
                "raised_at": now,
                "raised_by": caller.actor,
                "resolved_at": None,
                "resolved_by": None,
                "note": None,
                "receivable_state": "none",
                "receivable_id": None,
                "receivable_reason": None,
                "paid_fen": 0,
            }  # fmt: skip
        )
    repo.add_disputes(rows)
    disputed = sum(row["amount_fen"] for row in rows)
    acknowledged = statement["total_fen"] - disputed
    changes = {
        "status": ACKNOWLEDGED, "acknowledged_fen": acknowledged, "disputed_fen": disputed,
        "acknowledged_at": now, "acknowledged_by": caller.actor,
        "receivable_state": "requested" if acknowledged > 0 else "none",
    }  # fmt: skip
    if not repo.update_statement(statement["statement_id"], {"status": ISSUED}, **changes):
        raise StatementAlreadyAcknowledged(statement_id=statement["statement_id"])
    statement.update(changes)
    state = statement_state(statement, repo.disputes(statement["statement_id"]))
    events = [ev.statement_acknowledged(caller, state)]
    if acknowledged > 0:
        events.append(
            ev.receivable_request(caller, statement, statement["statement_id"], acknowledged)
        )
    write_events(uow, events)
    return state


def resolve_dispute(uow: UnitOfWork, caller: Caller, principal: Principal, data: dict) -> dict:
    """`ResolveSchema`, loaded: the dispute found owed (its receivable asked for) or waived."""
    check_settles(principal)
    repo = PeriodRepository(uow.connection)
    statement = found_statement(repo, data["statement_id"])
    dispute = repo.dispute(statement["statement_id"], data["dispute_no"])
    if dispute is None:
        raise DisputeNotFound(statement_id=statement["statement_id"], dispute_no=data["dispute_no"])
    if dispute["state"] != "open":
        raise DisputeResolved(statement_id=statement["statement_id"], dispute_no=data["dispute_no"])
    asked = _asked(repo, statement, dispute) if data["outcome"] == "owed" else 0
    changes = {
        "state": data["outcome"], "resolved_at": clock.now(), "resolved_by": caller.actor,
        "note": data["note"], "receivable_state": "requested" if asked > 0 else "none",
        "asked_fen": asked,
    }  # fmt: skip
    if not repo.update_dispute(
        statement["statement_id"], data["dispute_no"], {"state": "open"}, **changes
    ):
        raise DisputeResolved(statement_id=statement["statement_id"], dispute_no=data["dispute_no"])
    dispute.update(changes)
    if asked > 0:
        ref = f"{statement['statement_id']}:d{dispute['dispute_no']}"
        write_events(uow, [ev.receivable_request(caller, statement, ref, asked)])
    return dispute_state(dispute)


def _asked(repo: PeriodRepository, statement: dict, dispute: dict) -> int:
    """What a dispute found owed is asked for: its lines' sum, but never more than the
    statement's total less what was asked under it already (a credit on the statement — an
    acknowledged part below nothing — goes to the disputes found owed)."""
    before = max(statement["acknowledged_fen"] or 0, 0) + sum(
        d["asked_fen"] or 0
        for d in repo.disputes(statement["statement_id"])
        if d["state"] == "owed"
    )
    return max(0, min(dispute["amount_fen"], statement["total_fen"] - before))
