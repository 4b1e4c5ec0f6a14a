"""Batches (输送批次) and the rules they keep: pure Python, no I/O. Every guard runs before
anything changes, so a refused step leaves the batch as it was.

Shares: each seat bears every per-person cost item whole, and each per-batch item split evenly
among the seats by the largest remainder (the fen left over go one each to the lowest seats), so
the shares always add up to the estimate exactly. A substitute takes over the seat's share."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from dispatch.batches.errors import (
    AdvanceNotPaid,
    AdvanceNotRepeatable,
    AdvancePaid,
    AdvancePending,
    BatchStatusRefused,
    BatchTooLarge,
    DateRefused,
    NoneConfirmed,
    NotInBatch,
    NotInvited,
)
from dispatch_contract.batches import (
    APPROVED,
    ARRIVED,
    CANCELLED,
    DEPARTED,
    FORMING,
    advance_request_key,
)
from sanbao_common.clock import COUNTY_TIME

INVITED, CONFIRMED, DECLINED, RELEASED = "invited", "confirmed", "declined", "released"
SUBSTITUTED, MEMBER_DEPARTED, NO_SHOW, MEMBER_ARRIVED = (
    "substituted",
    "departed",
    "no_show",
    "arrived",
)
LIVE = (INVITED, CONFIRMED)  # holding a place while the batch forms
ADVANCE_DAYS = 14  # how long signatories have to sign the advance
# A batch's size, bounded by what its readers take: the fund makes a proposal of at most 500
# lines (one a seat) and reads at most 1,000 members of a departed batch (docs/api.md).
MAX_LIVE_MEMBERS = 500  # invited and confirmed at a time
MAX_MEMBER_ROWS = 1_000  # every member ever invited, declined, released or substituted included


@dataclass(frozen=True)
class Cost:
    kind: str
    per: str  # person | batch
    amount_fen: int


@dataclass(frozen=True)
class Member:
    batch_id: str
    person_id: str
    invited_seq: int
    name: str
    id_number_masked: str
    village_code: str
    agent_id: str | None
    status: str
    seat: int | None
    share_fen: int | None
    invited_on: date
    responded_on: date | None
    responded_by: str | None
    released_reason: str | None = None  # an arrived member let go without a placement


@dataclass(frozen=True)
class Substitution:
    batch_id: str
    seq: int
    seat: int
    out_person_id: str
    in_person_id: str
    reason: str
    substituted_on: date
    recorded_by: str


@dataclass(frozen=True)
class Batch:
    batch_id: str
    order_id: str
    agreement_id: str
    hr_company: str
    status: str
    costs: tuple[Cost, ...]
    advance: dict | None
    formed_at: datetime
    formed_by: str
    approved_at: datetime | None
    approved_by: str | None
    departed_on: date | None
    arrived_on: date | None
    cancelled_reason: str | None
    version: int


# -- money ---------------------------------------------------------------------------------


def split_evenly(amount_fen: int, seats: int) -> list[int]:
    """`amount_fen` over `seats` seats: equal parts, the leftover fen to the lowest seats."""
    if seats <= 0:
        return []
    part, left = divmod(amount_fen, seats)
    return [part + (1 if seat < left else 0) for seat in range(seats)]


def seat_shares(costs: tuple[Cost, ...] | list[Cost], seats: int) -> list[int]:
    """Each seat's share of the estimate, seat 1 first."""
    shares = [0] * seats
    for cost in costs:
        parts = (
            [cost.amount_fen] * seats
            if cost.per == "person"
            else split_evenly(cost.amount_fen, seats)
        )
        shares = [a + b for a, b in zip(shares, parts, strict=True)]
    return shares


def seated(members: list[Member]) -> list[Member]:
    """The members holding seats (approved onwards), seat 1 first."""
    return sorted((m for m in members if m.seat is not None), key=lambda m: m.seat)


def advance_fen(batch: Batch, members: list[Member]) -> int:
    """The seats' shares; while forming, the estimate for those confirmed so far."""
    if batch.status == FORMING:
        return sum(seat_shares(batch.costs, sum(m.status == CONFIRMED for m in members)))
    return sum(m.share_fen or 0 for m in seated(members))


# -- guards --------------------------------------------------------------------------------


def check_size(members: list[Member], live: int, new_rows: int) -> None:
    """The batch may take `live` more live members in `new_rows` more rows."""
    live_members = sum(m.status in LIVE for m in members) + live
    if live_members > MAX_LIVE_MEMBERS:
        raise BatchTooLarge(live_members=live_members, most=MAX_LIVE_MEMBERS)
    member_rows = len(members) + new_rows
    if member_rows > MAX_MEMBER_ROWS:
        raise BatchTooLarge(
            message_en="a batch keeps at most so many member rows in all (declined, released "
            "and substituted included): form another batch",
            message_zh="一个批次累计成员记录（含已拒绝、已释放、已替换）已达上限，请另组批次",
            member_rows=member_rows,
            most=MAX_MEMBER_ROWS,
        )


