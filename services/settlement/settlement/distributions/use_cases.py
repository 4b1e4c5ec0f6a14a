"""Distributions' use cases: the fund's news of the receivables settlement asked for (noted on
the statements; each payment distributed pro rata by a `distribution_requested`), the fund's
news of those requests (a distribution's status; village income posted once it is paid), the
request asked again, and what callers read. Each inside the unit of work it is given.

A payment is distributed at most once per receivable and cumulative amount paid: the
receivable's row (`distributed_receivables`) is locked while it is distributed, and only a
payment beyond the highest distributed asks for anything (the difference of the payees'
targets), so a redelivered or late match asks for nothing twice."""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from sanbao_common.access import Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events
from settlement.adapters.money_tables import distributed_receivables
from settlement.adapters.period_tables import disputes, statements
from settlement.distributions import domain as d
from settlement.distributions.errors import DistributionNotFound, DistributionNotRepeatable
from settlement.distributions.events import SOURCE, distribution_request
from settlement.distributions.repository import DistributionRepository
from settlement.distributions.scope import check_requester
from settlement.periods import receivables
from settlement.villages.use_cases import post_income

log = logging.getLogger(__name__)
_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "sanbao:settlement:distributions")
# Who posts a village's income from a paid distribution: settlement itself, not whoever signed.
POSTED_BY = "system:settlement"


def distribution_id(request_key: str) -> str:
    return str(uuid.uuid5(_IDS, request_key))


def _payload(event) -> dict:
    return event.payload if isinstance(event.payload, dict) else {}


# -- receivables ------------------------------------------------------------------------------


def issued_reference(connection, ref) -> bool:
    """Whether `ref` is a receivable reference settlement itself issued, in its one spelling:
    a statement's id, or `<statement_id>:d<n>` of a dispute that exists."""
    if not isinstance(ref, str):
        return False
    statement_id, number = receivables.parse_statement_ref(ref)
    if number == -1:
        return False
    if number is None:
        table, where = statements, [statements.c.statement_id == statement_id]
    else:
        table = disputes
        where = [disputes.c.statement_id == statement_id, disputes.c.dispute_no == number]
    return connection.execute(select(table.c.statement_id).where(*where)).first() is not None


def apply_receivable_events(uow: UnitOfWork, events, county: str, wall_now: datetime) -> None:
    """`receivable_recorded` / `receivable_matched` of receivables settlement asked for: noted
    on their statement, and what was paid of each distributed."""
    for event in events:
        payload = _payload(event)
        ref = payload.get("statement_ref")
        if payload.get("requested_by") != SOURCE or not isinstance(ref, str):
            continue  # another's receivable, or one recorded by RPC
        if not issued_reference(uow.connection, ref):
            log.warning("%s for %r: not a reference settlement issued", event.type, ref[:120])
            continue
        meta = receivables.receivable_meta(uow.connection, ref)
        paid, amount = payload.get("paid_fen"), payload.get("amount_fen")
        if meta is None or type(paid) is not int or type(amount) is not int:
            log.warning("%s for %s: not a receivable settlement asked for", event.type, ref)
            continue
        receivables.note_receivable(uow.connection, ref, payload.get("receivable_id"), paid)
        if paid > 0:
            distribute(uow, event, payload, meta, county, wall_now)


def _lock_receivable(connection, ref: str, payload: dict, now: datetime) -> dict:
    """The receivable's distribution row, locked (made the first time)."""
    table = distributed_receivables
    query = select(table).where(table.c.statement_ref == ref).with_for_update()
    row = connection.execute(query).first()
    if row is None:
        fresh = {
            "statement_ref": ref,
            "receivable_id": str(payload.get("receivable_id"))[:36],
            "receivable_fen": payload["amount_fen"],
            "paid_fen": 0,
            "updated_at": now,
        }
        try:
            with connection.begin_nested():
                connection.execute(insert(table), [fresh])
        except IntegrityError:  # made meanwhile by another consumer: wait for it below
            pass
        row = connection.execute(query).first()
    return dict(row._mapping)


