"""The directory's use cases: sign-in, organisations, village groups, users, seals and keys.
Each runs inside the unit of work it is given; the entrypoint commits."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from registry.adapters.directory_repository import DirectoryRepository
from registry.domain import directory as d
from registry.exceptions import (
    AccountLocked,
    OrganisationExists,
    OrganisationNotFound,
    OrganisationRejected,
    SealExists,
    SealNotFound,
    SealRejected,
    SignInFailed,
    SigningKeyNotFound,
    SigningKeyRejected,
    UsernameTaken,
    UserNotFound,
    UserRejected,
    VillageGroupNotFound,
)
from registry.schemas import OrganisationSchema, SigningKeySchema, UserSchema, VillageGroupSchema
from sanbao_common import seals
from sanbao_common.access import AUDITOR, SIGNATORY, Principal, issue_token
from sanbao_common.context import Caller
from sanbao_common.crypto import (
    fingerprint,
    hash_password,
    load_public_key,
    new_password,
    new_totp_secret,
    signature_valid,
    statement_bytes,
    verify_password,
    verify_totp,
)
from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import new_envelope
from sanbao_common.errors import DomainError
from sanbao_common.messaging.outbox import write_events
from sanbao_common.validators import parse_division_code

SOURCE = "registry"
_org, _user, _group, _key = (
    OrganisationSchema(),
    UserSchema(),
    VillageGroupSchema(),
    SigningKeySchema(),
)


def _event(type_: str, caller: Caller, payload: dict, record_id: str, version: int | None) -> dict:
    return new_envelope(
        type_,
        source=SOURCE,
        county=caller.county,
        payload=payload,
        actor=caller.actor,
        correlation_id=caller.correlation_id,
        record_id=record_id,
        version=version,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _organisation(repo: DirectoryRepository, org_id: str) -> d.Organisation:
    org = repo.organisation(org_id) if org_id else None
    if org is None:
        raise OrganisationNotFound(org_id=org_id)
    return org


# -- bootstrap and sign-in ----------------------------------------------------------------------


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
    password = new_password()
    user = d.User(
        user_id=str(uuid.uuid4()),
        username=d.check_username(username),
        display_name="管理员",
        org_id=county_coop.org_id,
        roles=("coop_operator", "county_admin"),
        village_group=None,
        phone=None,
        email=None,
        password_hash=hash_password(password, n=scrypt_n),
        must_change_password=True,
        totp_secret=None,
        totp_pending=None,
        failed_logins=0,
        locked_until=None,
        active=True,
        version=1,
        changed_at=_now(),
        changed_by=caller.actor,
    )
    _add_user(repo, uow, caller, user)
    return user, password


def sign_in(
    uow: UnitOfWork,
    username: str,
    password: str,
    code: str | None,
    *,
    county: str,
    signing_key,
    ttl: timedelta,
    max_failures: int,
    lockout: timedelta,
) -> tuple[str, Principal]:
    """A token for a person who proves who they are. Failures are counted in the database, so
    neither a restart nor another replica resets a lockout; the answer never says which part was
    wrong."""
    repo = DirectoryRepository(uow.connection)
    user = repo.user_by_name(username or "")
    now = _now()
    if user is None or not user.active:
        raise SignInFailed()
    if user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(until=user.locked_until.isoformat(timespec="seconds"))
    password_ok = verify_password(password or "", user.password_hash)
    code_ok = user.totp_secret is None or (code is not None and verify_totp(user.totp_secret, code))
    if not (password_ok and code_ok):
        failures = user.failed_logins + 1
        locked = now + lockout if failures >= max_failures else None
        repo.save_user(replace(user, failed_logins=0 if locked else failures, locked_until=locked))
        uow.commit()  # the failure must count even though the answer is an error
        raise AccountLocked() if locked else SignInFailed()
    if user.failed_logins or user.locked_until:
        repo.save_user(replace(user, failed_logins=0, locked_until=None))
    org = _organisation(repo, user.org_id)
    roles = set(user.roles)
    if any(key.revoked_at is None for key in repo.signing_keys(user_id=user.user_id)):
        roles.add(SIGNATORY)
    return issue_token(
        signing_key,
        {
            "user_id": user.user_id,
            "username": user.username,
            "organisation_id": org.org_id,
            "organisation_kind": org.kind,
            "roles": tuple(sorted(roles)),
            "scope": d.scope_of(user, org),
            "county": county,
            "must_change_password": user.must_change_password,
        },
        ttl,
    )


def change_password(uow, principal: Principal, old: str, new: str, scrypt_n: int) -> None:
    repo = DirectoryRepository(uow.connection)
    user = repo.user(principal.user_id)
    if user is None or not verify_password(old or "", user.password_hash):
        raise SignInFailed()
    d.check_new_password(new, old)
    repo.save_user(
        replace(
            user,
            password_hash=hash_password(new, n=scrypt_n),
            must_change_password=False,
            version=user.version + 1,
            changed_at=_now(),
            changed_by=principal.actor,
        )
    )
    repo.record("user", user.user_id, "password_changed", repo.public_state(user), principal.actor)


def start_totp(uow, principal: Principal) -> str:
    repo = DirectoryRepository(uow.connection)
    user = repo.user(principal.user_id)
    secret = new_totp_secret()
    repo.save_user(replace(user, totp_pending=secret))
    return secret


def confirm_totp(uow, principal: Principal, code: str) -> None:
    repo = DirectoryRepository(uow.connection)
    user = repo.user(principal.user_id)
    if user.totp_pending is None or not verify_totp(user.totp_pending, code):
        raise SignInFailed(
            message_en="that code does not match; try the next one",
            message_zh="动态码不符，请使用下一个",
        )
    repo.save_user(
        replace(
            user,
            totp_secret=user.totp_pending,
            totp_pending=None,
            version=user.version + 1,
            changed_at=_now(),
        )
    )
    repo.record("user", user.user_id, "totp_enabled", repo.public_state(user), principal.actor)


# -- organisations ------------------------------------------------------------------------------


def register_organisation(uow: UnitOfWork, caller: Caller, data: dict) -> d.Organisation:
    repo = DirectoryRepository(uow.connection)
    parent = _organisation(repo, data["parent_id"]) if data.get("parent_id") else None
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
        changed_at=_now(),
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
        [_event(event, caller, dict(state, action=action, reason=reason), org.org_id, org.version)],
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
    org = _organisation(repo, org_id)
    changed = d.deactivate(org, repo.active_children(org_id), _now(), caller.actor)
    repo.save_organisation(changed)
    _organisation_changed(
        repo, uow, caller, changed, "deactivated", _reason(reason), event="organisation_changed"
    )
    return changed


def restore_organisation(uow, caller: Caller, org_id: str, reason: str) -> d.Organisation:
    repo = DirectoryRepository(uow.connection)
    org = _organisation(repo, org_id)
    parent = _organisation(repo, org.parent_id) if org.parent_id else None
    if org.division_code and repo.active_by_code(org.kind, org.division_code):
        raise OrganisationExists(code=org.division_code)
    changed = d.restore(org, parent, _now(), caller.actor)
    repo.save_organisation(changed)
    _organisation_changed(
        repo, uow, caller, changed, "restored", _reason(reason), event="organisation_changed"
    )
    return changed


def move_village(uow, caller: Caller, org_id: str, township_id: str, new_code, reason: str):
    repo = DirectoryRepository(uow.connection)
    village, township = _organisation(repo, org_id), _organisation(repo, township_id)
    if repo.active_by_code(d.VILLAGE_COOP, new_code.code):
        raise OrganisationExists(code=new_code.code)
    moved = d.move_village(village, township, new_code, _now(), caller.actor)
    repo.save_organisation(moved)
    action = f"moved from {village.division_code}"
    _organisation_changed(
        repo, uow, caller, moved, action, _reason(reason), event="organisation_changed"
    )
    return moved


def register_village_group(uow, caller: Caller, village_id: str, number: int, name: str):
    repo = DirectoryRepository(uow.connection)
    village = _organisation(repo, village_id)
    group = d.VillageGroup(d.group_code(village, number), village.org_id, d.check_name(name), True)
    if repo.group(group.group_code):
        raise OrganisationExists(code=group.group_code)
    repo.add_group(group)
    repo.record("village_group", group.group_code, "registered", _group.dump(group), caller.actor)
    write_events(
        uow, [_event("village_group_registered", caller, _group.dump(group), group.group_code, 1)]
    )
    return group


# -- users --------------------------------------------------------------------------------------


def _add_user(repo, uow, caller, user: d.User) -> None:
    if repo.user_by_name(user.username):
        raise UsernameTaken(username=user.username)
    repo.add_user(user)
    repo.record("user", user.user_id, "created", repo.public_state(user), caller.actor)
    write_events(uow, [_event("user_created", caller, _user.dump(user), user.user_id, 1)])


def create_user(uow, caller: Caller, data: dict, scrypt_n: int) -> tuple[d.User, str]:
    repo = DirectoryRepository(uow.connection)
    org = _organisation(repo, data["org_id"])
    group = _group_or_none(repo, data.get("village_group"))
    password = new_password()
    user = d.User(
        user_id=str(uuid.uuid4()),
        username=d.check_username(data["username"]),
        display_name=data["display_name"],
        org_id=org.org_id,
        roles=d.check_roles(data["roles"], org, group),
        village_group=group.group_code if group else None,
        phone=data.get("phone"),
        email=data.get("email"),
        password_hash=hash_password(password, n=scrypt_n),
        must_change_password=True,
        totp_secret=None,
        totp_pending=None,
        failed_logins=0,
        locked_until=None,
        active=True,
        version=1,
        changed_at=_now(),
        changed_by=caller.actor,
    )
    _add_user(repo, uow, caller, user)
    return user, password


def _group_or_none(repo, code: str | None):
    if not code:
        return None
    group = repo.group(code)
    if group is None:
        raise VillageGroupNotFound(group_code=code)
    return group


def _user_or_fail(repo, user_id: str) -> d.User:
    user = repo.user(user_id)
    if user is None:
        raise UserNotFound(user_id=user_id)
    return user


def change_user(uow, caller: Caller, user_id: str, roles=None, village_group=None, active=None):
    """New roles (and village group), or deactivation / reactivation; always in history."""
    repo = DirectoryRepository(uow.connection)
    user = _user_or_fail(repo, user_id)
    org = _organisation(repo, user.org_id)
    changes = {}
    if roles is not None:
        group = _group_or_none(repo, village_group)
        changes["roles"] = d.check_roles(roles, org, group)
        changes["village_group"] = group.group_code if group else None
    if active is not None:
        changes["active"] = bool(active)
        changes["failed_logins"], changes["locked_until"] = 0, None
    changed = replace(
        user, **changes, version=user.version + 1, changed_at=_now(), changed_by=caller.actor
    )
    repo.save_user(changed)
    action = "roles_changed" if roles is not None else ("reactivated" if active else "deactivated")
    repo.record("user", user.user_id, action, repo.public_state(changed), caller.actor)
    write_events(
        uow,
        [
            _event(
                "user_changed",
                caller,
                dict(_user.dump(changed), action=action),
                user.user_id,
                changed.version,
            )
        ],
    )
    return changed


def reset_password(uow, caller: Caller, user_id: str, scrypt_n: int) -> tuple[d.User, str]:
    repo = DirectoryRepository(uow.connection)
    user = _user_or_fail(repo, user_id)
    password = new_password()
    changed = replace(
        user,
        password_hash=hash_password(password, n=scrypt_n),
        must_change_password=True,
        failed_logins=0,
        locked_until=None,
        totp_secret=None,
        totp_pending=None,
        version=user.version + 1,
        changed_at=_now(),
        changed_by=caller.actor,
    )
    repo.save_user(changed)
    repo.record("user", user.user_id, "password_reset", repo.public_state(changed), caller.actor)
    return changed, password


# -- seals and signing keys ---------------------------------------------------------------------


PENDING, EFFECTIVE, REVOKED, SUPERSEDED = "pending", "effective", "revoked", "superseded"


def seal_view(row) -> dict:
    """A seal as callers and events see it: its state, and the registrar's word on it."""
    return {
        "org_id": row.org_id,
        "fingerprint": row.fingerprint,
        "public_key": row.public_key,
        "status": row.status,
        "submitted_at": row.submitted_at.isoformat() if row.submitted_at else None,
        "submitted_by": row.submitted_by,
        "confirmation": json.loads(row.confirmation) if row.confirmation else None,
        "confirmation_signature": row.confirmation_signature,
        "revocation": json.loads(row.revocation) if row.revocation else None,
        "revocation_signature": row.revocation_signature,
    }


