"""The directory's use cases: bootstrap, organisations, village groups and users (sign-in and
one's own password and TOTP: `sign_in`; seals and signing keys: `seal_use_cases`). Each runs
inside the unit of work it is given; the entrypoint commits.

Long because sign-in, organisations, groups and users share the directory's lookups (a user's
organisation, a village's place in the tree); split, each module would import the others."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

from registry.directory import domain as d
from registry.directory.repository import DirectoryRepository
from registry.directory.revocation import revoke_tokens, roles_reduced
from registry.events import registry_event
from registry.exceptions import (
    OrganisationExists,
    OrganisationNotFound,
    OrganisationRejected,
    UsernameTaken,
    UserNotFound,
    UserRejected,
    VillageGroupNotFound,
)
from registry.schemas import OrganisationSchema, UserSchema, VillageGroupSchema
from sanbao_common.context import Caller
from sanbao_common.crypto import DataKey, hash_password, new_password
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events
from sanbao_common.validators import parse_division_code

_org, _user, _group = OrganisationSchema(), UserSchema(), VillageGroupSchema()


def utc_now() -> datetime:
    return datetime.now(UTC)


def organisation(repo: DirectoryRepository, org_id: str) -> d.Organisation:
    """The organisation, or OrganisationNotFound."""
    org = repo.organisation(org_id) if org_id else None
    if org is None:
        raise OrganisationNotFound(org_id=org_id)
    return org


# -- bootstrap ----------------------------------------------------------------------------------


def bootstrap(uow: UnitOfWork, county: str, username: str, scrypt_n: int) -> tuple[d.User, str]:
    """The county's first administrator (and its cooperative), once: refused when users exist."""
    repo = DirectoryRepository(uow.connection)
    if repo.user_count():
        raise UserRejected(
            message_en="the county already has users; an administrator creates the others",
            message_zh="本县已有用户，其他用户由管理员创建",
        )
    caller = Caller(county, "system:bootstrap", uuid.uuid4().hex)
    county_coop = repo.active_by_code(d.COUNTY_COOP, county)
    if county_coop is None:
        county_coop = register_organisation(
            uow,
            caller,
            {
                "kind": d.COUNTY_COOP,
                "name": f"{county} 县级劳务合作联社",
                "division_code": parse_division_code(county),
                "credit_code": None,
                "parent_id": None,
            },
        )
    return _add_user(
        repo, uow, caller, one_time_password(scrypt_n),
        username=d.check_username(username), display_name="管理员", org_id=county_coop.org_id,
        roles=("coop_operator", "county_admin"), village_group=None, phone=None, email=None,
    )  # fmt: skip


# -- organisations ------------------------------------------------------------------------------


def register_organisation(uow: UnitOfWork, caller: Caller, data: dict) -> d.Organisation:
    repo = DirectoryRepository(uow.connection)
    parent = organisation(repo, data["parent_id"]) if data.get("parent_id") else None
    division = data.get("division_code")
    d.check_placement(data["kind"], division, data.get("credit_code"), parent, caller.county)
    if division is not None and repo.active_by_code(data["kind"], division.code):
        raise OrganisationExists(code=division.code)
    if data.get("credit_code") and repo.active_by_credit_code(data["credit_code"]):
        raise OrganisationExists(code=data["credit_code"])
    org = d.Organisation(
        org_id=str(uuid.uuid4()),
        kind=data["kind"],
        name=d.check_name(data["name"]),
        division_code=division.code if division else None,
        credit_code=data.get("credit_code") if d.KINDS[data["kind"]] is None else None,
        parent_id=parent.org_id if parent else None,
        active=True,
        version=1,
        changed_at=utc_now(),
        changed_by=caller.actor,
    )
    repo.add_organisation(org)
    _organisation_changed(
        repo, uow, caller, org, "registered", None, event="organisation_registered"
    )
    return org


