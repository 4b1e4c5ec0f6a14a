"""What other services ask of the fund by event (`fund_contract.requests`): receivables to record
and outflows to propose on behalf of the person whose action caused them.

Each request is applied in a savepoint of the consumer's transaction and is kept by its key
(`fund_requests`): a receivable exactly once per business key; a proposal exactly once per
request key while it is pending or paid, made again only when a request names the rejected or
expired proposal it `replaces`. Whatever is redelivered, retried or replayed makes nothing
twice. A request the fund cannot act on (a closed account, a payee without a bank account, not
enough cash, a key recorded with another amount) is refused: kept with its reason, audited and
announced (`fund_request_refused`), never retried by the broker; asking again under the same key
tries again, since nothing was made.
"""

from __future__ import annotations

import logging
from datetime import datetime

from fund.adapters.repository import Books
from fund.audit_trail import audit
from fund.commands import money_out, receivables
from fund.domain import accounts as a
from fund.schemas import derived_id, new_event
from fund_contract.requests import PROPOSER_FIELDS, RECEIVABLE_KEY_FIELDS, REQUESTED_OUTFLOWS
from sanbao_common.context import Caller, on_behalf_of
from sanbao_common.db import UnitOfWork
from sanbao_common.errors import DomainError
from sanbao_common.messaging.outbox import write_events

log = logging.getLogger(__name__)

MAX_REQUEST_LINES = 500  # as a proposal made by RPC (fund.schemas.MAX_LINES)


class RequestRefused(DomainError):
    code = "REQUEST_MALFORMED"
    message_en = "the request does not fit fund_contract.requests"
    message_zh = "请求不符合资金服务的请求规范"


def _text(payload: dict, field: str, longest: int, *, optional: bool = False) -> str | None:
    value = payload.get(field)
    if optional and value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > longest:
        raise RequestRefused(field=field, why=f"text of 1 to {longest} characters")
    return value


def apply_receivable_requests(uow: UnitOfWork, events, county: str, source: str) -> None:
    for event in events:
        payload = event.payload if isinstance(event.payload, dict) else {}
        caller = on_behalf_of("fund", county, event.actor, event.correlation_id)
        account_id = str(payload.get("account_id"))[:36]
        request_key = "|".join(str(payload.get(field)) for field in RECEIVABLE_KEY_FIELDS)[:400]

        def make(uow=uow, payload=payload, caller=caller, event=event, account_id=account_id):
            data = {
                field: _text(payload, field, longest)
                for field, longest in (
                    ("kind", 20),
                    ("period", 20),
                    ("counterparty_id", 100),
                    ("counterparty_kind", 20),
                    ("counterparty_name", 200),
                    ("statement_ref", 100),
                )  # fmt: skip
            }
            data["amount_fen"] = payload.get("amount_fen")
            receivable, _ = receivables.record_receivable(
                uow, caller, account_id, data, party=None,
                requested_by=source, event_id=str(event.event_id),
            )  # fmt: skip
            return receivable.receivable_id

        _apply(uow, caller, event, source, "receivable", account_id, request_key, make)


def apply_outflow_requests(uow: UnitOfWork, events, county: str, source: str) -> None:
    for event in events:
        payload = event.payload if isinstance(event.payload, dict) else {}
        caller = on_behalf_of("fund", county, event.actor, event.correlation_id)
        request_key = str(payload.get("request_key"))[:200]
        account_id = str(payload.get("account_id"))[:36]
        books = Books(uow.connection)
        books.lock()  # the check and the making in one turn, whatever the number of replicas
        known = books.fund_request(source, request_key)
        if known is not None and known["state"] == "made":
            current = books.proposal(known["record_id"], county)
            if current is not None and (
                _live(current) or payload.get("replaces") != current.proposal_id
            ):
                continue  # made already, and not explicitly asked for again

        def make(
            uow=uow, payload=payload, caller=caller, event=event, account_id=account_id,
            request_key=request_key,
        ):  # fmt: skip
            kind, lines, expires_at, proposer = _outflow_request(payload, event)
            proposal = money_out.propose_outflow(
                uow, caller, proposer, account_id, kind, lines, expires_at,
                request=(source, request_key),
            )  # fmt: skip
            return proposal.proposal_id

        _apply(uow, caller, event, source, "outflow", account_id, request_key, make)


