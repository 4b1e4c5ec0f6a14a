"""Withdrawing a user's sign-in tokens when what they say stops being true.

registry records the revocation in its own `token_revocations` table in the same transaction as
the change (so registry itself refuses the old tokens from that commit on) and publishes
`user_tokens_revoked`, from which every other service learns it (`sanbao_common.revocations`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from registry.directory.repository import DirectoryRepository
from registry.events import registry_event
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events
from sanbao_common.revocations import record, revocation_payload


def revoke_tokens(uow: UnitOfWork, caller: Caller, users: list, reason: str) -> None:
    """Void every token issued so far to each of `users` (directory `User`s)."""
    write_events(uow, revocation_events(uow, caller, users, reason))


def revocation_events(uow: UnitOfWork, caller: Caller, users: list, reason: str) -> list[dict]:
    """Record the revocations; the `user_tokens_revoked` events to publish with the change. The
    time is taken with the users' rows held (`sign_in` holds them too), so a token issued
    before it was issued before this change could be seen."""
    repo = DirectoryRepository(uow.connection)
    for user in users:
        repo.lock_user(user.user_id)
    now = datetime.now(UTC)
    events = []
    for user in users:
        record(uow, user.user_id, now)
        payload = revocation_payload(user.user_id, user.username, now, reason)
        events.append(registry_event("user_tokens_revoked", caller, payload, user.user_id))
    return events


def key_holders(repo: DirectoryRepository, user_ids: set[str]) -> list:
    """The users holding signing keys just revoked: their tokens carry the signatory role."""
    return [user for user_id in sorted(user_ids) if (user := repo.user(user_id))]


def roles_reduced(before, after) -> bool:
    """Whether a change of roles (or of village group) takes anything a token says away: a role
    granted takes nothing away, and shows in the next sign-in."""
    return bool(set(before.roles) - set(after.roles)) or before.village_group != after.village_group