def register_seal(
    uow, caller: Caller, principal: Principal, org_id: str, statement: dict, signature: str
):
    """Submit an organisation's seal: the seal signs a statement naming its own public key (proof
    of possession), sent by a member of that organisation. It waits for a seal registrar of
    another organisation to confirm it against the paper filing (`confirm_seal`); until then it
    certifies no one and opens nothing. Several may wait for one organisation: someone else's
    submission cannot block the real one."""
    repo = DirectoryRepository(uow.connection)
    org = _organisation(repo, org_id)
    if principal.organisation_id != org.org_id:
        raise SealRejected(
            message_en="a seal is submitted by a member of its own organisation",
            message_zh="印鉴只能由本组织人员提交",
        )
    d.check_statement(statement, "seal", org, caller.county)
    try:
        public_key = load_public_key(statement.get("public_key", ""))
    except ValueError:
        raise SealRejected(
            message_en="the statement's public key is not an Ed25519 key",
            message_zh="声明中的公钥不是 Ed25519 公钥",
        ) from None
    if not signature_valid(public_key, statement_bytes(statement), signature):
        raise SealRejected()
    seal_fingerprint = fingerprint(public_key)
    if repo.seal(seal_fingerprint):
        raise SealExists(fingerprint=seal_fingerprint)
    repo.add_seal(
        fingerprint=seal_fingerprint,
        org_id=org_id,
        public_key=statement["public_key"],
        proof=json.dumps({"statement": statement, "signature": signature}),
        status=PENDING,
        submitted_at=_now(),
        submitted_by=caller.actor,
    )
    view = seal_view(repo.seal(seal_fingerprint))
    write_events(uow, [_event("seal_submitted", caller, view, _record_id(view["fingerprint"]), 1)])
    return view