def _live(proposal: a.Proposal) -> bool:
    """Pending and not expired, or paid: asking for it again makes nothing."""
    if proposal.status == a.PAID:
        return True
    return proposal.status == a.PENDING and datetime.now(proposal.expires_at.tzinfo) < (
        proposal.expires_at
    )


def _outflow_request(payload: dict, event) -> tuple:
    """(kind, lines, expires_at, (proposer id, proposer org)) from an `advance_requested` or a
    `distribution_requested`: the kind is the event's."""
    _text(payload, "request_key", 200)
    kind = REQUESTED_OUTFLOWS.get(event.type)
    if kind is None:
        raise RequestRefused(field="type", why=f"one of {', '.join(REQUESTED_OUTFLOWS)}")
    lines = payload.get("lines")
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_REQUEST_LINES:
        raise RequestRefused(field="lines", why=f"1 to {MAX_REQUEST_LINES} lines")
    parsed = []
    for line in lines:
        line = line if isinstance(line, dict) else {}
        amount = line.get("amount_fen")
        if type(amount) is not int or amount <= 0:
            raise RequestRefused(field="lines.amount_fen", why="a positive integer")
        parsed.append(
            a.Line(
                _text(line, "payee", 36),
                amount,
                _text(line, "purpose", 500),
                _text(line, "reference", 100, optional=True),
            )
        )
    try:
        expires_at = datetime.fromisoformat(payload.get("expires_at"))
    except (TypeError, ValueError):
        raise RequestRefused(field="expires_at", why="an ISO 8601 time with its offset") from None
    if expires_at.utcoffset() is None:
        raise RequestRefused(field="expires_at", why="an ISO 8601 time with its offset")
    proposer = payload.get("proposer")
    proposer = proposer if isinstance(proposer, dict) else {}
    user_id, username, org_id = (_text(proposer, f, 100) for f in PROPOSER_FIELDS)
    if event.actor != f"user:{username}":  # the person whose action caused the request
        raise RequestRefused(field="proposer", why="the proposer is the event's actor")
    return kind, parsed, expires_at, (user_id, org_id)


def _apply(uow, caller: Caller, event, source, kind, account_id, request_key, make) -> None:
    """Make what the request asks (in a savepoint), and keep the request's outcome by its key."""
    books = Books(uow.connection)
    books.lock()
    known = books.fund_request(source, request_key)
    attempts = (known["attempts"] if known else 0) + 1
    row = {
        "source": source,
        "request_key": request_key,
        "kind": kind,
        "account_id": account_id,
        "attempts": attempts,
        "event_id": str(event.event_id),
    }
    try:
        with uow.connection.begin_nested():
            record_id = make()
    except DomainError as refused:
        reason = {"code": refused.code, "message_en": refused.message_en,
                  "message_zh": refused.message_zh, "details": refused.details}  # fmt: skip
        log.warning("%s request %s from %s refused: %s", kind, request_key, source, refused.code)
        if known is not None and known["state"] == "made":  # what it made stays; why not again
            books.save_fund_request(dict(known, **row, reason=refused.code))
        else:
            books.save_fund_request(dict(row, state="refused", record_id=None, reason=refused.code))
        audit(books, caller, "request_refused", None, dict(row, reason=reason))
        write_events(
            uow,
            [
                new_event(
                    "fund_request_refused",
                    caller,
                    dict(row, reason=reason),
                    derived_id(source, request_key),
                    attempts,
                )
            ],
        )
        return
    books.save_fund_request(dict(row, state="made", record_id=record_id, reason=None))
