"""The candidate pool: dispatch's own copy of what it needs to know about each labourer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Candidate:
    person_id: str
    name: str
    id_number_masked: str
    sex: str
    birth_date: date
    village_code: str
    version: int  # the registry record's version this copy reflects


def supersedes(incoming_version: int, current: Candidate | None) -> bool:
    """Whether a labourer's state at `incoming_version` should replace what the pool holds.

    Payloads are whole states, so applying only newer versions makes redelivered and
    out-of-order events harmless."""
    return current is None or incoming_version > current.version
