"""A placement (安置就业): one arrived labourer at work for an employer, followed up at 1, 3 and 6
months (后续跟踪), until it ends; and the degree of organisation (组织化程度) dispatch reports.

The `placement_started`, `placement_followed_up` and `placement_ended` events carry the
placement's whole state, exactly `PLACEMENT_STATE_FIELDS` (docs/events.md); each recorded
follow-up is an object with exactly `FOLLOW_UP_FIELDS`, each scheduled one `SCHEDULE_FIELDS`.
Amounts are integer fen a month, dates `YYYY-MM-DD` in the county's time (Asia/Shanghai).
Standard library only: settlement, registry and the CLI import this, never `dispatch`.
"""

from __future__ import annotations

PLACEMENT_STATE_FIELDS: tuple[str, ...] = (
    "placement_id", "batch_id", "order_id", "agreement_id", "agreement_version", "hr_company",
    "employer_id", "employer_name", "person_id", "name", "id_number_masked", "village_code",
    "township_code", "agent_id", "poor", "place_scope", "place", "starts_on", "wage_fen",
    "current_wage_fen", "status", "ended_on", "end_reason", "end_note", "schedule",
    "follow_ups", "started_at", "started_by", "ended_at", "ended_by", "version",
)  # fmt: skip
FOLLOW_UP_FIELDS: tuple[str, ...] = (
    "month", "due_on", "contacted_on", "outcome", "wage_fen", "note", "recorded_at",
    "recorded_by",
)  # fmt: skip
SCHEDULE_FIELDS: tuple[str, ...] = ("month", "due_on", "recorded")

ACTIVE, ENDED = "active", "ended"
PLACEMENT_STATUSES: tuple[str, ...] = (ACTIVE, ENDED)

# Follow-ups fall due this many calendar months after the start (a start on the 31st falls due
# on the last day of a shorter month).
FOLLOW_UP_MONTHS: tuple[int, ...] = (1, 3, 6)
# What the contact found: still at work there (with the wage now), or nobody reached. A person
# who left is not a follow-up outcome: end the placement (`END_REASONS`).
EMPLOYED, NOT_REACHED = "employed", "not_reached"
FOLLOW_UP_OUTCOMES: tuple[str, ...] = (EMPLOYED, NOT_REACHED)
# Why a placement ended (`returned`: 回乡, back home). Whatever the reason, when the placement
# ends the labourer is free for another batch and registry sets the four clears back to what
# they said before the placement (unless a township recorded the person's employment since).
RETURNED = "returned"
END_REASONS: tuple[str, ...] = (RETURNED, "changed_job", "contract_ended", "dismissed", "other")

# A follow-up's state on a day: not yet due, due (within the grace days after its date),
# overdue (past them).
DUE, OVERDUE = "due", "overdue"
FOLLOW_UP_STATES: tuple[str, ...] = (DUE, OVERDUE)
DEFAULT_GRACE_DAYS = 7

# The degree of organisation (docs/organisation-degree.md), by area.
DEGREE_LEVELS: tuple[str, ...] = ("county", "township", "village")
STABILITY_MONTHS: tuple[int, ...] = (3, 6)
DEGREE_COUNT_FIELDS: tuple[str, ...] = (
    "labourers", "away", "organised_away", "self_arranged_away", "organised_in_county",
)  # fmt: skip
