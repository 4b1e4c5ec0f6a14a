"""People: labourers, their households and the four clears (四清). Pure Python: no I/O.

A `Person` and a `Household` are what registry stores; a `PersonInput` is what a township
writes (a roster row, or the same fields over RPC), as `registry.people.parsing` reads it;
`changes` compares the two. Both run once per row of a 100,000-row roster, so they are plain
code, not schemas.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from registry_contract.vocabularies import SCOPES
from sanbao_common.privacy import mask_text

# -- vocabularies --------------------------------------------------------------------------------

# Working somewhere: an employment status that is a scope (县内务工 ... 省外务工). Working away
# from home, transferred labour (转移就业), is `registry_contract.vocabularies.AWAY_SCOPES`.
WORKING = frozenset(SCOPES)
SKILL_LEVELS = ("初级", "中级", "高级", "技师", "高级技师")
RELATIONS = ("户主", "配偶", "子女", "父母", "儿媳", "女婿", "孙子女", "兄弟姐妹", "其他")
HEAD = "户主"

# Columns a roster (or an RPC call) may carry; `fields_of` maps them to the stored fields.
PROFILE_FIELDS = (
    "name", "phone", "village_code", "village_group", "household_id", "relation_to_head",
    "agent_id",
)  # fmt: skip
ASPECT_OF = {
    "employment_status": "employment",
    "employment_place": "employment",
    "skills": "skills",
    "intention_scope": "intention",
    "intention_regions": "intention",
    "intention_industries": "intention",
    "expected_wage_fen": "intention",
    "earliest_start": "intention",
    "training_intention": "training",
}
ASPECTS = ("employment", "skills", "intention", "training")
TRACKED_FIELDS = PROFILE_FIELDS + tuple(ASPECT_OF)
# Input column -> stored fields it sets (household and agent columns are resolved by the caller).
COLUMN_FIELDS = {
    "name": ("name",),
    "phone": ("phone",),
    "village_code": ("village_code",),
    "village_group": ("village_group",),
    "household_number": ("household_id",),
    "relation_to_head": ("relation_to_head",),
    "agent": ("agent_id",),
    "employment_status": ("employment_status",),
    "employment_place": ("employment_place",),
    "skills": ("skills",),
    # 外出意愿 and 意向地区 say one thing together: either column sets both fields.
    "intention_scope": ("intention_scope", "intention_regions"),
    "intention_regions": ("intention_scope", "intention_regions"),
    "intention_industries": ("intention_industries",),
    "expected_wage": ("expected_wage_fen",),
    "earliest_start": ("earliest_start",),
    "training_intention": ("training_intention",),
}


class RowProblem(Exception):
    """One thing wrong with one field of an input row."""

    def __init__(
        self,
        column: str,
        reason_zh: str,
        reason_en: str,
        *,
        code: str = "INVALID_INPUT",
        registered_as: str | None = None,
    ):
        # A reason quotes the cell it is about, which may hold someone's ID or phone number in
        # the wrong column; reasons are replied, stored with idempotency keys and import errors.
        reason_zh, reason_en = mask_text(reason_zh), mask_text(reason_en)
        super().__init__(f"{column}: {reason_en}")
        self.column, self.reason_zh, self.reason_en = column, reason_zh, reason_en
        self.code = code  # the error code an RPC caller gets for it
        self.registered_as = registered_as  # the person id an ID number is registered under


# A person's skills, intended regions, industries and trainings: a handful each in practice;
# bounded so that no row (from a roster or over RPC) stores, or sends in its events, thousands.
MAX_LIST_ITEMS = 20
MAX_ITEM_CHARS = 50


def bounded_list(column: str, items: list[str]) -> list[str]:
    """The items of a list column as written (a skill with its level), if there are not too
    many and none is too long."""
    if len(items) > MAX_LIST_ITEMS:
        raise RowProblem(
            column,
            f"最多填写{MAX_LIST_ITEMS}项，而非{len(items)}项",
            f"at most {MAX_LIST_ITEMS} items, not {len(items)}",
        )
    for item in items:
        if len(item) > MAX_ITEM_CHARS:
            raise RowProblem(
                column,
                f"每项最多{MAX_ITEM_CHARS}字：“{item[:20]}…”",
                f"an item is at most {MAX_ITEM_CHARS} characters",
            )
    return items


@dataclass
class PersonInput:
    """A person as a township describes them: validated, canonical, not yet resolved against
    what is stored (household number and agent username are looked up by the caller)."""

    name: str
    id_number: str
    sex: str
    birth_year: int  # all that is kept outside the sealed ID number (docs/access.md)
    columns: frozenset[str]  # which input columns were given: the others are left as they are
    phone: str | None = None
    village_code: str = ""
    village_group: str | None = None
    household_number: str | None = None
    household_head_id: str | None = None
    relation_to_head: str | None = None
    poor: bool | None = None
    poverty_file_number: str | None = None
    agent: str | None = None
    employment_status: str | None = None
    employment_place: str | None = None
    skills: list = field(default_factory=list)
    intention_scope: str | None = None  # a SCOPES code, NO_INTENTION, or None: not answered
    intention_regions: list = field(default_factory=list)
    intention_industries: list = field(default_factory=list)
    expected_wage_fen: int | None = None
    earliest_start: date | None = None
    training_intention: list = field(default_factory=list)
    age_problem: RowProblem | None = None  # outside working age: refused if the person is new


@dataclass(frozen=True)
class Rules:
    county: str
    today: date  # in Asia/Shanghai: ages and dates are the county's
    working_age_min: int = 16
    working_age_max: int = 64


# -- what is stored ------------------------------------------------------------------------------


class _Record:
    """Frozen records built from stored rows as they are: a roster chunk loads and writes a
    thousand people at a time, and going through `__init__` field by field for each would cost
    more than the query."""

    __slots__ = ()

    @classmethod
    def from_row(cls, row: Mapping):
        record = object.__new__(cls)
        record.__dict__.update(row)
        return record

    def as_row(self) -> dict:
        """The record as a row of its table (a copy)."""
        return dict(self.__dict__)

    def with_changes(self, **changes):
        """A copy with these fields changed (`dataclasses.replace`, without `__init__`)."""
        return type(self).from_row({**self.__dict__, **changes})


@dataclass(frozen=True)
class Person(_Record):
    """A labourer as registry keeps them: the one list of a labourer's fields (the table
    `labourers` has a column for each, in this order). The ID number and the phone are kept
    only sealed with the county's data key and masked; the birth date stays inside the sealed
    ID number (docs/access.md "Masked forms")."""

    person_id: str
    name: str
    id_hash: str  # keyed hash of the ID number: how a person is found again
    id_sealed: str
    id_masked: str
    sex: str
    birth_year: int
    phone_sealed: str | None
    phone_masked: str | None
    village_code: str
    village_group: str | None
    household_id: str | None
    relation_to_head: str | None
    agent_id: str | None
    status: str  # active | merged
    merged_into: str | None
    # The four clears: each aspect dated and attributed (ASPECT_OF says which fields are which).
    employment_status: str | None
    employment_place: str | None
    employment_at: datetime | None
    employment_by: str | None
    employment_source: str | None  # the placement it comes from; None: the township's record
    skills: list
    skills_at: datetime | None
    skills_by: str | None
    intention_scope: str | None  # how far they mean to go: a SCOPES code, "none" (无) or None
    intention_regions: list
    intention_industries: list
    expected_wage_fen: int | None
    earliest_start: date | None
    intention_at: datetime | None
    intention_by: str | None
    training_intention: list
    training_at: datetime | None
    training_by: str | None
    confirmed_at: datetime  # moves whenever the whole profile is confirmed as current
    confirmed_by: str
    registered_at: datetime
    registered_by: str
    version: int


@dataclass(frozen=True)
class Household(_Record):
    """A household as a township numbers it; registered poor (建档立卡) or not. Its area is set
    when it is first registered, never by a change of head."""

    household_id: str
    household_number: str
    village_code: str
    head_person_id: str | None
    poor: bool
    poverty_file_number: str | None
    version: int
    changed_at: datetime
    changed_by: str


def is_poor(household: Household | None) -> bool:
    return bool(household and household.poor)


# -- ages ----------------------------------------------------------------------------------------


def age_on(born: date, day: date) -> int:
    """Age in whole years on `day` (someone born on 29 February turns a year older on 1 March
    in other years)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def within_age(born: date, day: date, min_age: int | None, max_age: int | None) -> bool:
    """Whether someone born on `born` is at least `min_age` and at most `max_age` years old on
    `day` (a limit of 16 to 45 takes a 45-year-old up to the day before their 46th birthday)."""
    age = age_on(born, day)
    return (min_age is None or age >= min_age) and (max_age is None or age <= max_age)