def _organisation_changed(repo, uow, caller, org, action, reason, *, event):
    state = _org.dump(org)
    repo.record("organisation", org.org_id, action, state, caller.actor, reason)
    write_events(
        uow,
        [
            registry_event(
                event, caller, dict(state, action=action, reason=reason), org.org_id, org.version
            )
        ],
    )


def _reason(reason: str) -> str:
    reason = " ".join(str(reason or "").split())
    if not 2 <= len(reason) <= 500:
        raise OrganisationRejected(
            message_en="say why (2 to 500 characters)", message_zh="请说明原因（2 至 500 个字符）"
        )
    return reason


def deactivate_organisation(uow, caller: Caller, org_id: str, reason: str) -> d.Organisation:
    repo = DirectoryRepository(uow.connection)
    org = organisation(repo, org_id)
    changed = d.deactivate(org, repo.active_children(org_id), utc_now(), caller.actor)
    repo.save_organisation(changed)
    revoke_tokens(uow, caller, repo.users(org_id), "organisation_deactivated")
    _organisation_changed(
        repo, uow, caller, changed, "deactivated", _reason(reason), event="organisation_changed"
    )
    return changed


def restore_organisation(uow, caller: Caller, org_id: str, reason: str) -> d.Organisation:
    repo = DirectoryRepository(uow.connection)
    org = organisation(repo, org_id)
    parent = organisation(repo, org.parent_id) if org.parent_id else None
    if org.division_code and repo.active_by_code(org.kind, org.division_code):
        raise OrganisationExists(code=org.division_code)
    changed = d.restore(org, parent, utc_now(), caller.actor)
    repo.save_organisation(changed)
    _organisation_changed(
        repo, uow, caller, changed, "restored", _reason(reason), event="organisation_changed"
    )
    return changed


def move_village(uow, caller: Caller, org_id: str, township_id: str, new_code, reason: str):
    repo = DirectoryRepository(uow.connection)
    village, township = organisation(repo, org_id), organisation(repo, township_id)
    if repo.active_by_code(d.VILLAGE_COOP, new_code.code):
        raise OrganisationExists(code=new_code.code)
    moved = d.move_village(village, township, new_code, utc_now(), caller.actor)
    repo.save_organisation(moved)
    # Its people's tokens name the old code as their area, which may be given to another village.
    revoke_tokens(uow, caller, repo.users(org_id), "organisation_moved")
    action = f"moved from {village.division_code}"
    _organisation_changed(
        repo, uow, caller, moved, action, _reason(reason), event="organisation_changed"
    )
    return moved


def register_village_group(uow, caller: Caller, village_id: str, number: int, name: str):
    repo = DirectoryRepository(uow.connection)
    village = organisation(repo, village_id)
    group = d.VillageGroup(d.group_code(village, number), village.org_id, d.check_name(name), True)
    if repo.group(group.group_code):
        raise OrganisationExists(code=group.group_code)
    repo.add_group(group)
    repo.record("village_group", group.group_code, "registered", _group.dump(group), caller.actor)
    write_events(
        uow,
        [
            registry_event(
                "village_group_registered", caller, _group.dump(group), group.group_code, 1
            )
        ],
    )
    return group


# -- users --------------------------------------------------------------------------------------


def one_time_password(scrypt_n: int) -> tuple[str, str]:
    """A new one-time password and its hash: made before the unit of work that stores it opens,
    since scrypt takes 50 to 200 ms and no transaction should be held that long."""
    password = new_password()
    return password, hash_password(password, n=scrypt_n)


