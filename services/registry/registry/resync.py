"""What registry republishes to one consumer on `resync_events` (sanbao_common.messaging.resync):
the current state of its records, as the ordinary events carry it, one source per event type.

- `labourer_updated`: every labourer (merged records too, at their final version, so that a
  consumer keeps them out), 500 to a page and an event as registration publishes them, each
  person's whole state at their current version with `changed` empty. `labourer_registered`
  has no source: a consumer takes the same state from either.
- `seal_confirmed`: for each organisation with a seal in effect, that seal's confirmation first
  (all a consumer that knows none of its seals, or the one it replaced, needs: it never holds a
  replaced seal in effect, even for a moment), then, when the seal replaced one that itself
  replaced another, the confirmations of the whole chain, oldest first, the current one last
  (what moves a consumer that held an older seal of the chain, one step at a time, forward to the
  current one). Each as it was published (version 2); none of a seal a registrar revoked, which
  could displace the current seal if it came before the `seal_revoked` of the other queue.
- `seal_revoked`: every seal a registrar revoked, in the order they were revoked. (A replaced
  seal is retired by its replacement's confirmation, as when it happened.)
- `signing_key_enrolled`: every key still certified; `signing_key_revoked`: every revoked key,
  with the statement that revoked it (a consumer keeps a revoked key revoked whatever arrives).
- `vocabulary_changed`: each vocabulary (industries, skills) whole at its current version, the
  seeded version 1 too, in one page (registry.directory.vocabulary_use_cases).
- `organisation_registered`: every organisation (active or not) at its current version, as the
  ordinary event carries it with `action` `registered` and `reason` null, 500 to a page in org id
  order: a consumer that keeps the highest version gets the directory as it is now.
- `organisation_bank_account_changed`: each organisation's current bank account (the highest
  version; organisations without one have none to send), 500 to a page in org id order
  (registry.directory.bank_account_use_cases).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC

from sqlalchemy import select, true

from registry.adapters.tables import labourers, organisations, seals, signing_keys
from registry.directory.bank_account_use_cases import bank_accounts_changed
from registry.directory.domain import Organisation
from registry.directory.repository import DirectoryRepository
from registry.directory.seal_use_cases import EFFECTIVE, REVOKED, seal_view
from registry.directory.vocabulary_use_cases import load_lexicon, vocabularies_changed
from registry.events import registry_event
from registry.people.events import labourer_state
from registry.people.registration import EVENT_BATCH
from registry.people.repository import PeopleRepository
from registry.schemas import OrganisationSchema, SigningKeySchema
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.resync import ResyncPage

_key = SigningKeySchema()
_org = OrganisationSchema()


def _record_id(key_fingerprint: str) -> str:
    return key_fingerprint.replace(" ", "")


# -- labourers -----------------------------------------------------------------------------------


def _labourer_states(repository: PeopleRepository, person_ids: list[str]) -> list[dict]:
    """The people's whole states as labourer events carry them, in the order given (the
    vocabularies read once for the page)."""
    people = repository.get_many(person_ids)
    households = repository.households_by_id(
        sorted({p.household_id for p in people.values() if p.household_id})
    )
    lexicon = load_lexicon(repository.connection)
    return [
        labourer_state(people[i], households.get(people[i].household_id), lexicon)
        for i in person_ids
    ]


def labourers_updated(uow: UnitOfWork, caller: Caller, after: str | None, limit: int):
    person_ids = (
        uow.connection.execute(
            select(labourers.c.person_id)
            .where(labourers.c.person_id > after if after else true())
            .order_by(labourers.c.person_id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    states = [
        dict(state, changed=[])
        for state in _labourer_states(PeopleRepository(uow.connection), person_ids)
    ]
    events = [
        registry_event("labourer_updated", caller, {"people": states[start : start + EVENT_BATCH]})
        for start in range(0, len(states), EVENT_BATCH)
    ]
    return ResyncPage(events, len(states), person_ids[-1] if len(person_ids) == limit else None)


# -- seals ---------------------------------------------------------------------------------------


def _replaced(row) -> str | None:
    return json.loads(row.confirmation).get("replaces") if row.confirmation else None


def seals_confirmed(uow: UnitOfWork, caller: Caller, after: str | None, limit: int):
    """One page: for each seal in effect, its confirmation, then its chain's (module docstring)."""
    repo = DirectoryRepository(uow.connection)
    rows = {row.fingerprint: row for row in repo.seals()}
    events, records = [], 0
    effective = sorted(
        (row for row in rows.values() if row.status == EFFECTIVE), key=lambda r: r.org_id
    )
    for current in effective:
        chain = [current]
        while (earlier := rows.get(_replaced(chain[0]))) is not None and earlier not in chain:
            chain.insert(0, earlier)
        kind = repo.organisation(current.org_id).kind
        records += len(chain)
        for row in [current, *chain] if len(chain) > 2 else [current]:
            view = dict(
                seal_view(row),  # as confirmed: a replaced seal's retirement is its successor's
                status=EFFECTIVE,
                revocation=None,
                revocation_signature=None,
                org_kind=kind,
            )
            events.append(
                registry_event("seal_confirmed", caller, view, _record_id(row.fingerprint), 2)
            )
    return ResyncPage(events, records)


