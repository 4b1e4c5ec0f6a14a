"""Exact ages against an order's limits (`check_ages`), for a batch's approval or a substitute:
in or out, and why, for up to MAX_PEOPLE people in one call. The birth date stays inside the
sealed ID number; the day is always the county's today (`sanbao_common.clock`), never one the
caller picks (docs/access.md "Masked forms" says what repeated calls can and cannot tell)."""

from __future__ import annotations

from datetime import date

from registry.people import use_cases as people
from registry.people.domain import age_on
from registry.people.repository import PeopleRepository
from sanbao_common.access import Principal
from sanbao_common.crypto import DataKey
from sanbao_common.db import UnitOfWork
from sanbao_common.errors import InvalidInput
from sanbao_common.validators import id_number_birth_date

MAX_PEOPLE = 1000  # far above any order's head count
MAX_AGE = 150
MAX_ID = 36


def _limit(value) -> bool:
    return value is None or (
        isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_AGE
    )


def check_request(person_ids, age_min, age_max) -> tuple[list[str], tuple]:
    """The ids (each once, in the order given) and limits, or InvalidInput naming what is wrong."""
    problems: dict[str, list[str]] = {}
    if (
        not isinstance(person_ids, list)
        or not 0 < len(person_ids) <= MAX_PEOPLE
        or not all(isinstance(p, str) and 0 < len(p) <= MAX_ID for p in person_ids)
    ):
        problems["person_ids"] = [f"a list of 1 to {MAX_PEOPLE} person ids"]
    for name, value in (("age_min", age_min), ("age_max", age_max)):
        if not _limit(value):
            problems[name] = [f"whole years, 0 to {MAX_AGE}, or null"]
    if not problems and age_min is None and age_max is None:
        problems["age_min"] = ["give age_min, age_max or both"]
    if not problems and age_min is not None and age_max is not None and age_min > age_max:
        problems["age_max"] = ["not below age_min"]
    if problems:
        raise InvalidInput(problems)
    return list(dict.fromkeys(person_ids)), (age_min, age_max)


def check(
    uow: UnitOfWork,
    principal: Principal,
    key: DataKey,
    person_ids: list[str],
    limits: tuple[int | None, int | None],
    today: date,
) -> dict:
    age_min, age_max = limits
    found = PeopleRepository(uow.connection).get_many(person_ids)
    group = people.group_scope(principal)
    outside, unknown = [], []
    for person_id in person_ids:
        record = found.get(person_id)
        if (
            record is None
            or record.status != "active"
            or not principal.covers(record.village_code)
            or (group and record.village_group != group)
        ):
            unknown.append(person_id)  # not said apart: a record elsewhere is not told of
            continue
        age = age_on(id_number_birth_date(key.decrypt(record.id_sealed)), today)
        if age_min is not None and age < age_min:
            outside.append({"person_id": person_id, "why": "too_young"})
        elif age_max is not None and age > age_max:
            outside.append({"person_id": person_id, "why": "too_old"})
    return {"outside": outside, "unknown": unknown}
