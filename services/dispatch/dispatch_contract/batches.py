"""A batch (输送批次) as dispatch publishes it: the fields of its whole state in the `batch_*`
events and the RPC replies, its statuses and its members'. Standard library only: registry, the
fund and the command line import this, never `dispatch` itself.

A batch gathers labourers for one job order: formed by the order's HR company (`forming`), its
invited members confirm or decline; approved by the county cooperative (`approved`: the
confirmed members get seats 1..n in invitation order, each seat its share of the cost estimate);
then `departed` (seat members `departed` or `no_show`) and `arrived`; `cancelled` while forming
or approved. A person is held by at most one open batch or placement at a time.

The advance: at approval a batch whose costs add up to more than nothing asks the fund for an
advance (`advance_requested`, fund_contract.requests) with one line per seat, referenced
`<batch_id>/<seat>` (`advance_reference`) under the request key `batch:<batch_id>`.
"""

from __future__ import annotations

FORMING, APPROVED, DEPARTED, ARRIVED, CANCELLED = (
    "forming", "approved", "departed", "arrived", "cancelled",
)  # fmt: skip
BATCH_STATUSES: tuple[str, ...] = (FORMING, APPROVED, DEPARTED, ARRIVED, CANCELLED)
# Batches that still hold (some of) their people; an arrived one holds its arrived members
# until each one's placement takes them over.
OPEN_BATCH_STATUSES: tuple[str, ...] = (FORMING, APPROVED, DEPARTED)

# invited -> confirmed | declined (forming); at approval confirmed members get a seat and the
# still invited are `released`; a seat's member may be `substituted` (approved); at departure a
# seat's member `departed` or was a `no_show`; at arrival `departed` -> `arrived`; a cancelled
# batch's invited and confirmed members are `released`; an arrived member the employer turned
# away, not placed, is `released` with a `released_reason` (release_from_batch).
MEMBER_STATUSES: tuple[str, ...] = (
    "invited", "confirmed", "declined", "released", "substituted", "departed", "no_show",
    "arrived",
)  # fmt: skip
RESPONSES: tuple[str, ...] = ("confirmed", "declined")

COST_KINDS: tuple[str, ...] = ("transport", "medical_exam", "training", "meals")
COST_PER: tuple[str, ...] = ("person", "batch")  # per seat, or split among the seats

# What dispatch knows of the advance, from the fund's events.
ADVANCE_STATUSES: tuple[str, ...] = ("requested", "proposed", "paid", "rejected", "refused")
ADVANCE_FIELDS: tuple[str, ...] = ("status", "request_key", "proposal_id", "reason", "expires_at")

BATCH_STATE_FIELDS: tuple[str, ...] = (
    "batch_id", "order_id", "agreement_id", "hr_company", "employer_id", "employer_name",
    "place_scope", "place", "title", "status", "costs", "advance_fen", "advance", "members",
    "substitutions", "formed_at", "formed_by", "approved_at", "approved_by", "departed_on",
    "arrived_on", "cancelled_reason", "version",
)  # fmt: skip
COST_FIELDS: tuple[str, ...] = ("kind", "per", "amount_fen")
MEMBER_FIELDS: tuple[str, ...] = (
    "person_id", "name", "id_number_masked", "village_code", "agent_id", "status", "seat",
    "share_fen", "invited_on", "responded_on", "released_reason",
)  # fmt: skip
SUBSTITUTION_FIELDS: tuple[str, ...] = (
    "seat",
    "out_person_id",
    "in_person_id",
    "reason",
    "on",
    "by",
)

BATCH_EVENTS: tuple[str, ...] = (
    "batch_formed", "batch_updated", "batch_approved", "batch_departed", "batch_arrived",
    "batch_cancelled",
)  # fmt: skip

ADVANCE_REQUEST_PREFIX = "batch:"


def advance_request_key(batch_id: str) -> str:
    return f"{ADVANCE_REQUEST_PREFIX}{batch_id}"


def advance_reference(batch_id: str, seat: int) -> str:
    """A seat's line of the advance (the fund keeps advances, and no-shows' claims, by it)."""
    return f"{batch_id}/{seat}"