def check_status(batch: Batch, action: str, *allowed: str) -> None:
    if batch.status not in allowed:
        raise BatchStatusRefused(
            message_en=f"a {batch.status} batch cannot be {action} (only {', '.join(allowed)})",
            message_zh=f"状态为 {batch.status} 的批次不能办理此操作（仅限 {', '.join(allowed)}）",
            batch_id=batch.batch_id,
            status=batch.status,
        )


def check_day(day: date, today: date, field: str, not_before: date | None = None) -> None:
    """A date something happened: not in the future, not before what it follows."""
    if day > today:
        raise DateRefused(
            message_en=f"{field} {day} is in the future (today is {today})",
            message_zh=f"{field} {day} 晚于今天（{today}）",
        )
    if not_before is not None and day < not_before:
        raise DateRefused(
            message_en=f"{field} {day} is before {not_before}",
            message_zh=f"{field} {day} 早于 {not_before}",
        )


def _member(members: list[Member], person_id: str) -> Member | None:
    return next((m for m in members if m.person_id == person_id), None)


# -- steps ---------------------------------------------------------------------------------


def respond(
    batch: Batch, members: list[Member], person_id: str, response: str, on: date, by: str,
    today: date,
) -> Member:  # fmt: skip
    """An invited member's answer (a confirmed one may still decline while the batch forms)."""
    check_status(batch, "answered for", FORMING)
    member = _member(members, person_id)
    if member is None or member.status not in (
        (INVITED, CONFIRMED) if response == DECLINED else (INVITED,)
    ):
        raise NotInvited(person_id=person_id, status=member.status if member else None)
    check_day(on, today, "responded_on", member.invited_on)
    return replace(member, status=response, responded_on=on, responded_by=by)


def approve(batch: Batch, members: list[Member], at: datetime, by: str) -> tuple[Batch, list]:
    """Confirmed members get seats 1..n in invitation order, each its share; the still invited
    are released. Returns the batch and its changed members."""
    check_status(batch, "approved", FORMING)
    confirmed = sorted((m for m in members if m.status == CONFIRMED), key=lambda m: m.invited_seq)
    if not confirmed:
        raise NoneConfirmed(batch_id=batch.batch_id)
    shares = seat_shares(batch.costs, len(confirmed))
    changed = [
        replace(m, seat=seat, share_fen=share)
        for seat, (m, share) in enumerate(zip(confirmed, shares, strict=True), start=1)
    ]
    changed += [replace(m, status=RELEASED) for m in members if m.status == INVITED]
    approved = replace(batch, status=APPROVED, approved_at=at, approved_by=by)
    return _next(approved), changed


def substitute(
    batch: Batch, members: list[Member], out_person_id: str, newcomer: Member, on: date,
    today: date,
) -> tuple[Member, Member]:  # fmt: skip
    """The seat of `out_person_id` goes to `newcomer` (confirmed on `on`), with its share."""
    check_status(batch, "changed", APPROVED)
    out = _member(members, out_person_id)
    if out is None or out.seat is None or out.status != CONFIRMED:
        raise NotInBatch(person_id=out_person_id)
    check_day(on, today, "responded_on", batch.formed_at.astimezone(COUNTY_TIME).date())
    gone = replace(out, status=SUBSTITUTED, seat=None, share_fen=None)
    came = replace(
        newcomer, status=CONFIRMED, seat=out.seat, share_fen=out.share_fen, responded_on=on
    )
    return gone, came


def check_departure(batch: Batch, members: list[Member], on: date, today: date) -> None:
    check_status(batch, "departed", APPROVED)
    approved_on = batch.approved_at.astimezone(COUNTY_TIME).date() if batch.approved_at else None
    check_day(on, today, "departed_on", approved_on)
    if advance_fen(batch, members) > 0 and (batch.advance or {}).get("status") != "paid":
        raise AdvanceNotPaid(
            batch_id=batch.batch_id, advance=(batch.advance or {}).get("status", "none")
        )


def depart(
    batch: Batch, members: list[Member], on: date, no_shows: list[str], today: date
) -> tuple[Batch, list[Member]]:
    """Each seat's member departed, or was a no-show (named in `no_shows`)."""
    check_departure(batch, members, on, today)
    seats = {m.person_id: m for m in seated(members)}
    strangers = sorted(set(no_shows) - set(seats))
    if strangers:
        raise NotInBatch(person_id=", ".join(strangers))
    changed = [
        replace(m, status=NO_SHOW if m.person_id in no_shows else MEMBER_DEPARTED)
        for m in seats.values()
    ]
    return _next(replace(batch, status=DEPARTED, departed_on=on)), changed


