"""The receivables settlement asked the fund for, as distributions (settlement.distributions)
read and note them. A receivable's `statement_ref` is a statement id (the acknowledged part of a
service revenue statement, or a subsidy statement's whole) or `<statement_id>:d<n>` (dispute n,
found owed). What it covers: the statement's lines not disputed, or the dispute's lines."""

from __future__ import annotations

import json

from sqlalchemy import func, select, update

from settlement.adapters.period_tables import disputes, periods, settlement_lines, statements
from settlement.domain.items import SERVICE_REVENUE


def parse_statement_ref(statement_ref: str) -> tuple[str, int | None]:
    """(statement id, dispute number or None); a reference in any other spelling (`:d`, `:d01`)
    names nothing (-1): one receivable, one spelling."""
    statement_id, separator, dispute = statement_ref.partition(":d")
    if not separator:
        return statement_id, None
    if dispute.isdigit() and dispute.isascii() and str(int(dispute)) == dispute:
        return statement_id, int(dispute)
    return statement_id, -1


def _statement(connection, statement_id: str) -> dict | None:
    row = connection.execute(
        select(statements).where(statements.c.statement_id == statement_id)
    ).first()
    return None if row is None else dict(row._mapping)


def _dispute(connection, statement_id: str, number: int) -> dict | None:
    row = connection.execute(
        select(disputes).where(
            disputes.c.statement_id == statement_id, disputes.c.dispute_no == number
        )
    ).first()
    return None if row is None else dict(row._mapping)


def receivable_meta(connection, statement_ref: str) -> dict | None:
    """`period`, `agreement_id`, `kind`, `amount_fen` of a receivable settlement asked for, or
    None (a reference it never asked a receivable under)."""
    statement_id, number = parse_statement_ref(statement_ref)
    statement = _statement(connection, statement_id)
    if statement is None:
        return None
    if number is None:
        if statement["receivable_state"] == "none":
            return None
        amount = (
            statement["acknowledged_fen"]
            if statement["kind"] == SERVICE_REVENUE
            else statement["total_fen"]
        )
    else:
        dispute = _dispute(connection, statement_id, number)
        if dispute is None or dispute["receivable_state"] == "none":
            return None
        amount = dispute["asked_fen"]
    return {
        "period": statement["period"],
        "agreement_id": statement["agreement_id"],
        "kind": statement["kind"],
        "amount_fen": amount,
    }


def payee_totals(connection, statement_ref: str) -> dict[str, int]:
    """What each payee is owed of the receivable (its lines summed per payee; none at 0)."""
    statement_id, number = parse_statement_ref(statement_ref)
    c = settlement_lines.c
    covered = c.dispute_no.is_(None) if number is None else c.dispute_no == number
    query = (
        select(c.payee_id, func.sum(c.amount_fen))
        .where(c.statement_id == statement_id, covered)
        .group_by(c.payee_id)
        .order_by(c.payee_id)
    )
    totals = {payee: int(total) for payee, total in connection.execute(query) if int(total) != 0}
    if number is None:
        return totals
    dispute = _dispute(connection, statement_id, number)
    asked = 0 if dispute is None else dispute["asked_fen"] or 0
    return totals if sum(totals.values()) == asked else _scaled(totals, asked)


def _scaled(totals: dict[str, int], amount: int) -> dict[str, int]:
    """`amount` shared in proportion to the positive totals, largest remainder first (ties by
    payee): a dispute asked for less than its lines (a credit took the rest)."""
    weights = {payee: total for payee, total in totals.items() if total > 0}
    whole = sum(weights.values())
    if amount <= 0 or whole <= 0:
        return {}
    shares = {payee: amount * w // whole for payee, w in weights.items()}
    order = sorted(weights, key=lambda payee: (-(amount * weights[payee] % whole), payee))
    for payee in order[: amount - sum(shares.values())]:
        shares[payee] += 1
    return {payee: share for payee, share in shares.items() if share}


def closer_of(connection, statement_ref: str) -> dict | None:
    """Who closed the receivable's period (`user_id`, `username`, `organisation_id`): the
    fund's proposals of its distributions are made on their behalf."""
    statement = _statement(connection, parse_statement_ref(statement_ref)[0])
    if statement is None:
        return None
    row = connection.execute(
        select(periods.c.closer_user_id, periods.c.closer_username, periods.c.closer_org_id).where(
            periods.c.period == statement["period"]
        )
    ).first()
    if row is None or row[0] is None:
        return None
    return {"user_id": row[0], "username": row[1], "organisation_id": row[2]}


def _note(connection, statement_ref: str, *conditions, **values) -> None:
    statement_id, number = parse_statement_ref(statement_ref)
    if number is None:
        table, where = statements, [statements.c.statement_id == statement_id]
    else:
        table = disputes
        where = [disputes.c.statement_id == statement_id, disputes.c.dispute_no == number]
    connection.execute(
        update(table).where(*where, *(c(table) for c in conditions)).values(**values)
    )


def note_receivable(connection, statement_ref: str, receivable_id, paid_fen: int) -> None:
    """The fund recorded the receivable (and how much of it is paid so far). The fund's news
    may come out of order: what is paid only ever grows."""
    _note(
        connection, statement_ref, receivable_state="recorded", receivable_id=receivable_id,
        receivable_reason=None,
    )  # fmt: skip
    _note(connection, statement_ref, lambda t: t.c.paid_fen < paid_fen, paid_fen=paid_fen)


def note_receivable_refused(connection, statement_ref: str, reason) -> None:
    """The fund refused to record it (`reason`: code, messages, details) — unless it recorded
    it already (a request asked again with another amount leaves the recorded one as it is)."""
    text = reason if isinstance(reason, str) else json.dumps(reason, ensure_ascii=False)
    _note(
        connection, statement_ref, lambda t: t.c.receivable_state != "recorded",
        receivable_state="refused", receivable_reason=text,
    )  # fmt: skip
