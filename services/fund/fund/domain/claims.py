"""Claims on advances a batch's no-shows leave behind (dispatch's `batch_departed`).

A batch's advance is paid one line per seat, each with the reference "<batch_id>/<seat>", so the
books keep what is outstanding per labourer. When a labourer does not show up for departure, the
fund records a claim on their seat's advance for what was outstanding on it then (never an
amount the event names): the HR company got that money for someone who did not go, and owes it
back, or accounts for it with vouchers, or the parties give it up. What happened since is read
from the journal: each later entry that reduced the advance on that reference recovered
(`advance_recovery` inflow), settled (`settle_advance`) or wrote off (a `write_off` outflow) part
of the claim, oldest first. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dispatch_contract.batches import advance_reference

OPEN, RECOVERED, SETTLED, WRITTEN_OFF = "open", "recovered", "settled", "written_off"
CLAIM_STATUSES = (OPEN, RECOVERED, SETTLED, WRITTEN_OFF)
# The journal entries that reduce an advance, and what they do to a claim on it.
REDUCED_BY = {
    "inflow:advance_recovery": RECOVERED,
    "settlement": SETTLED,
    "outflow:write_off": WRITTEN_OFF,
}
# What a departure may be read in: the batch's state at departure, or later (resync).
DEPARTED_STATUSES = ("departed", "arrived")
NO_SHOW = "no_show"
MAX_MEMBERS = 1000


@dataclass(frozen=True)
class ClaimState:
    claimed_fen: int
    recovered_fen: int
    settled_fen: int
    written_off_fen: int
    outstanding_fen: int
    status: str  # open while anything is outstanding; else what took its last part


def claim_state(claimed_fen: int, movements: Iterable[tuple[str, int]]) -> ClaimState:
    """A claim of `claimed_fen` after `movements`: (journal entry kind, amount it posted on the
    advance's reference), oldest first, since the claim. Only reductions count, each at most what
    is left of the claim (a later advance on the same reference is not the claim's)."""
    taken = {RECOVERED: 0, SETTLED: 0, WRITTEN_OFF: 0}
    left, last = claimed_fen, None
    for kind, amount_fen in movements:
        how = REDUCED_BY.get(kind)
        part = min(-amount_fen, left)
        if how is None or part <= 0:
            continue
        taken[how] += part
        left -= part
        last = how
    return ClaimState(
        claimed_fen,
        taken[RECOVERED],
        taken[SETTLED],
        taken[WRITTEN_OFF],
        left,
        OPEN if left > 0 or last is None else last,
    )


# -- reading a departure -----------------------------------------------------------------------


class DepartureUnreadable(ValueError):
    """A `batch_departed` the fund cannot take claims from (it says which field)."""


@dataclass(frozen=True)
class NoShow:
    batch_id: str
    seat: int
    person_id: str
    name: str

    @property
    def reference(self) -> str:
        """The advance reference dispatch gave the seat's line ("<batch_id>/<seat>")."""
        return advance_reference(self.batch_id, self.seat)


@dataclass(frozen=True)
class Departure:
    batch_id: str
    account_id: str  # the batch's agreement: its joint account
    hr_company: str
    version: int
    no_shows: tuple[NoShow, ...]


def _text(data: dict, field: str, longest: int) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip() or len(value) > longest:
        raise DepartureUnreadable(f"{field}: text of 1 to {longest} characters")
    return value


def read_departure(payload, record_id: str | None) -> Departure:
    """The no-shows of a batch's state (dispatch_contract batch_state), each with a seat; the
    batch is the event's record. Anything else in the state is not the fund's business."""
    if not isinstance(payload, dict):
        raise DepartureUnreadable("payload: the batch's state")
    batch_id = _text(payload, "batch_id", 36)
    if record_id is not None and record_id != batch_id:
        raise DepartureUnreadable("batch_id: the event's record")
    if payload.get("status") not in DEPARTED_STATUSES:
        raise DepartureUnreadable(f"status: one of {', '.join(DEPARTED_STATUSES)}")
    version = payload.get("version")
    if type(version) is not int or version < 1:
        raise DepartureUnreadable("version: a positive integer")
    members = payload.get("members")
    if not isinstance(members, list) or len(members) > MAX_MEMBERS:
        raise DepartureUnreadable(f"members: a list of at most {MAX_MEMBERS}")
    no_shows: dict[int, NoShow] = {}
    for member in members:
        if not isinstance(member, dict) or member.get("status") != NO_SHOW:
            continue
        seat = member.get("seat")
        if type(seat) is not int or seat < 1:
            raise DepartureUnreadable("members.seat: a positive integer for a no-show")
        if seat in no_shows:
            raise DepartureUnreadable(f"members.seat: seat {seat} twice")
        no_shows[seat] = NoShow(
            batch_id, seat, _text(member, "person_id", 36), _text(member, "name", 200)
        )
    return Departure(
        batch_id,
        _text(payload, "agreement_id", 36),
        _text(payload, "hr_company", 36),
        version,
        tuple(no_shows[seat] for seat in sorted(no_shows)),
    )