def arrive(batch: Batch, members: list[Member], on: date, today: date) -> tuple[Batch, list]:
    check_status(batch, "marked arrived", DEPARTED)
    check_day(on, today, "arrived_on", batch.departed_on)
    changed = [replace(m, status=MEMBER_ARRIVED) for m in members if m.status == MEMBER_DEPARTED]
    return _next(replace(batch, status=ARRIVED, arrived_on=on)), changed


def release_arrived(batch: Batch, members: list[Member], person_id: str, reason: str) -> Member:
    """An arrived member the employer turned away, let go without a placement."""
    check_status(batch, "changed", ARRIVED)
    member = _member(members, person_id)
    if member is None or member.status != MEMBER_ARRIVED:
        raise NotInBatch(person_id=person_id, status=member.status if member else None)
    return replace(member, status=RELEASED, released_reason=reason)


def cancel(
    batch: Batch, members: list[Member], reason: str, now: datetime
) -> tuple[Batch, list[Member]]:
    """A forming or approved batch that will not go: its live members are released. Not once
    the advance is paid: that money is accounted for by departure (no-shows become claims); nor
    while it may still be paid (asked, or proposed and not expired on the wall clock `now`):
    signatories see the proposal, not the batch, and would pay for people who never leave."""
    check_status(batch, "cancelled", FORMING, APPROVED)
    if (batch.advance or {}).get("status") == "paid":
        raise AdvancePaid(batch_id=batch.batch_id)
    if advance_pending(batch, now):
        raise AdvancePending(batch_id=batch.batch_id, advance=batch.advance["status"])
    changed = [replace(m, status=RELEASED) for m in members if m.status in LIVE]
    return _next(replace(batch, status=CANCELLED, cancelled_reason=reason)), changed


def _next(batch: Batch) -> Batch:
    return replace(batch, version=batch.version + 1)


# -- the advance ---------------------------------------------------------------------------


def advance_asked(batch: Batch, expires_at: datetime, replaces: str | None = None) -> dict:
    """A request made (or made again, naming the proposal it `replaces`: news of that one is
    stale from now on)."""
    return {
        "status": "requested",
        "request_key": advance_request_key(batch.batch_id),
        "proposal_id": replaces,
        "reason": None,
        "expires_at": expires_at.isoformat(),
    }


def advance_expiry(at: datetime) -> datetime:
    return at + timedelta(days=ADVANCE_DAYS)


def advance_pending(batch: Batch, now: datetime) -> bool:
    """Asked of the fund, or proposed, and not expired: the fund may still pay it."""
    advance = batch.advance or {}
    return advance.get("status") in ("requested", "proposed") and (
        datetime.fromisoformat(advance["expires_at"]) > now
    )


def replaces_for_repeat(batch: Batch, now: datetime) -> str | None:
    """What a repeated request names in `replaces` (the fund makes a proposal again only when
    the request names the one it made last): after a refusal, the proposal made before it, if
    any; after a rejection or an expiry unsigned, that proposal. Anything else is not repeated:
    the request is on its way, pending or paid."""
    check_status(batch, "asked for an advance", APPROVED)
    advance = batch.advance or {}
    status = advance.get("status")
    expired = status in ("requested", "proposed") and not advance_pending(batch, now)
    if status in ("refused", "rejected") or expired:
        return advance.get("proposal_id")
    raise AdvanceNotRepeatable(batch_id=batch.batch_id, advance=status or "none")


FUND_OUTCOMES = {
    "outflow_proposed": "proposed",
    "outflow_paid": "paid",
    "outflow_rejected": "rejected",
    "fund_request_refused": "refused",
}


def advance_after(advance: dict | None, event_type: str, payload: dict) -> dict | None:
    """The batch's advance after one of the fund's events about its request, or None when the
    event changes nothing. Events reach dispatch by several queues, so in any order: a paid
    advance stays paid; a refusal counts only while a request waits; news of a replaced
    proposal, or of another than the one known, is stale."""
    if advance is None or advance["status"] == "paid":
        return None
    status = FUND_OUTCOMES[event_type]
    if event_type == "fund_request_refused":
        if advance["status"] != "requested":
            return None
        return dict(advance, status=status, reason=(payload.get("reason") or {}).get("code"))
    proposal_id, known = payload.get("proposal_id"), advance.get("proposal_id")
    if status == "paid":
        # Money left the joint account at this request, even for a proposal asked again since
        # (paid before it expired, heard after): the fund makes nothing new while a paid one
        # stands, so no later proposal will be paid instead.
        return dict(advance, status=status, proposal_id=proposal_id, reason=None,
                    expires_at=payload.get("expires_at") or advance.get("expires_at"))  # fmt: skip
    if advance["status"] in ("requested", "refused"):
        if known is not None and proposal_id == known:
            return None  # the replaced proposal's news
    elif proposal_id != known or status == "proposed":
        return None
    return dict(
        advance,
        status=status,
        proposal_id=proposal_id,
        reason=payload.get("reason") if status == "rejected" else None,
        expires_at=payload.get("expires_at") or advance.get("expires_at"),
    )
