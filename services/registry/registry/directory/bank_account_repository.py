"""Storage of organisations' bank accounts (registry.directory.bank_accounts) inside a unit of
work's connection: every version of each, added, never changed or deleted."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from registry.adapters.tables import organisation_bank_accounts as accounts
from registry.adapters.tables import organisations
from registry.directory.bank_accounts import BankAccount
from registry.exceptions import ConcurrentBankAccountChange


def _utc(moment: datetime) -> datetime:
    """As stored, in UTC (SQLite gives it back without a zone, PostgreSQL in the session's)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _account(row) -> BankAccount:
    data = {column.name: row._mapping[column.name] for column in accounts.c}
    return BankAccount(**dict(data, changed_at=_utc(data["changed_at"])))


class BankAccountRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    def lock(self, org_id: str) -> None:
        """Changes to one organisation's account apply one at a time (PostgreSQL; SQLite's
        writers take turns anyway): the second reads the first's version and builds on it."""
        self.connection.execute(
            select(organisations.c.org_id).where(organisations.c.org_id == org_id).with_for_update()
        )

    def current(self, org_id: str) -> BankAccount | None:
        row = self.connection.execute(
            select(accounts)
            .where(accounts.c.org_id == org_id)
            .order_by(accounts.c.version.desc())
            .limit(1)
        ).first()
        return _account(row) if row else None

    def history(self, org_id: str) -> list[BankAccount]:
        """Every version, newest first."""
        rows = self.connection.execute(
            select(accounts).where(accounts.c.org_id == org_id).order_by(accounts.c.version.desc())
        )
        return [_account(row) for row in rows]

    def add(self, account: BankAccount) -> None:
        """Store the next version; one stored meanwhile by another replica (the lock is
        PostgreSQL's only) makes this one fail rather than be a second account of one version."""
        try:
            self.connection.execute(insert(accounts).values(**asdict(account)))
        except IntegrityError:
            raise ConcurrentBankAccountChange(org_id=account.org_id) from None

    def current_of_each(self, after: str | None, limit: int) -> list[tuple[BankAccount, str, str]]:
        """Each organisation's current account (with the organisation's kind and name), in org id
        order, up to `limit` organisations after `after`."""
        latest = (
            select(accounts.c.org_id, func.max(accounts.c.version).label("version"))
            .where(accounts.c.org_id > after if after else true())
            .group_by(accounts.c.org_id)
            .order_by(accounts.c.org_id)
            .limit(limit)
            .subquery()
        )
        rows = self.connection.execute(
            select(accounts, organisations.c.kind, organisations.c.name)
            .join(
                latest,
                (accounts.c.org_id == latest.c.org_id) & (accounts.c.version == latest.c.version),
            )
            .join(organisations, organisations.c.org_id == accounts.c.org_id)
            .order_by(accounts.c.org_id)
        )
        return [(_account(row), row.kind, row.name) for row in rows]
