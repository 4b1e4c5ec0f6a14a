"""Storage of the directory inside a unit of work's connection.

Staff phones, emails and TOTP secrets are sealed here, with the data key the repository is
given, and unsealed when read; a repository given no key reads them as `Sealed` values, which
are carried and stored back unchanged but can be neither shown nor used. Sign-in counters
change in single statements (`count_failure`, `clear_failures`, `count_attempt`), never by
writing a whole row back, so concurrent attempts all count and never undo someone else's
change.

Long because it is all of the directory's SQL (organisations, groups, the village list, users,
sign-in counters, seals and signing keys) in one place, as every sub-domain keeps its own."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, delete, func, insert, literal, null, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from registry.adapters.tables import (
    directory_history,
    organisations,
    seals,
    sign_in_attempts,
    signing_keys,
    townships,
    users,
    village_groups,
    villages,
)
from registry.directory.domain import Organisation, User, VillageGroup
from registry.directory.villages import Township, Village
from registry.schemas import UserSchema
from sanbao_common.crypto import DataKey

# A user's field -> the column its sealed form is stored in.
SEALED_COLUMNS = {
    "phone": "phone_sealed",
    "email": "email_sealed",
    "totp_secret": "totp_sealed",
    "totp_pending": "totp_pending_sealed",
}
_USER_FIELDS = [f.name for f in fields(User) if f.name != "extra"]
_SECRET_FIELDS = {"password_hash", "totp_secret", "totp_pending"}
_MASKS = UserSchema(only=("phone_masked", "email_masked"))
# Expired sign-in windows one attempt deletes: enough to keep up with any rate of new names.
_PRUNED_PER_ATTEMPT = 100
# PostgreSQL advisory lock key: changes to the village list apply one at a time.
_VILLAGE_LIST_LOCK = 0x56494C4C  # "VILL"


@dataclass(frozen=True)
class Sealed:
    """A sealed value read without the data key."""

    token: str = field(repr=False)


def _aware(moment):
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _organisation(row) -> Organisation:
    data = dict(row._mapping)
    data["changed_at"] = _aware(data["changed_at"])
    return Organisation(**data)


def _place(kind, row):
    data = dict(row._mapping)
    data["aliases"] = tuple(data["aliases"] or ())
    data["changed_at"] = _aware(data["changed_at"])
    return kind(**data)


def _user(row, key: DataKey | None) -> User:
    data = dict(row._mapping)
    for name, column in SEALED_COLUMNS.items():
        token = data.pop(column)
        data[name] = None if token is None else key.decrypt(token) if key else Sealed(token)
    data["roles"] = tuple(r for r in data["roles"].split(",") if r)
    data["changed_at"] = _aware(data["changed_at"])
    data["locked_until"] = _aware(data["locked_until"])
    return User(**data)


def _seal(value, key: DataKey | None):
    if value is None or isinstance(value, Sealed):
        return None if value is None else value.token
    if key is None:
        raise RuntimeError("a user's contact details and TOTP secrets are sealed with the data key")
    return key.encrypt(value)


def _user_columns(user: User, names, key: DataKey | None) -> dict:
    values = {}
    for name in names:
        value = getattr(user, name)
        if name in SEALED_COLUMNS:
            values[SEALED_COLUMNS[name]] = _seal(value, key)
        else:
            values[name] = ",".join(value) if name == "roles" else value
    return values


def _unlocked(now: datetime):
    return or_(users.c.locked_until.is_(None), users.c.locked_until <= now)


class DirectoryRepository:
    def __init__(self, connection: Connection, key: DataKey | None = None):
        self.connection = connection
        self.key = key

    # -- history -----------------------------------------------------------------------------

    def record(self, kind: str, record_id: str, action: str, state: dict, by: str, reason=None):
        self.connection.execute(
            insert(directory_history).values(
                record_kind=kind,
                record_id=record_id,
                action=action,
                reason=reason,
                state=json.dumps(state, ensure_ascii=False, default=str, sort_keys=True),
                at=datetime.now(UTC),
                by=by,
            )
        )

    def history(self, record_id: str) -> list[dict]:
        rows = self.connection.execute(
            select(directory_history)
            .where(directory_history.c.record_id == record_id)
            .order_by(directory_history.c.entry_id)
        )
        return [dict(row._mapping, state=json.loads(row.state), at=_aware(row.at)) for row in rows]

    # -- organisations -----------------------------------------------------------------------

    def add_organisation(self, org: Organisation) -> None:
        self.connection.execute(insert(organisations).values(**asdict(org)))

    def save_organisation(self, org: Organisation) -> None:
        values = asdict(org)
        self.connection.execute(
            update(organisations).where(organisations.c.org_id == org.org_id).values(**values)
        )

    def organisation(self, org_id: str) -> Organisation | None:
        row = self.connection.execute(
            select(organisations).where(organisations.c.org_id == org_id)
        ).first()
        return _organisation(row) if row else None

    def active_by_code(self, kind: str, code: str) -> Organisation | None:
        row = self.connection.execute(
            select(organisations).where(
                and_(
                    organisations.c.kind == kind,
                    organisations.c.division_code == code,
                    organisations.c.active.is_(True),
                )
            )
        ).first()
        return _organisation(row) if row else None

    def active_by_credit_code(self, credit_code: str) -> Organisation | None:
        row = self.connection.execute(
            select(organisations).where(
                organisations.c.credit_code == credit_code, organisations.c.active.is_(True)
            )
        ).first()
        return _organisation(row) if row else None

    def organisations(self, kind=None, under=None, active=None) -> list[Organisation]:
        query = select(organisations).order_by(organisations.c.division_code, organisations.c.name)
        if kind:
            query = query.where(organisations.c.kind == kind)
        if under:
            query = query.where(organisations.c.division_code.startswith(under))
        if active is not None:
            query = query.where(organisations.c.active.is_(active))
        return [_organisation(row) for row in self.connection.execute(query)]

    def active_children(self, org_id: str) -> int:
        return self.connection.execute(
            select(func.count())
            .select_from(organisations)
            .where(organisations.c.parent_id == org_id, organisations.c.active.is_(True))
        ).scalar_one()

    # -- village groups ----------------------------------------------------------------------

    def add_group(self, group: VillageGroup) -> None:
        self.connection.execute(insert(village_groups).values(**asdict(group)))

    def group(self, code: str) -> VillageGroup | None:
        row = self.connection.execute(
            select(village_groups).where(village_groups.c.group_code == code)
        ).first()
        return VillageGroup(**row._mapping) if row else None

    def groups(self, under: str | None = None) -> list[VillageGroup]:
        query = select(village_groups).order_by(village_groups.c.group_code)
        if under:
            query = query.where(village_groups.c.group_code.startswith(under))
        return [VillageGroup(**row._mapping) for row in self.connection.execute(query)]

    def groups_without_agent(self, under: str | None = None) -> list[VillageGroup]:
        """Active village groups no active agent is attached to (the guidance asks for 1-2)."""
        covered = (
            select(users.c.village_group)
            .where(users.c.active.is_(True), users.c.roles.contains("agent"))
            .where(users.c.village_group.is_not(None))
        )
        query = (
            select(village_groups)
            .where(village_groups.c.active.is_(True))
            .where(village_groups.c.group_code.not_in(covered))
            .order_by(village_groups.c.group_code)
        )
        if under:
            query = query.where(village_groups.c.group_code.startswith(under))
        return [VillageGroup(**row._mapping) for row in self.connection.execute(query)]

    # -- the village list --------------------------------------------------------------------

    def lock_village_list(self) -> None:
        """Hold the list until the transaction ends (PostgreSQL; SQLite's writers take turns
        anyway): two imports checked against the same list cannot both add a name."""
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _VILLAGE_LIST_LOCK}
            )

    def village_list_stamp(self) -> tuple[int, ...]:
        """What moves with every change to the list: rows are only added, and each change
        raises a row's version."""
        stamp = ()
        for table in (townships, villages):
            row = self.connection.execute(
                select(func.count(), func.coalesce(func.sum(table.c.version), 0))
            ).one()
            stamp += (int(row[0]), int(row[1]))
        return stamp

    def townships(self) -> dict[str, Township]:
        rows = self.connection.execute(select(townships).order_by(townships.c.code))
        return {row.code: _place(Township, row) for row in rows}

    def villages(self, under: str | None = None) -> dict[str, Village]:
        query = select(villages).order_by(villages.c.code)
        if under:
            query = query.where(villages.c.code.startswith(under))
        return {row.code: _place(Village, row) for row in self.connection.execute(query)}

    def save_place(self, place: Township | Village) -> None:
        """Add a township or village, or write its new version over the one before."""
        table = townships if isinstance(place, Township) else villages
        values = asdict(place) | {"aliases": list(place.aliases)}
        if place.version == 1:
            self.connection.execute(insert(table).values(**values))
        else:
            self.connection.execute(
                update(table)
                .where(table.c.code == place.code, table.c.version == place.version - 1)
                .values(**values)
            )

    # -- users -------------------------------------------------------------------------------

    def add_user(self, user: User) -> None:
        self.connection.execute(insert(users).values(**_user_columns(user, _USER_FIELDS, self.key)))

    def save_user(self, user: User, before: User) -> None:
        """Write the fields `user` changed from `before`, and only those: a concurrent change of
        another field (a failed sign-in counted meanwhile) is kept."""
        changed = [name for name in _USER_FIELDS if getattr(user, name) != getattr(before, name)]
        if changed:
            self.connection.execute(
                update(users)
                .where(users.c.user_id == user.user_id)
                .values(**_user_columns(user, changed, self.key))
            )

    def user(self, user_id: str) -> User | None:
        row = self.connection.execute(select(users).where(users.c.user_id == user_id)).first()
        return _user(row, self.key) if row else None

    def lock_user(self, user_id: str) -> None:
        """Hold the user's row until the transaction ends (PostgreSQL; SQLite's writers take
        turns anyway): a sign-in and a revocation of the same user happen one after the other."""
        self.connection.execute(
            select(users.c.user_id).where(users.c.user_id == user_id).with_for_update()
        )

    def user_by_name(self, username: str) -> User | None:
        row = self.connection.execute(select(users).where(users.c.username == username)).first()
        return _user(row, self.key) if row else None

    def users(self, org_id: str | None = None) -> list[User]:
        query = select(users).order_by(users.c.username)
        if org_id:
            query = query.where(users.c.org_id == org_id)
        return [_user(row, self.key) for row in self.connection.execute(query)]

    def user_count(self) -> int:
        return self.connection.execute(select(func.count()).select_from(users)).scalar_one()

    @staticmethod
    def public_state(user: User) -> dict:
        """What history keeps of a user: contact details masked, never a password hash or a
        TOTP secret."""
        hidden = _SECRET_FIELDS | {"extra", "phone", "email"}
        state = {k: v for k, v in asdict(user).items() if k not in hidden}
        return state | _MASKS.dump(user)

    # -- sign-in -----------------------------------------------------------------------------

    def count_failure(self, user_id: str, now: datetime, max_failures: int, lockout: timedelta):
        """One more wrong password or code, in one statement: `failed_logins + 1` (from 1 again
        when an earlier lock has run out), and the lock once it reaches `max_failures`. Returns
        until when the account is locked now, or None."""
        expired = and_(users.c.locked_until.is_not(None), users.c.locked_until <= now)
        count = case((expired, 1), else_=users.c.failed_logins + 1)
        until = literal(now + lockout, users.c.locked_until.type)
        still_locked = case((users.c.locked_until > now, users.c.locked_until), else_=until)
        row = self.connection.execute(
            update(users)
            .where(users.c.user_id == user_id)
            .values(
                failed_logins=count,
                locked_until=case(
                    (count >= max_failures, still_locked),
                    (expired, null()),
                    else_=users.c.locked_until,
                ),
            )
            .returning(users.c.locked_until)
        ).first()
        locked_until = _aware(row.locked_until) if row else None
        return locked_until if locked_until is not None and locked_until > now else None

    def clear_failures(self, user_id: str, now: datetime) -> None:
        """The count back to zero after a right proof, in one statement, unless the account was
        locked meanwhile (the caller reads the user again to find out)."""
        self.connection.execute(
            update(users)
            .where(
                users.c.user_id == user_id,
                _unlocked(now),
                or_(users.c.failed_logins > 0, users.c.locked_until.is_not(None)),
            )
            .values(failed_logins=0, locked_until=None)
        )

    def set_password(self, user: User, password_hash: str, actor: str, now: datetime) -> bool:
        """A new password for `user` as read (same version, still active, not locked)."""
        return self._update_as_read(
            user,
            now,
            password_hash=password_hash,
            must_change_password=False,
            failed_logins=0,
            locked_until=None,
            version=users.c.version + 1,
            changed_at=now,
            changed_by=actor,
        )

    def set_totp_pending(self, user: User, secret: str, now: datetime) -> bool:
        return self._update_as_read(
            user, now, totp_pending_sealed=_seal(secret, self.key), failed_logins=0
        )

    def enable_totp(self, user: User, secret: str, actor: str, now: datetime) -> bool:
        """`secret` (the pending one, whose code was just checked) becomes the second factor."""
        return self._update_as_read(
            user,
            now,
            totp_sealed=_seal(secret, self.key),
            totp_pending_sealed=None,
            failed_logins=0,
            version=users.c.version + 1,
            changed_at=now,
            changed_by=actor,
        )

    def _update_as_read(self, user: User, now: datetime, **values) -> bool:
        result = self.connection.execute(
            update(users)
            .where(
                users.c.user_id == user.user_id,
                users.c.version == user.version,
                users.c.active.is_(True),
                _unlocked(now),
            )
            .values(**values)
        )
        return result.rowcount == 1

    def count_attempt(self, name_hash: str, now: datetime, window: timedelta):
        """One more sign-in attempt of a name in its fixed window (a new window once the last
        has run out), in one statement; returns (attempts in the window, when it started).
        Deletes up to a hundred expired windows first (skipping those another attempt holds),
        so that the table only keeps names tried within the last window."""
        table, cutoff = sign_in_attempts, now - window
        expired = (
            select(table.c.name_hash)
            .where(table.c.window_start <= cutoff)
            .limit(_PRUNED_PER_ATTEMPT)
            .with_for_update(skip_locked=True)
        )
        self.connection.execute(delete(table).where(table.c.name_hash.in_(expired)))
        dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
        stale = table.c.window_start <= cutoff
        statement = (
            dialect.insert(table)
            .values(name_hash=name_hash, window_start=now, attempts=1, failures=0)
            .on_conflict_do_update(
                index_elements=[table.c.name_hash],
                set_={
                    "attempts": case((stale, 1), else_=table.c.attempts + 1),
                    "failures": case((stale, 0), else_=table.c.failures),
                    "window_start": case(
                        (stale, literal(now, table.c.window_start.type)),
                        else_=table.c.window_start,
                    ),
                },
            )
            .returning(table.c.attempts, table.c.window_start)
        )
        row = self.connection.execute(statement).one()
        return row.attempts, _aware(row.window_start)

    def count_failed_attempt(self, name_hash: str) -> None:
        """A wrong password or code for a name, known or not: every failed sign-in writes once,
        whether or not the name is someone's."""
        self.connection.execute(
            update(sign_in_attempts)
            .where(sign_in_attempts.c.name_hash == name_hash)
            .values(failures=sign_in_attempts.c.failures + 1)
        )

    # -- seals and signing keys --------------------------------------------------------------

    def lock_seals_of(self, org_id: str) -> None:
        """Changes to one organisation's seals apply one at a time (PostgreSQL; SQLite's writers
        are serialised already), so two confirmations can never leave two effective seals."""
        self.connection.execute(
            select(organisations.c.org_id).where(organisations.c.org_id == org_id).with_for_update()
        )

    def seal(self, fingerprint: str):
        return self.connection.execute(
            select(seals).where(seals.c.fingerprint == fingerprint)
        ).first()

    def effective_seal(self, org_id: str):
        return self.connection.execute(
            select(seals).where(seals.c.org_id == org_id, seals.c.status == "effective")
        ).first()

    def seals(self, org_id: str | None = None, status: str | None = None) -> list:
        query = select(seals).order_by(seals.c.submitted_at)
        if org_id:
            query = query.where(seals.c.org_id == org_id)
        if status:
            query = query.where(seals.c.status == status)
        return list(self.connection.execute(query))

    def seal_counts(self) -> dict[str, int]:
        rows = self.connection.execute(
            select(seals.c.status, func.count()).group_by(seals.c.status)
        )
        return {status: int(count) for status, count in rows}

    def add_seal(self, **values) -> None:
        self.connection.execute(insert(seals).values(**values))

    def update_seal(self, fingerprint: str, **values) -> None:
        self.connection.execute(
            update(seals).where(seals.c.fingerprint == fingerprint).values(**values)
        )

    def signing_key(self, fingerprint: str):
        return self.connection.execute(
            select(signing_keys).where(signing_keys.c.fingerprint == fingerprint)
        ).first()

    def add_signing_key(self, **values) -> None:
        self.connection.execute(insert(signing_keys).values(**values))

    def revoke_signing_key(self, fingerprint: str, revocation: str, at: datetime) -> None:
        self.connection.execute(
            update(signing_keys)
            .where(signing_keys.c.fingerprint == fingerprint)
            .values(revoked_at=at, revocation=revocation)
        )

    def signing_keys(
        self,
        org_id: str | None = None,
        user_id: str | None = None,
        seal_fingerprint: str | None = None,
    ) -> list:
        query = select(signing_keys).order_by(signing_keys.c.enrolled_at)
        if seal_fingerprint:
            query = query.where(signing_keys.c.seal_fingerprint == seal_fingerprint)
        if org_id:
            query = query.where(signing_keys.c.org_id == org_id)
        if user_id:
            query = query.where(signing_keys.c.user_id == user_id)
        return list(self.connection.execute(query))