def distribute(
    uow: UnitOfWork, event, payload: dict, meta: dict, county: str, wall_now: datetime
) -> list[dict]:
    """One `distribution_requested` (or one per 500 payees) for what was paid beyond what was
    distributed already, on behalf of the period's closer; nothing when nothing more is due."""
    connection, ref, paid = uow.connection, payload["statement_ref"], payload["paid_fen"]
    state = _lock_receivable(connection, ref, payload, wall_now)
    if paid <= state["paid_fen"]:
        return []  # heard before, or after a later payment
    closer = receivables.closer_of(connection, ref)
    if closer is None:  # never so for a receivable asked at close; the next payment carries it
        log.error("the period of %s has no closer: its distribution waits", ref)
        return []
    connection.execute(
        update(distributed_receivables)
        .where(distributed_receivables.c.statement_ref == ref)
        .values(paid_fen=paid, updated_at=wall_now)
    )
    repo = DistributionRepository(connection)
    totals = receivables.payee_totals(connection, ref)
    wrong = d.totals_wrong(totals, meta["amount_fen"])
    if wrong is not None:  # never so when the lines are right: shown refused, nothing shared
        log.error("the payees of %s do not add up to its amount: %s", ref, wrong)
        key = d.request_key(ref, paid)
        repo.add(_row(key, ref, meta, payload, closer, [], wall_now, wrong), [])
        return []
    purpose = f"{d.PURPOSES.get(meta['kind'], '收益分配')} {meta['period']}"
    lines = d.lines_to_ask(
        paid, totals, repo.asked(ref), purpose, f"{meta['period']}/{ref}"
    )  # fmt: skip
    if not lines:
        return []
    made = []
    for key, chunk in d.chunks(lines, d.request_key(ref, paid)):
        row = _row(key, ref, meta, payload, closer, chunk, wall_now)
        repo.add(row, chunk)
        made.append(
            distribution_request(
                county, event.correlation_id, row, [asdict(line) for line in chunk]
            )
        )
    write_events(uow, made)
    return made


def _row(key, ref, meta, payload, closer, chunk, wall_now, refused=None) -> dict:
    """A distribution's row as first asked (or, with the reason, refused by settlement)."""
    return {
        "distribution_id": distribution_id(key), "request_key": key, "statement_ref": ref,
        "period": meta["period"], "agreement_id": meta["agreement_id"], "kind": meta["kind"],
        "counterparty_id": str(payload.get("counterparty_id"))[:100],
        "receivable_id": str(payload.get("receivable_id"))[:36],
        "receivable_fen": payload["amount_fen"],
        "paid_fen": payload["paid_fen"], "amount_fen": sum(line.amount_fen for line in chunk),
        "status": d.REQUESTED if refused is None else d.REFUSED, "proposal_id": None,
        "reason": refused, "expires_at": d.expiry(wall_now), "proposer_user_id": closer["user_id"],
        "proposer_username": closer["username"],
        "proposer_org_id": closer["organisation_id"], "replaces": None, "asked": 1,
        "requested_at": wall_now, "updated_at": wall_now, "income_posted": 0, "version": 1,
    }  # fmt: skip


# -- the fund's news of distributions ------------------------------------------------------------


def _request_of(event) -> tuple[str | None, str | None]:
    payload = _payload(event)
    if event.type == "fund_request_refused":
        return payload.get("source"), payload.get("request_key")
    request = payload.get("request") if isinstance(payload.get("request"), dict) else {}
    return request.get("source"), request.get("request_key")


def apply_fund_events(uow: UnitOfWork, events, wall_now: datetime, today) -> None:
    """`outflow_proposed` / `outflow_paid` / `outflow_rejected` / `fund_request_refused` about
    settlement's requests: each distribution's status follows; a paid one posts its village
    lines' income in the village books, once. A receivable request refused is noted on its
    statement with the reason."""
    for event in events:
        source, key = _request_of(event)
        if source != SOURCE or not isinstance(key, str):
            continue
        payload = _payload(event)
        if event.type == "fund_request_refused" and payload.get("kind") == "receivable":
            ref = key.rsplit("|", 1)[-1]
            if not issued_reference(uow.connection, ref):
                log.warning("a refusal for %r: not a reference settlement issued", ref[:120])
            elif receivables.receivable_meta(uow.connection, ref) is not None:
                receivables.note_receivable_refused(uow.connection, ref, payload.get("reason"))
            continue
        if not key.startswith(d.REQUEST_PREFIX):
            continue
        _follow(uow, event, key, payload, wall_now, today)