def age_in_year(birth_year: int, today: date) -> int:
    """The age a person reaches this calendar year: working age is judged on it, so that the day
    someone was registered tells nothing about their birthday (decision 0010)."""
    return today.year - birth_year


def working_age_problem(birth_year: int, rules: Rules) -> RowProblem | None:
    """Why someone born in `birth_year` is not of working age this year, or None."""
    age = age_in_year(birth_year, rules.today)
    if rules.working_age_min <= age <= rules.working_age_max:
        return None
    return RowProblem(
        "id_number",
        f"{birth_year}年出生，今年{age}岁，不在劳动年龄"
        f"（{rules.working_age_min}–{rules.working_age_max}岁）内",
        f"born in {birth_year}, {age} this year: outside working age "
        f"{rules.working_age_min}–{rules.working_age_max}",
    )


# -- rules of a person and a household -----------------------------------------------------------

INTENTION_FIELDS = (
    "intention_scope", "intention_regions", "intention_industries", "expected_wage_fen",
)  # fmt: skip


def check_intention(state: Mapping) -> RowProblem | None:
    """An unemployed person able to work must have an employment intention recorded; "does not
    mean to go out" (无, intention_scope "none") is one."""
    if state.get("employment_status") == "unemployed" and not (
        state.get("intention_scope") is not None
        or state.get("intention_regions")
        or state.get("intention_industries")
        or state.get("expected_wage_fen")
    ):
        return RowProblem(
            "employment_status",
            "失业人员须登记就业意向（外出意愿、意向地区、行业或期望月薪；不外出填“无”）",
            "an unemployed person needs an employment intention (scope, regions, industries or "
            "wage; 无 if they do not mean to go out)",
        )
    return None


