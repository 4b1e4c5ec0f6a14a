"""Proving who one is: signing in, and changing one's own password or second factor.

Unlike the other use cases these open their own transactions, because scrypt must run outside
any: it holds a CPU for 50 to 200 ms (in a real thread, off the event loop:
`sanbao_common.crypto`), and a write transaction held that long would stall every other writer.
So each reads the user in a short reader, verifies with no transaction open, then writes what
the outcome changes in a short unit of work of its own:

- a wrong password or code counts toward the lockout in one UPDATE (`failed_logins + 1`, and
  the lock at the limit), committed although the answer is an error, whether it came at sign-in,
  at a password change or at a TOTP change; a locked account proves nothing until the lock runs
  out, not even with the right password;
- an unknown or inactive user name runs the same scrypt, against a dummy hash of the configured
  cost, and its failure is written like a known name's: the answer and the work are the same;
- sign-in attempts are counted per user name in the database (every replica shares the count)
  before anything is verified, and refused beyond the window's allowance (`SignInPolicy`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from registry.directory import domain as d
from registry.directory.repository import DirectoryRepository
from registry.directory.use_cases import organisation, utc_now
from registry.exceptions import AccountChangedMeanwhile, AccountLocked, SignInFailed
from sanbao_common.access import SIGNATORY, Principal, issue_token
from sanbao_common.crypto import (
    DataKey,
    dummy_password_hash,
    hash_password,
    new_totp_secret,
    verify_password,
    verify_totp,
)
from sanbao_common.db import DatabaseHandle, UnitOfWork


def sign_in_policy(settings) -> d.SignInPolicy:
    """The sign-in policy registry's settings (LOGIN_*) describe."""
    return d.SignInPolicy(
        max_failures=settings["LOGIN_MAX_FAILURES"],
        lockout=timedelta(seconds=settings["LOGIN_LOCKOUT_SECONDS"]),
        attempts=settings["LOGIN_ATTEMPTS_PER_NAME"],
        window=timedelta(seconds=settings["LOGIN_ATTEMPTS_WINDOW_SECONDS"]),
    )


def name_hash(key: DataKey, username: str) -> str:
    """How the rate limit knows a name: a keyed hash, since people type passwords in there."""
    return key.lookup_hash(f"sign-in name:{username}")


def sign_in(
    db: DatabaseHandle,
    key: DataKey,
    username: str,
    password: str,
    code: str | None,
    *,
    county: str,
    signing_key,
    ttl: timedelta,
    policy: d.SignInPolicy,
    scrypt_n: int,
) -> tuple[str, Principal]:
    """A token for a person who proves who they are. The answer never says which part was
    wrong, nor whether the name is someone's."""
    name, now = str(username or ""), utc_now()
    hashed = name_hash(key, name)
    dummy_password_hash(scrypt_n)  # made once, by whichever sign-in comes first, known or not
    with db.unit_of_work() as uow:
        attempts, window_start = DirectoryRepository(uow.connection).count_attempt(
            hashed, now, policy.window
        )
        uow.commit()
    d.check_attempts(attempts, window_start, policy)
    with db.reader() as uow:
        user = DirectoryRepository(uow.connection, key).user_by_name(name)
    if user is not None and not user.active:
        user = None  # an inactive user's name is as good as unknown
    if user is not None:
        d.check_not_locked(user, now)
    if not _proves(user, password, code, scrypt_n):
        _failed(db, user, now, policy, hashed)
    with db.unit_of_work() as uow:
        repo = DirectoryRepository(uow.connection, key)
        # With the row held, a revocation of this user commits wholly before (and the user is
        # read as it left them) or takes its time after this token's (and voids it).
        repo.lock_user(user.user_id)
        issued = utc_now()
        repo.clear_failures(user.user_id, issued)
        fields = _token_fields(repo, user, issued)
        uow.commit()
    return issue_token(signing_key, dict(fields, county=county), ttl, now=issued)


def _token_fields(repo: DirectoryRepository, proven: d.User, now: datetime) -> dict:
    """What the token says, from the user as they are now: still active, not locked since, and
    with the password and code that were just proven."""
    user = repo.user(proven.user_id)
    if user is None or not user.active:
        raise SignInFailed()
    d.check_not_locked(user, now)
    if (user.password_hash, user.totp_secret) != (proven.password_hash, proven.totp_secret):
        raise AccountChangedMeanwhile()
    org = organisation(repo, user.org_id)
    if not org.active:  # a deactivated organisation's people no longer act for it
        raise SignInFailed()
    roles = set(user.roles)
    if any(key.revoked_at is None for key in repo.signing_keys(user_id=user.user_id)):
        roles.add(SIGNATORY)
    return {
        "user_id": user.user_id,
        "username": user.username,
        "organisation_id": org.org_id,
        "organisation_kind": org.kind,
        "roles": tuple(sorted(roles)),
        "scope": d.scope_of(user, org),
        "must_change_password": user.must_change_password,
    }


