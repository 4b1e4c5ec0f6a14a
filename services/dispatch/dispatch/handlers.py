"""dispatch's use cases, each inside the unit of work it is given (the caller commits)."""

from __future__ import annotations

import logging

from dispatch.adapters.repository import CandidateRepository
from dispatch.domain.model import Candidate, apply_state, merged_tombstone
from dispatch.schemas import merge_of, people_of, person_state
from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import Envelope

log = logging.getLogger(__name__)


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
    tombstone at its merged version, so that a late event about it cannot bring it back, linked
    to the kept one (`candidates.merged_into`): a batch or placement holding the merged record
    holds the person, so the kept record is not booked again while it does (dispatch.batches),
    and the placement counts for the kept record in the degree of organisation.

    When both records are held already (two batches or placements for one person), nothing is
    undone here: it is logged for an operator to settle (cancel or release one of them)."""
    states, links = [], []
    for event in events:
        kept, merged_id, merged_version = merge_of(event)
        states.append(Candidate(**kept))
        states.append(merged_tombstone(kept, merged_id, merged_version))
        links.append((merged_id, kept["person_id"]))
    _apply(uow, states)  # writes the kept rows first: a booking of them waits, or is seen below
    repository = CandidateRepository(uow.connection)
    for merged_id, kept_id in links:
        final = repository.link_merged(merged_id, kept_id)
        holders = repository.holders(final)
        if len(holders) > 1:
            log.warning(
                "labourer_merged: %s was merged into %s, and one person is now held more than "
                "once (person id -> batch or placement id: %s); an operator must release or "
                "cancel all but one",
                merged_id,
                final,
                ", ".join(f"{person} -> {holder}" for person, holder in sorted(holders.items())),
            )


def count_candidates(uow: UnitOfWork) -> int:
    return CandidateRepository(uow.connection).count()