def household_changes(household: Household, person: PersonInput, person_id: str) -> dict:
    """What a member's row says of their household: field -> (before, after) for who heads it,
    whether it is registered poor and its file number, where the row says something new."""
    found = {}
    if person.relation_to_head == HEAD and household.head_person_id != person_id:
        found["head_person_id"] = (household.head_person_id, person_id)
    if person.poor is not None and "poor" in person.columns and household.poor != person.poor:
        found["poor"] = (household.poor, person.poor)
    if (
        "poverty_file_number" in person.columns
        and person.poverty_file_number
        and household.poverty_file_number != person.poverty_file_number
    ):
        found["poverty_file_number"] = (household.poverty_file_number, person.poverty_file_number)
    return found


def skills_text(skills: list[dict]) -> str:
    parts = []
    for skill in skills:
        inside = [
            t for t in (skill.get("level"), "持证" if skill.get("certificate") else None) if t
        ]
        parts.append(skill["name"] + (f"({','.join(inside)})" if inside else ""))
    return "；".join(parts)


def wanted_fields(person: PersonInput) -> dict:
    """The stored fields this input sets (household and agent ids filled in by the caller)."""
    return {name: getattr(person, name) for name in _fields_set_by(person.columns)}


@functools.cache
def _fields_set_by(columns: frozenset[str]) -> tuple[str, ...]:
    """Every row of a roster has the same columns: worked out once per roster."""
    names = ["name", "village_code"]
    for column in sorted(columns):
        for name in COLUMN_FIELDS.get(column, ()):
            if name not in ("household_id", "agent_id", *names):
                names.append(name)
    return tuple(names)


def changes(stored: Mapping, wanted: dict) -> dict[str, tuple]:
    """field -> (before, after) for every tracked field whose wanted value differs."""
    return {
        name: (stored.get(name), value)
        for name, value in wanted.items()
        if name in TRACKED_FIELDS and stored.get(name) != value
    }


def intends_to_go(state: Mapping) -> bool:
    """Means to go out to work: a scope named, or places named without having answered 无."""
    scope = state.get("intention_scope")
    return scope in SCOPES or (scope is None and bool(state.get("intention_regions")))


def willing_to_go(state: Mapping) -> bool:
    """Wants to go out to work and is not working now: whom the HR companies look for."""
    return intends_to_go(state) and state.get("employment_status") not in (
        WORKING | {"unable_to_work"}
    )
