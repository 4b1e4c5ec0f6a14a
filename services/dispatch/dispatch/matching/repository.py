"""Reading the candidate pool for matching: the candidates that could be put forward at all (or
for one order), as rows `dispatch.matching.pool.Pool` indexes.

Lists and dates come as text and are decoded here, each distinct text once: a pool of 100,000
holds a few hundred distinct lists, and decoding each row's JSON was most of the cost of
reading the pool."""

from __future__ import annotations

import json
from datetime import date
from typing import NamedTuple

from sqlalchemy import Text, and_, cast, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from dispatch.adapters.tables import candidates
from dispatch.matching.pool import Pool
from dispatch.matching.scoring import NEAREST_FIRST, NO_INTENTION, NOT_AVAILABLE, OrderTerms


class PoolRow(NamedTuple):
    """One candidate as matching reads them (the attributes `scoring` uses)."""

    person_id: str
    name: str
    id_number_masked: str
    village_code: str
    agent_id: str | None
    poor: bool
    birth_year: int
    status: str
    willing_to_go: bool
    employment_status: str | None
    booked_by: str | None
    intention_scope: str | None
    expected_wage_fen: int | None
    industry_codes: tuple
    skill_codes: tuple
    training_intention: tuple
    earliest_start: date | None


_PLAIN = PoolRow._fields[:13]  # the columns read as they are stored
_LISTS = ("industry_codes", "skill_codes", "training_intention")


class _Decoded(dict):
    """Text -> its value, each distinct text decoded once."""

    def __init__(self, decode):
        super().__init__()
        self.decode = decode

    def __missing__(self, text):
        value = self[text] = None if text is None else self.decode(text)
        return value


def _list(text: str) -> tuple:
    return tuple(json.loads(text))


def _date(text: str) -> date:
    return date.fromisoformat(text[:10])


def _decode(result) -> list[PoolRow]:
    lists, dates, plain = _Decoded(_list), _Decoded(_date), len(_PLAIN)
    industry, skill, training, start = range(plain, plain + 4)
    return [
        PoolRow(*row[:plain], lists[row[industry]], lists[row[skill]], lists[row[training]],
                dates[row[start]])
        for row in result
    ]  # fmt: skip


def available_filter() -> ColumnElement:
    """`scoring.available` in SQL, and not held under a record merged into theirs (a batch or
    placement holds the person: dispatch.batches)."""
    c, merged = candidates.c, candidates.alias("merged").c
    held_under_merged = select(merged.merged_into).where(
        merged.merged_into.is_not(None), merged.booked_by.is_not(None)
    )
    return and_(
        c.status == "active",
        c.willing_to_go.is_(True),
        c.booked_by.is_(None),
        c.person_id.not_in(held_under_merged),
        or_(c.employment_status.is_(None), c.employment_status.not_in(sorted(NOT_AVAILABLE))),
        or_(c.intention_scope.is_(None), c.intention_scope != NO_INTENTION),
    )


def eligible_filter(order: OrderTerms) -> ColumnElement:
    """`scoring.eligible` in SQL: available, willing to go that far, inside the age limits."""
    c = candidates.c
    far_enough = [s for s, rank in NEAREST_FIRST.items() if rank >= NEAREST_FIRST[order.scope]]
    conditions = [
        available_filter(),
        or_(c.intention_scope.is_(None), c.intention_scope.in_(far_enough)),
    ]
    earliest, latest = order.birth_years()
    if earliest is not None:
        conditions.append(c.birth_year >= earliest)
    if latest is not None:
        conditions.append(c.birth_year <= latest)
    return and_(*conditions)


def _where(order: OrderTerms | None, area: str | None) -> ColumnElement:
    where = available_filter() if order is None else eligible_filter(order)
    if area is not None:
        where = and_(where, candidates.c.village_code.startswith(area, autoescape=True))
    return where


def _rows(connection: Connection, where: ColumnElement) -> list[PoolRow]:
    c = candidates.c
    columns = [c[name] for name in _PLAIN]
    columns += [cast(c[name], Text) for name in (*_LISTS, "earliest_start")]
    # No ORDER BY: the pool sorts by person id itself, quicker than SQLite walking the key's
    # index and fetching each row from the table.
    return _decode(connection.execute(select(*columns).where(where)).all())


def load_pool(
    connection: Connection, order: OrderTerms | None = None, area: str | None = None
) -> Pool:
    """The pool of every available candidate (or only those eligible for `order`), of the
    whole county or of the villages whose codes start with `area`. For an order, those not
    registered-poor are read only if the poor are fewer than it wants (else none of them could
    be on the list)."""
    where = _where(order, area)
    if order is None:
        return Pool(_rows(connection, where))
    poor = _rows(connection, and_(where, candidates.c.poor.is_(True)))
    if len(poor) >= order.wanted:
        return Pool(poor)
    return Pool(poor + _rows(connection, and_(where, candidates.c.poor.is_(False))))


def count_eligible(connection: Connection, order: OrderTerms, area: str | None = None) -> int:
    """How many candidates are eligible for `order` (of `area`)."""
    query = select(func.count()).select_from(candidates).where(_where(order, area))
    return connection.execute(query).scalar_one()