def _record_id(key_fingerprint: str) -> str:
    """A seal's or key's event record id: its fingerprint's 64 hex digits, without the spacing
    the paper form has."""
    return key_fingerprint.replace(" ", "")


def seal_record(row, org) -> seals.SealRecord:
    return seals.SealRecord(
        org_id=row.org_id,
        org_kind=org.kind,
        fingerprint=row.fingerprint,
        public_key=row.public_key,
        confirmation=json.loads(row.confirmation) if row.confirmation else {},
        confirmation_signature=row.confirmation_signature or "",
        revoked=row.status != EFFECTIVE,
    )


def confirm_seal(
    uow,
    caller: Caller,
    principal: Principal,
    confirmation: dict,
    signature: str,
    registrar_keys: dict,
):
    """A seal registrar's signed confirmation makes a submitted seal its organisation's
    effective one, replacing (and revoking) the one it names in `replaces`; other submissions
    for the organisation are superseded, and keys the replaced seal certified are revoked."""
    repo = DirectoryRepository(uow.connection)
    if not isinstance(confirmation, dict):
        raise SealRejected(message_en="not a confirmation", message_zh="不是确认声明")
    row = repo.seal(str(confirmation.get("fingerprint", "")))
    if row is None:
        raise SealNotFound(fingerprint=confirmation.get("fingerprint"))
    repo.lock_seals_of(row.org_id)
    row = repo.seal(row.fingerprint)
    org = _organisation(repo, row.org_id)
    if principal.organisation_id == org.org_id:
        raise SealRejected(
            message_en="a seal is confirmed by a registrar of another organisation",
            message_zh="印鉴须由其他组织的登记机关确认",
        )
    record = replace(
        seal_record(row, org),
        confirmation=confirmation,
        confirmation_signature=signature,
        revoked=False,
    )
    seals.check_confirmation(record, caller.county, registrar_keys)
    if row.status != PENDING:
        raise SealRejected(
            message_en="only a submitted seal waiting for confirmation can be confirmed",
            message_zh="只能确认待确认的印鉴",
            status=row.status,
        )
    current = repo.effective_seal(org.org_id)
    current_fingerprint = current.fingerprint if current is not None else None
    if confirmation["replaces"] != current_fingerprint:
        raise SealRejected(
            message_en="`replaces` must name the organisation's effective seal (or none)",
            message_zh="replaces 须为该组织当前有效的印鉴（或为空）",
            effective=current_fingerprint,
        )
    now = _now()
    events = []
    if current is not None:
        retired = {"replaced_by": row.fingerprint, "confirmation": confirmation}
        events += _retire_seal(repo, caller, current.fingerprint, retired, signature, now)
    for other in repo.seals(org.org_id, PENDING):
        if other.fingerprint != row.fingerprint:
            repo.update_seal(other.fingerprint, status=SUPERSEDED)
    repo.update_seal(
        row.fingerprint,
        status=EFFECTIVE,
        confirmation=json.dumps(confirmation, ensure_ascii=False),
        confirmation_signature=signature,
        confirmed_at=now,
    )
    view = dict(seal_view(repo.seal(row.fingerprint)), org_kind=org.kind)
    write_events(
        uow, [_event("seal_confirmed", caller, view, _record_id(view["fingerprint"]), 2), *events]
    )
    return view


