"""Distributions, pure: what is asked for each payee as a receivable is paid, and what the fund's
news does to a distribution's status.

As cash is matched to a statement's receivable (amount A, cumulative paid P), each payee's
cumulative target is floor(P * t / A) of its total t (exactly t when P == A); what is asked is
the target less what was asked before, so partial payments are distributed pro rata and the
last one asks for the remainder: the distributions of a receivable paid in full add up to it
exactly, and a match heard twice, or out of order, asks for nothing more."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from settlement.distributions.errors import DistributionNotRepeatable
from settlement.domain.shares import pro_rata_floor

REQUEST_PREFIX = "distribution:"
DISTRIBUTION_DAYS = 14  # how long signatories have to sign it (as dispatch's advances)
MAX_LINES = 500  # a request's most lines (fund.requests.MAX_REQUEST_LINES)
REQUESTED, PROPOSED, PAID, REJECTED, REFUSED, EXPIRED = (
    "requested", "proposed", "paid", "rejected", "refused", "expired",
)  # fmt: skip
STATUSES = (REQUESTED, PROPOSED, PAID, REJECTED, REFUSED, EXPIRED)
PAYEE_TOTALS_WRONG = "PAYEE_TOTALS_WRONG"  # settlement refused to share a receivable out
PURPOSES = {"service_revenue": "劳务收益分配", "policy_subsidy": "政策补贴分配"}
FUND_OUTCOMES = {
    "outflow_proposed": PROPOSED,
    "outflow_paid": PAID,
    "outflow_rejected": REJECTED,
    "fund_request_refused": REFUSED,
}


@dataclass(frozen=True)
class Line:
    payee_id: str
    amount_fen: int
    purpose: str
    reference: str


def targets(paid_fen: int, totals: Mapping[str, int]) -> dict[str, int]:
    """Each payee's cumulative share of what was paid. The payees' totals are what the
    receivable covers: none below nothing, adding up to its amount (`totals_wrong` is checked
    first; were they not to, what is shared is at most their positive sum)."""
    weights = {payee: fen for payee, fen in totals.items() if fen > 0}
    whole = sum(weights.values())
    if whole == 0:
        return {}
    return pro_rata_floor(min(paid_fen, whole), whole, weights)


def totals_wrong(totals: Mapping[str, int], amount_fen: int) -> dict | None:
    """Why the payees' totals cannot share a receivable of `amount_fen` (a payee owed less than
    nothing, or totals not adding up to it: shared out, the others' money would pay it), as the
    distribution's reason; None when they can."""
    below = sorted(payee for payee, fen in totals.items() if fen < 0)
    if not below and sum(totals.values()) == amount_fen:
        return None
    return {
        "code": PAYEE_TOTALS_WRONG,
        "message_en": "the payees' totals do not add up to the receivable: nothing distributed",
        "message_zh": "各收款方金额之和与应收款不符：未分配",
        "details": {
            "amount_fen": amount_fen, "totals_fen": sum(totals.values()), "below_zero": below,
        },
    }  # fmt: skip


def refused_by_settlement(reason) -> bool:
    return isinstance(reason, dict) and reason.get("code") == PAYEE_TOTALS_WRONG


def lines_to_ask(
    paid_fen: int,
    totals: Mapping[str, int],
    asked: Mapping[str, int],
    purpose: str,
    reference: str,
) -> list[Line]:
    """The lines of the distribution a match asks for: each payee's target less what was asked
    for it already, where that is more than nothing (in payee order, so the same every time)."""
    wanted = targets(paid_fen, totals)
    return [
        Line(payee, fen - asked.get(payee, 0), purpose, reference)
        for payee, fen in sorted(wanted.items())
        if fen - asked.get(payee, 0) > 0
    ]


def chunks(lines: list[Line], request_key: str) -> list[tuple[str, list[Line]]]:
    """The request keys and lines of the requests: one, or several of at most MAX_LINES lines
    (`<key>/<n>`) when there are more payees."""
    if len(lines) <= MAX_LINES:
        return [(request_key, lines)]
    return [
        (f"{request_key}/{n}", lines[start : start + MAX_LINES])
        for n, start in enumerate(range(0, len(lines), MAX_LINES), start=1)
    ]


def request_key(statement_ref: str, paid_fen: int) -> str:
    return f"{REQUEST_PREFIX}{statement_ref}:{paid_fen}"


def expiry(now: datetime) -> datetime:
    return now + timedelta(days=DISTRIBUTION_DAYS)


def shown_status(status: str, expires_at: datetime, now: datetime) -> str:
    """`expired` for a request or proposal the fund can no longer pay (its time ran out
    unsigned: the fund publishes nothing then); otherwise the status stored."""
    if status in (REQUESTED, PROPOSED) and expires_at <= now:
        return EXPIRED
    return status


def replaces_for_repeat(status: str, proposal_id: str | None, expires_at, now) -> str | None:
    """What a repeated request names in `replaces`: the proposal made last under its key (null
    when the fund never made one). Only a refused, rejected or expired one is asked again."""
    if shown_status(status, expires_at, now) in (REFUSED, REJECTED, EXPIRED):
        return proposal_id
    raise DistributionNotRepeatable(status=shown_status(status, expires_at, now))


def after(current: dict, event_type: str, payload: dict) -> dict | None:
    """The distribution's (status, proposal_id, reason, expires_at) after one of the fund's
    events about its request, or None when the event changes nothing. Events arrive by several
    queues, in any order: a paid distribution stays paid; a refusal counts only while a request
    waits; news of a replaced proposal, or of another than the one known, is stale (as dispatch
    follows a batch's advance)."""
    if current["status"] == PAID:
        return None
    status = FUND_OUTCOMES[event_type]
    if event_type == "fund_request_refused":
        if current["status"] != REQUESTED:
            return None
        return dict(current, status=status, reason=payload.get("reason"))
    proposal_id, known = payload.get("proposal_id"), current.get("proposal_id")
    expires_at = _time(payload.get("expires_at")) or current["expires_at"]
    if status == PAID:
        return dict(current, status=status, proposal_id=proposal_id, reason=None,
                    expires_at=expires_at)  # fmt: skip
    if current["status"] in (REQUESTED, REFUSED):
        if known is not None and proposal_id == known:
            return None  # the replaced proposal's news
    elif proposal_id != known or status == PROPOSED:
        return None
    reason = payload.get("reason") if status == REJECTED else None
    return dict(current, status=status, proposal_id=proposal_id, reason=reason,
                expires_at=expires_at)  # fmt: skip


def _time(text) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return value if value.utcoffset() is not None else None
