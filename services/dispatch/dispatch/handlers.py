"""dispatch's use cases, each inside the unit of work it is given (the caller commits)."""

from __future__ import annotations

from dispatch.adapters.repository import CandidateRepository
from dispatch.domain.model import Candidate, apply_state, merged_tombstone
from dispatch.schemas import merge_of, people_of, person_state
from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import Envelope


def _apply(uow: UnitOfWork, incoming: list[Candidate]) -> None:
    touched = {candidate.person_id for candidate in incoming}
    repository = CandidateRepository(uow.connection)
    pool = repository.get_many(list(touched))
    existing = set(pool)
    for candidate in incoming:
        pool[candidate.person_id] = apply_state(pool.get(candidate.person_id), candidate)
    repository.save_many(
        new=[pool[p] for p in touched if p not in existing],
        changed=[pool[p] for p in touched if p in existing],
    )


def apply_labourer_states(uow: UnitOfWork, events: list[Envelope]) -> None:
    """Bring the pool's copies of these labourers up to the events' versions, in order."""
    _apply(
        uow,
        [Candidate(**person_state(e, person)) for e in events for person in people_of(e)],
    )


def apply_merges(uow: UnitOfWork, events: list[Envelope]) -> None:
    """Two records were one person: the kept one stays in the pool; the other stays as a
    tombstone at its merged version, so that a late event about it cannot bring it back."""
    states = []
    for event in events:
        kept, merged_id, merged_version = merge_of(event)
        states.append(Candidate(**kept))
        states.append(merged_tombstone(kept, merged_id, merged_version))
    _apply(uow, states)


def count_candidates(uow: UnitOfWork) -> int:
    return CandidateRepository(uow.connection).count()
