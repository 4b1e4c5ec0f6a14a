"""dispatch's use cases, each inside the unit of work it is given (the caller commits)."""

from __future__ import annotations

from dispatch.adapters.repository import CandidateRepository
from dispatch.domain.model import Candidate, apply_state
from dispatch.schemas import LabourerStatePayload
from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import Envelope, load_payload

_payload = LabourerStatePayload()


def apply_labourer_states(uow: UnitOfWork, events: list[Envelope]) -> None:
    """Bring the pool's copies of these labourers up to the events' versions, in order."""
    incoming = [Candidate(version=e.version, **load_payload(_payload, e)) for e in events]
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


def count_candidates(uow: UnitOfWork) -> int:
    return CandidateRepository(uow.connection).count()