def revoke_seal(
    uow,
    caller: Caller,
    principal: Principal,
    statement: dict,
    signature: str,
    registrar_keys: dict,
):
    """A lost or squatted seal revoked by a registrar's signed revocation, asked for by a member
    of its organisation or sent by the registrar's side: what it certified stops counting."""
    repo = DirectoryRepository(uow.connection)
    seals.check_revocation(statement, signature, caller.county, registrar_keys)
    row = repo.seal(statement["fingerprint"])
    if row is None or row.org_id != statement["organisation_id"]:
        raise SealNotFound(fingerprint=statement["fingerprint"])
    repo.lock_seals_of(row.org_id)
    row = repo.seal(row.fingerprint)
    if principal.organisation_id != row.org_id and AUDITOR not in principal.roles:
        raise SealRejected(
            message_en="a seal's revocation is sent by its organisation or the registrar's side",
            message_zh="印鉴注销须由本组织或登记机关提交",
        )
    if row.status in (REVOKED, SUPERSEDED):
        raise SealRejected(message_en="already revoked", message_zh="已注销", status=row.status)
    events = _retire_seal(repo, caller, row.fingerprint, statement, signature, _now())
    view = seal_view(repo.seal(row.fingerprint))
    write_events(
        uow, [_event("seal_revoked", caller, view, _record_id(view["fingerprint"]), 3), *events]
    )
    return view


