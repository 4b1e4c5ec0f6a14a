"""Storage of people (labourers, households, their history, disclosures) inside a unit of work's
connection. Labourers and households travel as the domain's `Person` and `Household`, built
from their rows as they are (an import moves a hundred thousand of them)."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Connection

from registry.adapters.tables import disclosures, households, labourers, people_history, users
from registry.people.domain import WORKING, Household, Person
from registry_contract.vocabularies import AWAY_SCOPES, SCOPES

_LABOURER_COLUMNS = [c.name for c in labourers.columns]
_HOUSEHOLD_COLUMNS = [c.name for c in households.columns]
for _record, _columns in ((Person, _LABOURER_COLUMNS), (Household, _HOUSEHOLD_COLUMNS)):
    if [f.name for f in fields(_record)] != _columns:
        raise RuntimeError(f"{_record.__name__}'s fields and its table's columns differ")


def _plain_twin(table: Table) -> tuple[Table, tuple[str, ...], tuple[str, ...]]:
    """The table as text columns (numbers and booleans kept), for bulk inserts of values
    already in their stored form: SQLAlchemy's per-value processing of JSON, dates and times
    cost more than the insert itself (decision 0007). Returns it with the names of the JSON
    and the date-time columns, which `_stored_form` prepares."""
    kept = (Integer, BigInteger, Boolean)
    twin = Table(
        table.name,
        MetaData(),
        *(
            Column(
                c.name, c.type if isinstance(c.type, kept) else String(), primary_key=c.primary_key
            )
            for c in table.columns
        ),
    )
    json_columns = tuple(c.name for c in table.columns if isinstance(c.type, JSON))
    moments = tuple(c.name for c in table.columns if isinstance(c.type, DateTime))
    return twin, json_columns, moments


def _sqlite_moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


_LABOURERS_PLAIN = _plain_twin(labourers)
_INSERT_LABOURERS = insert(_LABOURERS_PLAIN[0])
_UPDATE_LABOURERS = (
    update(labourers)
    .where(labourers.c.person_id == bindparam("key"))
    .values({name: bindparam(name) for name in _LABOURER_COLUMNS if name != "person_id"})
)
_CONFIRM = (
    update(labourers)
    .where(labourers.c.person_id == bindparam("key"))
    .values(confirmed_at=bindparam("at"), confirmed_by=bindparam("by"))
)
_BY_HASH = select(labourers).where(labourers.c.id_hash.in_(bindparam("hashes", expanding=True)))
# A household number is a household only within its village: townships number theirs 001, 002…
# in each village's survey, so the same number elsewhere is another household.
_HOUSEHOLDS_BY_KEY = select(households).where(
    tuple_(households.c.village_code, households.c.household_number).in_(
        bindparam("keys", expanding=True)
    )
)
_INSERT_HOUSEHOLDS = insert(households)
_UPDATE_HOUSEHOLDS = (
    update(households)
    .where(households.c.household_id == bindparam("key"))
    .values({name: bindparam(name) for name in _HOUSEHOLD_COLUMNS if name != "household_id"})
)
_INSERT_HISTORY = insert(people_history)


def _aware(record: dict) -> dict:
    # SQLite hands timestamps back naive; they were stored as UTC.
    for name, value in record.items():
        if isinstance(value, datetime) and value.tzinfo is None:
            record[name] = value.replace(tzinfo=UTC)
    return record


def _person(row) -> Person:
    return Person.from_row(_aware(dict(row._mapping)))


def _household(row) -> Household:
    return Household.from_row(_aware(dict(row._mapping)))


class PeopleRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    # -- labourers -----------------------------------------------------------------------------

    def by_hash(self, hashes: list[str]) -> dict[str, Person]:
        rows = self.connection.execute(_BY_HASH, {"hashes": list(set(hashes))})
        return {row.id_hash: _person(row) for row in rows}

    def get(self, person_id: str) -> Person | None:
        row = self.connection.execute(
            select(labourers).where(labourers.c.person_id == person_id)
        ).first()
        return _person(row) if row else None

    def get_many(self, person_ids: list[str]) -> dict[str, Person]:
        rows = self.connection.execute(
            select(labourers).where(labourers.c.person_id.in_(set(person_ids)))
        )
        return {row.person_id: _person(row) for row in rows}

    def add_labourers(self, records: list[Person]) -> None:
        if records:
            self.connection.execute(
                _INSERT_LABOURERS, self._stored_form(records, *_LABOURERS_PLAIN[1:])
            )

    def _stored_form(self, records: list[Person], json_columns, moments) -> list[dict]:
        """JSON as the text SQLAlchemy would write; on SQLite, moments in the text SQLAlchemy
        stores there (naive UTC); PostgreSQL takes aware values as they are. A chunk's records
        share their timestamps and many of their lists, so each is converted once."""
        sqlite = self.connection.dialect.name == "sqlite"
        texts: dict = {}
        rows = []
        for record in records:
            row = record.as_row()
            for name in json_columns:
                value = row[name]
                key = repr(value)
                text = texts.get(key)
                if text is None:
                    text = texts[key] = json.dumps(value)
                row[name] = text
            if sqlite:
                for name in moments:
                    value = row[name]
                    if value is not None:
                        text = texts.get(value)
                        if text is None:
                            text = texts[value] = _sqlite_moment(value)
                        row[name] = text
            rows.append(row)
        return rows

    def save_labourers(self, records: list[Person]) -> None:
        if records:
            self.connection.execute(
                _UPDATE_LABOURERS, [dict(vars(record), key=record.person_id) for record in records]
            )

    def confirm(self, person_ids: list[str], at: datetime, by: str) -> None:
        if person_ids:
            self.connection.execute(
                _CONFIRM, [{"key": person_id, "at": at, "by": by} for person_id in person_ids]
            )

    def members(self, household_id: str) -> list[str]:
        rows = self.connection.execute(
            select(labourers.c.person_id).where(
                labourers.c.household_id == household_id, labourers.c.status == "active"
            )
        )
        return [row.person_id for row in rows]

    # -- households ----------------------------------------------------------------------------

    def households_by_key(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Household]:
        """The households stored under these (village code, household number) keys, by key:
        never one of the same number in another village."""
        if not keys:
            return {}
        rows = self.connection.execute(_HOUSEHOLDS_BY_KEY, {"keys": sorted(set(keys))})
        return {(row.village_code, row.household_number): _household(row) for row in rows}

    def households_by_id(self, household_ids: list[str]) -> dict[str, Household]:
        if not household_ids:
            return {}
        rows = self.connection.execute(
            select(households).where(households.c.household_id.in_(set(household_ids)))
        )
        return {row.household_id: _household(row) for row in rows}

    def add_households(self, records: list[Household]) -> None:
        if records:
            self.connection.execute(_INSERT_HOUSEHOLDS, [record.as_row() for record in records])

    def save_households(self, records: list[Household]) -> None:
        if records:
            self.connection.execute(
                _UPDATE_HOUSEHOLDS,
                [dict(vars(record), key=record.household_id) for record in records],
            )

    # -- history -------------------------------------------------------------------------------

    def record_history(self, entries: list[dict]) -> None:
        if entries:
            self.connection.execute(_INSERT_HISTORY, entries)

    def history(self, record_kind: str, record_id: str) -> list[dict]:
        rows = self.connection.execute(
            select(people_history)
            .where(
                people_history.c.record_kind == record_kind,
                people_history.c.record_id == record_id,
            )
            .order_by(people_history.c.entry_id)
        )
        return [_aware(dict(row._mapping)) for row in rows]

    # -- disclosures ---------------------------------------------------------------------------

    def add_disclosure(self, disclosure: dict) -> None:
        self.connection.execute(insert(disclosures), disclosure)

    def disclosures(self, person_id: str | None, limit: int) -> list[dict]:
        query = (
            select(disclosures)
            .order_by(disclosures.c.disclosed_at.desc(), disclosures.c.disclosure_id)
            .limit(limit)
        )
        if person_id is not None:
            query = query.where(disclosures.c.person_id == person_id)
        return [_aware(dict(row._mapping)) for row in self.connection.execute(query)]

    # -- the directory's agents ----------------------------------------------------------------

    def agents_by_username(self, usernames: list[str]) -> dict[str, dict]:
        if not usernames:
            return {}
        rows = self.connection.execute(
            select(users.c.user_id, users.c.username, users.c.roles, users.c.village_group).where(
                users.c.username.in_(set(usernames)), users.c.active.is_(True)
            )
        )
        return {row.username: dict(row._mapping) for row in rows if "agent" in row.roles.split(",")}

    def usernames(self) -> dict[str, str]:
        """user id -> username, of everyone in the directory (agents are named by username)."""
        return dict(self.connection.execute(select(users.c.user_id, users.c.username)).all())

    # -- queries -------------------------------------------------------------------------------

    def search(self, criteria: Criteria, *, after: str | None, limit: int) -> list[Person]:
        query = select(labourers).where(*criteria.conditions())
        if after:
            query = query.where(labourers.c.person_id > after)
        rows = self.connection.execute(query.order_by(labourers.c.person_id).limit(limit))
        return [_person(row) for row in rows]

    def stream(self, criteria: Criteria, batch: int = 2000):
        """Every matching labourer, in person-id order, a batch of rows at a time."""
        after = None
        while True:
            rows = self.search(criteria, after=after, limit=batch)
            yield from rows
            if len(rows) < batch:
                return
            after = rows[-1].person_id

    def counts(self, criteria: Criteria, *, by_length: int) -> list[dict]:
        """Dashboard counts per area (the first `by_length` digits of the village code): the
        same conditions as a search, so every count adds up to the records behind it.
        `transferred` is working away from home (州内县外, 省内州外, 省外: AWAY_SCOPES);
        `employed_in_county` working in the county (县内务工), counted apart."""
        area = func.substr(labourers.c.village_code, 1, by_length).label("area")
        poor = households.c.poor.is_(True)
        away = labourers.c.employment_status.in_(sorted(AWAY_SCOPES))
        in_county = labourers.c.employment_status == "in_county"
        query = (
            select(
                area,
                func.count().label("labour_force"),
                func.count().filter(poor).label("poor_labour_force"),
                func.count().filter(_willing_to_go()).label("willing_to_go"),
                func.count().filter(away).label("transferred"),
                func.count().filter(and_(poor, away)).label("poor_transferred"),
                func.count().filter(in_county).label("employed_in_county"),
                func.count().filter(and_(poor, in_county)).label("poor_employed_in_county"),
            )
            .select_from(
                labourers.outerjoin(
                    households, households.c.household_id == labourers.c.household_id
                )
            )
            .where(*criteria.conditions())
            .group_by(area)
            .order_by(area)
        )
        return [dict(row._mapping) for row in self.connection.execute(query)]


def _willing_to_go():
    """people.willing_to_go in SQL: means to go out (a scope named, or places named without
    having answered 无), and is not working (or unable)."""
    c = labourers.c
    return and_(
        or_(
            c.intention_scope.in_(sorted(SCOPES)),
            and_(c.intention_scope.is_(None), c.intention_regions.cast(Text) != "[]"),
        ),
        or_(
            c.employment_status.is_(None),
            c.employment_status.not_in(sorted(WORKING | {"unable_to_work"})),
        ),
    )


@dataclass(frozen=True)
class Criteria:
    """What a search or a count filters on; every filter is optional and they all combine."""

    area: str | None = None
    village_group: str | None = None
    agent_id: str | None = None
    poor: bool | None = None
    employment_status: str | None = None
    intention_scope: str | None = None
    willing_to_go: bool | None = None
    skill: str | None = None
    stale_before: datetime | None = None
    household_id: str | None = None

    def conditions(self) -> list:
        c = labourers.c
        conditions = [c.status == "active"]
        if self.area:
            conditions.append(c.village_code.startswith(self.area))
        if self.village_group:
            conditions.append(c.village_group == self.village_group)
        if self.agent_id:
            conditions.append(c.agent_id == self.agent_id)
        if self.household_id:
            conditions.append(c.household_id == self.household_id)
        if self.employment_status:
            conditions.append(c.employment_status == self.employment_status)
        if self.intention_scope:
            conditions.append(c.intention_scope == self.intention_scope)
        if self.poor is not None:
            poor_households = select(households.c.household_id).where(households.c.poor.is_(True))
            conditions.append(
                c.household_id.in_(poor_households)
                if self.poor
                else or_(c.household_id.is_(None), c.household_id.not_in(poor_households))
            )
        if self.willing_to_go is not None:
            conditions.append(_willing_to_go() if self.willing_to_go else ~_willing_to_go())
        if self.skill:
            # Stored JSON text, as json.dumps writes it (non-ASCII escaped).
            conditions.append(
                c.skills.cast(Text).contains(
                    json.dumps({"name": self.skill})[1:-1], autoescape=True
                )
            )
        if self.stale_before is not None:
            conditions.append(c.confirmed_at < self.stale_before)
        return conditions
