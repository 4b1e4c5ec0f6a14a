"""dispatch's use cases, each inside the unit of work it is given."""

from __future__ import annotations

from dispatch.adapters.repository import CandidateRepository
from dispatch.domain.model import Candidate, supersedes
from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import Envelope


def apply_labourer_state(uow: UnitOfWork, event: Envelope, labourer: dict) -> bool:
    """Bring the pool's copy of one labourer up to the event's version; False if it was stale."""
    repository = CandidateRepository(uow.connection)
    current = repository.get(labourer["person_id"])
    if not supersedes(event.version, current):
        return False
    repository.save(Candidate(version=event.version, **labourer), is_new=current is None)
    uow.commit()
    return True


def count_candidates(uow: UnitOfWork) -> int:
    return CandidateRepository(uow.connection).count()