def _add_user(repo, uow, caller, credentials: tuple[str, str], **given) -> tuple[d.User, str]:
    """A new, active user with a one-time password (returned, to be shown once)."""
    password, password_hash = credentials
    user = d.User(
        user_id=str(uuid.uuid4()),
        **given,
        password_hash=password_hash,
        must_change_password=True,
        totp_secret=None,
        totp_pending=None,
        failed_logins=0,
        locked_until=None,
        active=True,
        version=1,
        changed_at=utc_now(),
        changed_by=caller.actor,
    )
    if repo.user_by_name(user.username):
        raise UsernameTaken(username=user.username)
    repo.add_user(user)
    repo.record("user", user.user_id, "created", repo.public_state(user), caller.actor)
    write_events(uow, [registry_event("user_created", caller, _user.dump(user), user.user_id, 1)])
    return user, password


def create_user(
    uow, caller: Caller, data: dict, credentials: tuple[str, str], key: DataKey
) -> tuple[d.User, str]:
    """A new user, their phone and email sealed with `key`; `credentials` from
    `one_time_password`."""
    repo = DirectoryRepository(uow.connection, key)
    org = organisation(repo, data["org_id"])
    group = _group_or_none(repo, data.get("village_group"))
    return _add_user(
        repo, uow, caller, credentials,
        username=d.check_username(data["username"]), display_name=data["display_name"],
        org_id=org.org_id, roles=d.check_roles(data["roles"], org, group),
        village_group=group.group_code if group else None, phone=data.get("phone"),
        email=data.get("email"),
    )  # fmt: skip


def _group_or_none(repo, code: str | None):
    if not code:
        return None
    group = repo.group(code)
    if group is None:
        raise VillageGroupNotFound(group_code=code)
    return group


def user_or_fail(repo, user_id: str) -> d.User:
    """The user, or UserNotFound."""
    user = repo.user(user_id)
    if user is None:
        raise UserNotFound(user_id=user_id)
    return user


def change_user(
    uow, caller: Caller, user_id: str, roles=None, village_group=None, active=None, *, key: DataKey
):
    """New roles (and village group), or deactivation / reactivation; always in history. Only
    the fields changed are written (a sign-in failure counted meanwhile stays counted)."""
    repo = DirectoryRepository(uow.connection, key)
    user = user_or_fail(repo, user_id)
    org = organisation(repo, user.org_id)
    changes = {}
    if roles is not None:
        group = _group_or_none(repo, village_group)
        changes["roles"] = d.check_roles(roles, org, group)
        changes["village_group"] = group.group_code if group else None
    if active is not None:
        changes["active"] = bool(active)
        changes["failed_logins"], changes["locked_until"] = 0, None
    changed = replace(
        user, **changes, version=user.version + 1, changed_at=utc_now(), changed_by=caller.actor
    )
    repo.save_user(changed, user)
    action = "roles_changed" if roles is not None else ("reactivated" if active else "deactivated")
    repo.record("user", user.user_id, action, repo.public_state(changed), caller.actor)
    if user.active and not changed.active:
        revoke_tokens(uow, caller, [changed], "deactivated")
    elif roles_reduced(user, changed):
        revoke_tokens(uow, caller, [changed], "roles_reduced")
    write_events(
        uow,
        [
            registry_event(
                "user_changed",
                caller,
                dict(_user.dump(changed), action=action),
                user.user_id,
                changed.version,
            )
        ],
    )
    return changed


def reset_password(
    uow, caller: Caller, user_id: str, credentials: tuple[str, str], key: DataKey
) -> tuple[d.User, str]:
    """A new one-time password (`credentials`, from `one_time_password`), no second factor."""
    repo = DirectoryRepository(uow.connection, key)
    user = user_or_fail(repo, user_id)
    password, password_hash = credentials
    changed = replace(
        user,
        password_hash=password_hash,
        must_change_password=True,
        failed_logins=0,
        locked_until=None,
        totp_secret=None,
        totp_pending=None,
        version=user.version + 1,
        changed_at=utc_now(),
        changed_by=caller.actor,
    )
    repo.save_user(changed, user)
    repo.record("user", user.user_id, "password_reset", repo.public_state(changed), caller.actor)
    revoke_tokens(uow, caller, [changed], "password_reset")
    return changed, password
