"""Storage of the directory inside a unit of work's connection."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection

from registry.adapters.tables import (
    directory_history,
    organisations,
    seals,
    signing_keys,
    users,
    village_groups,
)
from registry.directory.domain import Organisation, User, VillageGroup

_USER_FIELDS = [c.name for c in users.columns]
_SECRET_FIELDS = {"password_hash", "totp_secret", "totp_pending"}


def _aware(moment):
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _organisation(row) -> Organisation:
    data = dict(row._mapping)
    data["changed_at"] = _aware(data["changed_at"])
    return Organisation(**data)


def _user(row) -> User:
    data = dict(row._mapping)
    data["roles"] = tuple(r for r in data["roles"].split(",") if r)
    data["changed_at"] = _aware(data["changed_at"])
    data["locked_until"] = _aware(data["locked_until"])
    return User(**data)


def _user_row(user: User) -> dict:
    data = {name: getattr(user, name) for name in _USER_FIELDS}
    data["roles"] = ",".join(user.roles)
    return data


class DirectoryRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

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

    # -- users -------------------------------------------------------------------------------

    def add_user(self, user: User) -> None:
        self.connection.execute(insert(users).values(**_user_row(user)))

    def save_user(self, user: User) -> None:
        self.connection.execute(
            update(users).where(users.c.user_id == user.user_id).values(**_user_row(user))
        )

    def user(self, user_id: str) -> User | None:
        row = self.connection.execute(select(users).where(users.c.user_id == user_id)).first()
        return _user(row) if row else None

    def user_by_name(self, username: str) -> User | None:
        row = self.connection.execute(select(users).where(users.c.username == username)).first()
        return _user(row) if row else None

    def users(self, org_id: str | None = None) -> list[User]:
        query = select(users).order_by(users.c.username)
        if org_id:
            query = query.where(users.c.org_id == org_id)
        return [_user(row) for row in self.connection.execute(query)]

    def user_count(self) -> int:
        return self.connection.execute(select(func.count()).select_from(users)).scalar_one()

    @staticmethod
    def public_state(user: User) -> dict:
        """What history keeps of a user: never a password hash or a TOTP secret."""
        return {k: v for k, v in asdict(user).items() if k not in _SECRET_FIELDS | {"extra"}}

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
