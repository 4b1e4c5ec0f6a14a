"""The candidate pool: dispatch's own copy of what it needs to know about each labourer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


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
    willing_to_go: bool = False
    skills: list = field(default_factory=list)
    intention_regions: list = field(default_factory=list)
    status: str = "active"  # or "merged": folded into another record, no longer a candidate
    events_applied: int = 0


def apply_state(current: Candidate | None, incoming: Candidate) -> Candidate:
    """The pool's copy after an event carrying a labourer's whole state at `incoming.version`.

    Payloads are whole states, so only a newer version replaces the copy: an event that arrives
    late cannot roll the record back. Every applied event is counted either way."""
    if current is None:
        return replace(incoming, events_applied=1)
    newest = incoming if incoming.version > current.version else current
    return replace(newest, events_applied=current.events_applied + 1)


def merged_tombstone(kept: dict, merged_id: str, merged_version: int) -> Candidate:
    """What the pool keeps of a record merged into `kept`: nothing a match could use."""
    return Candidate(
        **dict(kept, person_id=merged_id, version=merged_version, status="merged",
               willing_to_go=False),
    )  # fmt: skip
