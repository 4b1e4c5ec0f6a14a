"""Statements whose receivables the fund follows, and the fund's events about them, for the
service tests of settlement's distributions and village books (tests/settlement/service/
test_distributions*.py, test_village_books*.py).

    statement_id = seed_statement(s, {VILLAGE_COOP: 3000, TOWNSHIP_COOP: 2000, COUNTY_COOP: 5000})
    s.deliver(matched(statement_id, 10000, paid=4000))
    (request,) = requests(s)                      # the distribution_requested envelopes

A seeded statement is a closed period's statement as settlement's periods leave it: its lines
one per payee, its receivable asked of the fund (`receivable_state` requested)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

from sanbao_common.messaging.tables import OUTBOX
from settlement.adapters.period_tables import periods, settlement_lines, statements
from settlement_support import (
    AGREEMENT,
    COUNTY_COOP,
    HR_COMPANY,
    TOWNSHIP_COOP,
    VILLAGE_COOP,
    envelope,
    new_id,
)

PERIOD = "2026-03"
CLOSER = {"user_id": "wang.coop", "username": "wang.coop", "organisation_id": COUNTY_COOP}
SHARES = {COUNTY_COOP: 5000, TOWNSHIP_COOP: 2000, VILLAGE_COOP: 3000}


def seed_statement(
    s, payees: dict[str, int] | None = None, *, period: str = PERIOD,
    kind: str = "service_revenue", closer: dict = CLOSER, agreement: str = AGREEMENT,
) -> str:  # fmt: skip
    """A closed period's statement (one line per payee), its receivable asked of the fund."""
    payees = payees if payees is not None else SHARES
    statement_id, now = new_id(), datetime.now(UTC)
    total = sum(payees.values())
    with s.db.unit_of_work() as uow:
        known = uow.connection.execute(select(periods).where(periods.c.period == period)).first()
        if known is None:
            uow.connection.execute(
                insert(periods),
                [{"period": period, "status": "closed", "runs": 2, "last_run_at": now,
                  "last_run_by": f"user:{closer['username']}", "through": date(2026, 3, 31),
                  "closed_at": now, "closer_user_id": closer["user_id"],
                  "closer_username": closer["username"],
                  "closer_org_id": closer["organisation_id"], "total_fen": total, "rows": 0,
                  "pending": "[]", "deferred": "[]"}],
            )  # fmt: skip
        uow.connection.execute(
            insert(statements),
            [{"statement_id": statement_id, "period": period, "agreement_id": agreement,
              "kind": kind, "counterparty_id": HR_COMPANY, "counterparty_kind": "hr_company",
              "counterparty_name": "昆明某人力资源有限公司", "total_fen": total,
              "status": "acknowledged", "acknowledged_fen": total, "disputed_fen": 0,
              "acknowledged_at": now, "acknowledged_by": "user:zhou.hr", "issued_at": now,
              "receivable_state": "requested", "receivable_id": None, "receivable_reason": None,
              "paid_fen": 0}],
        )  # fmt: skip
        uow.connection.execute(
            insert(settlement_lines),
            [{"line_id": new_id(), "period": period, "statement_id": statement_id,
              "kind": kind, "item_key": f"rev:p{n}:once", "party": "village",
              "payee_id": payee, "amount_fen": fen, "adjustment": False,
              "placement_id": f"p{n}", "agreement_id": agreement,
              "counterparty_id": HR_COMPANY, "dispute_no": None}
             for n, (payee, fen) in enumerate(sorted(payees.items()))],
        )  # fmt: skip
        uow.commit()
    return statement_id


def receivable(statement_ref: str, amount: int, paid: int, receivable_id: str, **changes):
    state = {
        "receivable_id": receivable_id, "account_id": AGREEMENT, "kind": "service_revenue",
        "period": PERIOD, "counterparty_id": HR_COMPANY, "counterparty_kind": "hr_company",
        "counterparty_name": "昆明某人力资源有限公司", "statement_ref": statement_ref,
        "amount_fen": amount, "paid_fen": paid, "open_fen": amount - paid,
        "status": "paid" if paid == amount else "open", "basis": "on_receipt",
        "requested_by": "settlement", "recorded_at": "2026-04-02T10:00:00+08:00",
        "recorded_by": "system:fund", "version": 1,
    }  # fmt: skip
    state.update(changes)
    return state


def recorded(statement_ref: str, amount: int, receivable_id: str = "rcv-1", **changes) -> dict:
    state = receivable(statement_ref, amount, 0, receivable_id, **changes)
    return envelope("receivable_recorded", "fund", receivable_id, 1, state)


def matched(
    statement_ref: str, amount: int, paid: int, match: int, receivable_id="rcv-1", **changes
) -> dict:
    state = receivable(statement_ref, amount, paid, receivable_id, **changes)
    state["match"] = {"match_id": new_id(), "amount_fen": match, "source": "inflow",
                      "bank_ref": f"B-{paid}", "entry_id": new_id()}  # fmt: skip
    return envelope("receivable_matched", "fund", receivable_id, 2, state)


def outbox(s, event_type: str) -> list[dict]:
    with s.db.reader() as uow:
        bodies = uow.connection.execute(
            select(OUTBOX.c.body)
            .where(OUTBOX.c.event_type == event_type)
            .order_by(OUTBOX.c.position)
        ).scalars()
        return [json.loads(body) for body in bodies]


def requests(s) -> list[dict]:
    return outbox(s, "distribution_requested")


def outflow(
    event_type: str, request_key: str, proposal_id: str, lines: list[dict], *,
    reason: dict | None = None, expires_at: str | None = None,
) -> dict:  # fmt: skip
    """The fund's `outflow_proposed` / `outflow_paid` / `outflow_rejected` of a proposal made
    at settlement's request."""
    status = {"outflow_proposed": "pending", "outflow_paid": "paid",
              "outflow_rejected": "rejected"}[event_type]  # fmt: skip
    expires = expires_at or (datetime.now(UTC) + timedelta(days=14)).isoformat()
    payload = {
        "proposal_id": proposal_id, "account_id": AGREEMENT, "county": "532501",
        "kind": "distribution", "amount_fen": sum(x["amount_fen"] for x in lines),
        "lines": lines, "expires_at": expires, "status": status, "proposed_by": "wang.coop",
        "signed_by": [], "waiting_for": [], "reason": reason,
        "request": {"source": "settlement", "request_key": request_key},
    }  # fmt: skip
    return envelope(event_type, "fund", proposal_id, 1, payload)


def refused(request_key: str, kind: str = "outflow", code: str = "CASH_SHORT") -> dict:
    payload = {
        "source": "settlement", "request_key": request_key, "kind": kind,
        "account_id": AGREEMENT, "attempts": 1, "event_id": new_id(),
        "reason": {"code": code, "message_en": "not enough cash", "message_zh": "现金不足",
                   "details": {}},
    }  # fmt: skip
    return envelope("fund_request_refused", "fund", f"settlement:{request_key}", 1, payload)


def proposal_id() -> str:
    return str(uuid.uuid4())


def village_paid(s, fen: int, village: str = VILLAGE_COOP) -> str:
    """A distribution of `fen` to the village, asked for and paid: the village's income."""
    ref = seed_statement(s, {village: fen})
    s.deliver(matched(ref, fen, paid=fen, match=fen, receivable_id=new_id()))
    request = requests(s)[-1]
    made = proposal_id()
    s.deliver(
        outflow("outflow_paid", request["payload"]["request_key"], made,
                request["payload"]["lines"])
    )  # fmt: skip
    return ref