def seals_revoked(uow: UnitOfWork, caller: Caller, after: str | None, limit: int):
    """One page: the seals registrars revoked, in the order they were."""
    rows = uow.connection.execute(
        select(seals).where(seals.c.status == REVOKED).order_by(seals.c.revoked_at)
    ).all()
    events = [
        registry_event("seal_revoked", caller, seal_view(row), _record_id(row.fingerprint), 3)
        for row in rows
        if json.loads(row.revocation or "{}").get("purpose") == "revoke_seal"
    ]
    return ResyncPage(events, len(events))


# -- signing keys --------------------------------------------------------------------------------


def _keys(uow: UnitOfWork, revoked: bool, after: str | None, limit: int) -> list:
    revoked_at = signing_keys.c.revoked_at
    return uow.connection.execute(
        select(signing_keys)
        .where(
            revoked_at.is_not(None) if revoked else revoked_at.is_(None),
            signing_keys.c.fingerprint > after if after else true(),
        )
        .order_by(signing_keys.c.fingerprint)
        .limit(limit)
    ).all()


def _page(events: list, rows: list, limit: int) -> ResyncPage:
    return ResyncPage(events, len(rows), rows[-1].fingerprint if len(rows) == limit else None)


def keys_enrolled(uow: UnitOfWork, caller: Caller, after: str | None, limit: int):
    rows = _keys(uow, False, after, limit)
    events = []
    for row in rows:
        certified = json.loads(row.certificate)
        payload = dict(
            _key.dump(row),
            seal_fingerprint=row.seal_fingerprint,
            certificate=certified["statement"],
            seal_signature=certified["signature"],
        )
        events.append(
            registry_event("signing_key_enrolled", caller, payload, _record_id(row.fingerprint), 1)
        )
    return _page(events, rows, limit)


def keys_revoked(uow: UnitOfWork, caller: Caller, after: str | None, limit: int):
    rows = _keys(uow, True, after, limit)
    events = []
    for row in rows:
        revocation = json.loads(row.revocation or "{}")
        if revocation.get("purpose") == "seal_retired":  # retired with its seal
            statement, signature = revocation, None
        else:  # revoked by its seal's signed statement
            statement, signature = revocation.get("statement"), revocation.get("signature")
        payload = dict(
            _key.dump(row),
            seal_fingerprint=row.seal_fingerprint,
            revocation=statement,
            seal_signature=signature,
        )
        events.append(
            registry_event("signing_key_revoked", caller, payload, _record_id(row.fingerprint), 2)
        )
    return _page(events, rows, limit)


# -- organisations -------------------------------------------------------------------------------


def organisations_registered(uow: UnitOfWork, caller: Caller, after: str | None, limit: int):
    """One page of organisations in org id order, each as `organisation_registered` carries it."""
    rows = uow.connection.execute(
        select(organisations)
        .where(organisations.c.org_id > after if after else true())
        .order_by(organisations.c.org_id)
        .limit(limit)
    ).all()
    events = []
    for row in rows:
        org = Organisation(**dict(row._mapping))
        if org.changed_at.tzinfo is None:  # SQLite gives the column back naive
            org = replace(org, changed_at=org.changed_at.replace(tzinfo=UTC))
        state = dict(_org.dump(org), action="registered", reason=None)
        events.append(
            registry_event("organisation_registered", caller, state, org.org_id, org.version)
        )
    return ResyncPage(events, len(rows), rows[-1].org_id if len(rows) == limit else None)


# In the order a resync publishes them: the words and the seals others' records are checked
# against first, then where organisations' money goes, the people (the most) last.
RESYNC_SOURCES = {
    "vocabulary_changed": vocabularies_changed,
    "seal_confirmed": seals_confirmed,
    "seal_revoked": seals_revoked,
    "signing_key_enrolled": keys_enrolled,
    "signing_key_revoked": keys_revoked,
    "organisation_registered": organisations_registered,
    "organisation_bank_account_changed": bank_accounts_changed,
    "labourer_updated": labourers_updated,
}
