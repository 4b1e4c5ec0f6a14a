"""The candidate pool: dispatch's own copy of what it needs to know about each labourer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date


@dataclass(frozen=True)
class Candidate:
    person_id: str
    name: str
    id_number_masked: str
    sex: str
    birth_year: int  # never the date: exact ages are registry's to check (check_age)
    village_code: str
    version: int  # the registry record's version this copy reflects
    poor: bool = False
    employment_status: str | None = None
    # The placement registry wrote employment_status from (its id); None: the township's record.
    employment_source: str | None = None
    willing_to_go: bool = False
    skills: list = field(default_factory=list)
    intention_regions: list = field(default_factory=list)
    status: str = "active"  # or "merged": folded into another record, no longer a candidate
    events_applied: int = 0
    # What ranking needs (issue 15): registry's intention and training answers, as codes where
    # registry's vocabulary knows them (events without them: None / []).
    intention_scope: str | None = None  # farthest the person means to go; "none"; None: untold
    industry_codes: list = field(default_factory=list)  # GB/T 4754 sections/divisions (E, E47)
    skill_codes: list = field(default_factory=list)
    training_intention: list = field(default_factory=list)  # [] = not willing to train
    expected_wage_fen: int | None = None  # a month
    earliest_start: date | None = None
    agent_id: str | None = None
    # dispatch's own, never from an event: the batch or placement holding this person. A booked
    # person is no candidate; a newer state from registry keeps the booking.
    booked_by: str | None = None
    # dispatch's own too: the record this one was merged into (set on a tombstone when dispatch
    # applies labourer_merged; the last record of a chain of merges). Not from a labourer state.
    merged_into: str | None = None


def apply_state(current: Candidate | None, incoming: Candidate) -> Candidate:
    """The pool's copy after an event carrying a labourer's whole state at `incoming.version`.

    Payloads are whole states, so an older version never replaces the copy: an event that
    arrives late cannot roll the record back. The same version does: it is the same state, and
    one resynced later (sanbao_common.messaging.resync) carries the fields added since. Every
    applied event is counted either way, and a booking (dispatch's own, no event carries it)
    stays whatever registry sends, as does the link of a merged record to the one it was merged
    into."""
    if current is None:
        return replace(incoming, events_applied=1)
    newest = incoming if incoming.version >= current.version else current
    return replace(
        newest,
        events_applied=current.events_applied + 1,
        booked_by=current.booked_by,
        merged_into=newest.merged_into or current.merged_into,
    )


def merged_tombstone(kept: dict, merged_id: str, merged_version: int) -> Candidate:
    """What the pool keeps of a record merged into `kept`: nothing a match could use, and the
    link to the kept record."""
    return Candidate(
        **dict(kept, person_id=merged_id, version=merged_version, status="merged",
               willing_to_go=False, merged_into=kept["person_id"]),
    )  # fmt: skip