def _retire_seal(
    repo, caller: Caller, seal_fingerprint: str, why: dict, signature: str, now
) -> list:
    """A seal revoked (or replaced) under the registrar's signature, and every key it certified
    with it: the `signing_key_revoked` events to publish."""
    repo.update_seal(
        seal_fingerprint,
        status=REVOKED,
        revocation=json.dumps(why, ensure_ascii=False),
        revocation_signature=signature,
        revoked_at=now,
    )
    events = []
    for key in repo.signing_keys(seal_fingerprint=seal_fingerprint):
        if key.revoked_at is not None:
            continue
        revocation = {"purpose": "seal_retired", "seal_fingerprint": seal_fingerprint, "why": why}
        repo.revoke_signing_key(key.fingerprint, json.dumps(revocation, ensure_ascii=False), now)
        record = _key.dump(repo.signing_key(key.fingerprint))
        payload = dict(
            record, seal_fingerprint=seal_fingerprint, revocation=revocation, seal_signature=None
        )
        events.append(
            _event("signing_key_revoked", caller, payload, _record_id(key.fingerprint), 2)
        )
    return events


def _seal_verified(repo, statement: dict, signature: str, purpose: str, county: str, keys: dict):
    """The organisation's effective seal, its registrar's confirmation verified here, signed
    `statement`."""
    org = _organisation(
        repo, statement.get("organisation_id") if isinstance(statement, dict) else None
    )
    d.check_statement(statement, purpose, org, county)
    row = repo.effective_seal(org.org_id)
    if row is None:
        raise seals.SealNotEffective(
            message_en="the organisation has no seal in effect: a seal registrar must confirm it "
            "first (sanbao seal confirm)",
            message_zh="该组织没有生效的印鉴：须先经印鉴登记机关确认",
            org_id=org.org_id,
        )
    seals.check_effective(seal_record(row, org), county, keys)
    if not signature_valid(load_public_key(row.public_key), statement_bytes(statement), signature):
        raise SealRejected(
            message_en="not signed by this organisation's seal", message_zh="并非由该组织印鉴签署"
        )
    return org, row