def _proves(user: d.User | None, password, code, scrypt_n: int | None) -> bool:
    """Whether `password` (and `code`, once the user has a second factor) prove `user`. Nobody
    (None) is verified against the dummy hash, so that the same scrypt runs, and fails."""
    stored = user.password_hash if user is not None else dummy_password_hash(scrypt_n)
    password_ok = verify_password(password if isinstance(password, str) else "", stored)
    if user is None or not password_ok:
        return False
    return user.totp_secret is None or (code is not None and verify_totp(user.totp_secret, code))


def _failed(db, user: d.User | None, now, policy: d.SignInPolicy, hashed: str | None = None):
    """Count a failed proof (the user's lockout; the name's window at sign-in) and refuse."""
    with db.unit_of_work() as uow:
        repo = DirectoryRepository(uow.connection)
        if hashed is not None:
            repo.count_failed_attempt(hashed)
        until = None
        if user is not None:
            until = repo.count_failure(user.user_id, now, policy.max_failures, policy.lockout)
        uow.commit()  # the failure counts even though the answer is an error
    if until is not None:
        raise AccountLocked(until=until.isoformat(timespec="seconds"))
    raise SignInFailed()


def _proven(db, key, principal: Principal, password, code, policy: d.SignInPolicy) -> d.User:
    """The caller, once they prove their password (and their current code, when they have a
    second factor): a token alone changes nothing that proves who one is."""
    now = utc_now()
    with db.reader() as uow:
        user = DirectoryRepository(uow.connection, key).user(principal.user_id)
    if user is None or not user.active:
        raise SignInFailed()
    d.check_not_locked(user, now)
    if not _proves(user, password, code, None):
        _failed(db, user, now, policy)
    return user


# -- one's own password and second factor -------------------------------------------------------


def prove_password_change(
    db, key, principal: Principal, old: str, code, new: str, policy: d.SignInPolicy, scrypt_n: int
) -> tuple[d.User, str]:
    """The caller as read, once the old password (and a current code, for one with a second
    factor) proves them, and the new password's hash: what `change_password` stores. A wrong
    old password or code counts toward the lockout."""
    user = _proven(db, key, principal, old, code, policy)
    d.check_new_password(new, old)
    return user, hash_password(new, n=scrypt_n)


def change_password(uow: UnitOfWork, principal: Principal, proven: tuple[d.User, str]) -> None:
    """Store the new password `prove_password_change` hashed, if the account is still as it was
    read (not reset, locked or deactivated meanwhile)."""
    user, password_hash = proven
    repo = DirectoryRepository(uow.connection)
    if not repo.set_password(user, password_hash, principal.actor, utc_now()):
        raise AccountChangedMeanwhile()
    repo.record("user", user.user_id, "password_changed", repo.public_state(user), principal.actor)


def start_totp(db, key, principal: Principal, password, code, policy: d.SignInPolicy):
    """A new TOTP secret, pending until confirmed, for a caller who proves their password (and
    current code, when replacing one). Returns it and whether it replaces one."""
    user = _proven(db, key, principal, password, code, policy)
    secret = new_totp_secret()
    with db.unit_of_work() as uow:
        if not DirectoryRepository(uow.connection, key).set_totp_pending(user, secret, utc_now()):
            raise AccountChangedMeanwhile()
        uow.commit()
    return secret, user.totp_secret is not None


def confirm_totp(db, key, principal: Principal, new_code, password, code, policy):
    """The pending secret becomes the second factor: the caller proves their password (and
    current code, when replacing one) and a code of the new secret."""
    user = _proven(db, key, principal, password, code, policy)
    if user.totp_pending is None or not verify_totp(user.totp_pending, new_code):
        raise SignInFailed(
            message_en="that code does not match; try the next one",
            message_zh="动态码不符，请使用下一个",
        )
    with db.unit_of_work() as uow:
        repo = DirectoryRepository(uow.connection, key)
        if not repo.enable_totp(user, user.totp_pending, principal.actor, utc_now()):
            raise AccountChangedMeanwhile()
        repo.record("user", user.user_id, "totp_enabled", repo.public_state(user), principal.actor)
        uow.commit()