def _follow(uow: UnitOfWork, event, key: str, payload: dict, wall_now, today) -> None:
    repo = DistributionRepository(uow.connection)
    found = repo.by_key(key, lock=True)
    if found is None:
        log.warning("%s names request %s, which settlement does not have", event.type, key)
        return
    fields = ("status", "proposal_id", "reason", "expires_at")
    changed = d.after({f: found[f] for f in fields}, event.type, payload)
    if changed is None:
        return
    changes = dict(changed, updated_at=wall_now)
    if changed["status"] == d.PAID and not found["income_posted"]:
        lines = repo.lines([found["distribution_id"]])[found["distribution_id"]]
        post_income(uow.connection, found, lines, POSTED_BY, wall_now, today)
        changes["income_posted"] = 1
    repo.save(dict(found, **changes), found["version"])


# -- asked again ----------------------------------------------------------------------------------


def request_again(
    uow: UnitOfWork, caller: Caller, principal: Principal, dist_id: str, wall_now: datetime
) -> dict:
    """A refused, rejected or expired distribution asked for again under its key, on the
    caller's behalf (who becomes its proposer, and so cannot sign it), naming the proposal it
    replaces; `distribution_requested`."""
    check_requester(principal)
    repo = DistributionRepository(uow.connection)
    found = repo.get(dist_id, lock=True)
    if found is None:
        raise DistributionNotFound(distribution_id=dist_id)
    if d.refused_by_settlement(found["reason"]):  # nothing to ask again: its lines are wrong
        raise DistributionNotRepeatable(status=found["status"])
    replaces = d.replaces_for_repeat(
        found["status"], found["proposal_id"], found["expires_at"], wall_now
    )
    asked = dict(
        found, status=d.REQUESTED, reason=None, replaces=replaces, asked=found["asked"] + 1,
        expires_at=d.expiry(wall_now), proposer_user_id=principal.user_id,
        proposer_username=principal.username, proposer_org_id=principal.organisation_id,
        updated_at=wall_now,
    )  # fmt: skip
    saved = repo.save(asked, found["version"])
    lines = repo.lines([dist_id])[dist_id]
    write_events(uow, [distribution_request(caller.county, caller.correlation_id, saved, lines)])
    return view(saved, lines, wall_now)


def view(row: dict, lines: list[dict], now: datetime) -> dict:
    """A distribution as callers read it (status `expired` once its time ran out unsigned)."""
    return {
        "distribution_id": row["distribution_id"], "request_key": row["request_key"],
        "statement_ref": row["statement_ref"], "period": row["period"],
        "agreement_id": row["agreement_id"], "kind": row["kind"],
        "counterparty_id": row["counterparty_id"], "receivable_id": row["receivable_id"],
        "receivable_fen": row["receivable_fen"], "paid_fen": row["paid_fen"],
        "amount_fen": sum(line["amount_fen"] for line in lines),
        "status": d.shown_status(row["status"], row["expires_at"], now),
        "proposal_id": row["proposal_id"], "reason": row["reason"],
        "expires_at": row["expires_at"].isoformat(),
        "proposer": {"user_id": row["proposer_user_id"], "username": row["proposer_username"],
                     "organisation_id": row["proposer_org_id"]},
        "replaces": row["replaces"], "asked": row["asked"],
        "requested_at": row["requested_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
        "income_posted": bool(row["income_posted"]), "version": row["version"],
        "lines": [{"line_no": line["line_no"], "payee_id": line["payee_id"],
                   "amount_fen": line["amount_fen"], "purpose": line["purpose"],
                   "reference": line["reference"]} for line in lines],
    }  # fmt: skip