def enroll_signing_key(
    uow, caller: Caller, statement: dict, signature: str, registrar_keys: dict
) -> dict:
    """Store what an organisation's seal certified: this person's key signs for it (up to a
    limit). No administrator can make one: only the seal's signature is accepted."""
    repo = DirectoryRepository(uow.connection)
    org, seal = _seal_verified(repo, statement, signature, "certify", caller.county, registrar_keys)
    if set(statement) != set(seals.CERTIFICATE_FIELDS):
        raise SigningKeyRejected(
            message_en="a certificate has exactly the fields "
            + ", ".join(seals.CERTIFICATE_FIELDS),
            message_zh="证书字段不符",
        )
    user = _user_or_fail(repo, statement.get("user_id"))
    if user.org_id != org.org_id or not user.active:
        raise SigningKeyRejected(
            message_en="the person is not an active member of the organisation",
            message_zh="该人员不是该组织的有效成员",
        )
    limit = statement.get("limit_fen")
    if limit is not None and (type(limit) is not int or limit <= 0):
        raise SigningKeyRejected(
            message_en="a limit is a positive number of fen", message_zh="限额须为正整数（分）"
        )
    try:
        key = load_public_key(statement.get("public_key", ""))
    except ValueError:
        raise SigningKeyRejected(
            message_en="not an Ed25519 public key", message_zh="不是 Ed25519 公钥"
        ) from None
    key_fingerprint = fingerprint(key)
    if repo.signing_key(key_fingerprint):
        raise SigningKeyRejected(
            message_en="this key is already enrolled", message_zh="该密钥已登记"
        )
    now = _now()
    repo.add_signing_key(
        fingerprint=key_fingerprint,
        org_id=org.org_id,
        user_id=user.user_id,
        public_key=statement["public_key"],
        limit_fen=limit,
        certificate=json.dumps({"statement": statement, "signature": signature}),
        enrolled_at=now,
        enrolled_by=caller.actor,
        seal_fingerprint=seal.fingerprint,
    )
    record = _key.dump(repo.signing_key(key_fingerprint))
    payload = dict(
        record, seal_fingerprint=seal.fingerprint, certificate=statement, seal_signature=signature
    )
    record_id = _record_id(key_fingerprint)
    write_events(uow, [_event("signing_key_enrolled", caller, payload, record_id, 1)])
    return record


def revoke_signing_key(
    uow, caller: Caller, statement: dict, signature: str, registrar_keys: dict
) -> dict:
    repo = DirectoryRepository(uow.connection)
    org, seal = _seal_verified(repo, statement, signature, "revoke", caller.county, registrar_keys)
    key = repo.signing_key(statement.get("key_fingerprint", ""))
    if key is None or key.org_id != org.org_id:
        raise SigningKeyNotFound(fingerprint=statement.get("key_fingerprint"))
    if key.revoked_at is not None:
        raise SigningKeyRejected(message_en="already revoked", message_zh="已撤销")
    repo.revoke_signing_key(
        key.fingerprint, json.dumps({"statement": statement, "signature": signature}), _now()
    )
    record = _key.dump(repo.signing_key(key.fingerprint))
    payload = dict(
        record, seal_fingerprint=seal.fingerprint, revocation=statement, seal_signature=signature
    )
    record_id = _record_id(key.fingerprint)
    write_events(uow, [_event("signing_key_revoked", caller, payload, record_id, 2)])
    return record


def audit_seals(uow, county: str, registrar_keys: dict) -> list[dict]:
    """Every seal and unrevoked certificate that would not pass today's rules, with the reason:
    what a county redoes after upgrading (sanbao seal audit)."""
    repo = DirectoryRepository(uow.connection)
    findings = []
    orgs = {}

    def org_of(org_id):
        if org_id not in orgs:
            orgs[org_id] = repo.organisation(org_id)
        return orgs[org_id]

    for row in repo.seals():
        if row.status == PENDING:
            problem = "not confirmed by a seal registrar: it opens nothing and certifies no one"
        elif row.status == EFFECTIVE:
            try:
                seals.check_effective(seal_record(row, org_of(row.org_id)), county, registrar_keys)
                continue
            except DomainError as exc:
                problem = f"its confirmation does not verify: {exc.message_en}"
        else:
            continue
        findings.append(
            {
                "kind": "seal",
                "org_id": row.org_id,
                "fingerprint": row.fingerprint,
                "status": row.status,
                "problem": problem,
            }  # fmt: skip
        )
    for key in repo.signing_keys():
        if key.revoked_at is not None:
            continue
        seal_row = repo.seal(key.seal_fingerprint) if key.seal_fingerprint else None
        certificate = json.loads(key.certificate)
        try:
            if seal_row is None or seal_row.status != EFFECTIVE:
                raise seals.SealNotEffective(
                    message_en="its certifying seal is not in effect: certify the key again "
                    "with the confirmed seal"
                )
            seals.check_effective(
                seal_record(seal_row, org_of(seal_row.org_id)), county, registrar_keys
            )
            seals.check_certificate(
                certificate["statement"],
                certificate["signature"],
                seal_record(seal_row, org_of(seal_row.org_id)),
                org_id=key.org_id,
                user_id=key.user_id,
                public_key=key.public_key,
                limit_fen=key.limit_fen,
                county=county,
            )
            continue
        except DomainError as exc:
            problem = exc.message_en
        findings.append(
            {
                "kind": "certificate",
                "org_id": key.org_id,
                "fingerprint": key.fingerprint,
                "user_id": key.user_id,
                "problem": problem,
            }  # fmt: skip
        )
    return findings
