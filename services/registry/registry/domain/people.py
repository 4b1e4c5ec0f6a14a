"""People: labourers, their households and the four clears (四清). Pure Python: no I/O.

One parser turns what a township writes (a roster row, or the same fields sent over RPC) into a
`PersonInput`, or into the reasons it cannot; `changes` compares it with what is stored. Both
run once per row of a 100,000-row roster, so they are plain code, not schemas.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from registry_contract.vocabularies import EMPLOYMENT_STATUSES, INPUT_COLUMNS
from sanbao_common.validators import (
    InvalidCode,
    normalize_id_number,
    normalize_phone,
    parse_division_code,
)

# -- vocabularies --------------------------------------------------------------------------------

# Employment situation: code -> the label townships write; then the other words they use.
_EMPLOYMENT_WORDS = (
    {label: code for code, label in EMPLOYMENT_STATUSES.items()}
    | {
        "在家": "at_home",
        "务农": "at_home",
        "县内就业": "in_county",
        "省内务工": "in_province",
        "省内就业": "in_province",
        "省外就业": "outside_province",
        "未就业": "unemployed",
        "待业": "unemployed",
        "丧失劳动能力": "unable_to_work",
    }
    | {code: code for code in EMPLOYMENT_STATUSES}
)
# Working away from home: what the county reports as transferred labour (转移就业).
TRANSFERRED = frozenset({"in_county", "in_province", "outside_province"})
EMPLOYED = TRANSFERRED
SKILL_LEVELS = ("初级", "中级", "高级", "技师", "高级技师")
_CERTIFIED = frozenset({"持证", "有证", "已取证"})
RELATIONS = ("户主", "配偶", "子女", "父母", "儿媳", "女婿", "孙子女", "兄弟姐妹", "其他")
_YES = frozenset({"是", "Y", "y", "yes", "true", "1", "√"})
_NO = frozenset({"否", "N", "n", "no", "false", "0"})
_NONE_WORDS = frozenset({"无", "没有", "暂无", "-", "/"})
_LIST_SPLIT = re.compile(r"[；;、，,/\s]+")
_SKILL = re.compile(r"^(?P<name>[^()（）]+?)\s*(?:[(（](?P<inside>[^()（）]*)[)）])?$")
# Between skills, but not inside the parentheses that hold a skill's level: "电工(中级,持证)；焊工".
_SKILL_SEPARATOR = re.compile(r"[；;、，,]+(?![^()（）]*[)）])")
_GROUP = re.compile(r"^第?(?P<n>\d{1,2})组?$")
_WAGE = re.compile(r"^\d+(\.\d{1,2})?$")

# Columns a roster (or an RPC call) may carry; `fields_of` maps them to the stored fields.
PROFILE_FIELDS = (
    "name", "phone", "village_code", "village_group", "household_id", "relation_to_head",
    "agent_id",
)  # fmt: skip
ASPECT_OF = {
    "employment_status": "employment",
    "employment_place": "employment",
    "skills": "skills",
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
    "intention_regions": ("intention_regions",),
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
        super().__init__(f"{column}: {reason_en}")
        self.column, self.reason_zh, self.reason_en = column, reason_zh, reason_en
        self.code = code  # the error code an RPC caller gets for it
        self.registered_as = registered_as  # the person id an ID number is registered under


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


def _list(text: str | None) -> list[str]:
    if not text or text in _NONE_WORDS:
        return []
    items = [item for item in _LIST_SPLIT.split(text) if item]
    return list(dict.fromkeys(items))  # order kept, repeats dropped


def parse_skills(text: str | None) -> list[dict]:
    """'电工(中级,持证)；焊工' -> [{'name': '电工', 'level': '中级', 'certificate': True}, ...]"""
    if not text or text in _NONE_WORDS:
        return []
    skills = []
    for item in _SKILL_SEPARATOR.split(text):
        item = item.strip()
        if not item:
            continue
        match = _SKILL.match(item)
        if not match:
            raise RowProblem("skills", f"无法识别的技能写法：{item}", f"unreadable skill {item!r}")
        level, certificate = None, False
        for token in re.split(r"[,，/、\s]+", match["inside"] or ""):
            if not token:
                continue
            if token in SKILL_LEVELS:
                level = token
            elif token in _CERTIFIED:
                certificate = True
            else:
                raise RowProblem(
                    "skills",
                    f"技能“{match['name']}”的等级应为{'/'.join(SKILL_LEVELS)}或“持证”，而非“{token}”",
                    f"skill level of {match['name']!r} must be one of {SKILL_LEVELS} or 持证",
                )
        skills.append({"name": match["name"].strip(), "level": level, "certificate": certificate})
    return skills


def skills_text(skills: list[dict]) -> str:
    parts = []
    for skill in skills:
        inside = [
            t for t in (skill.get("level"), "持证" if skill.get("certificate") else None) if t
        ]
        parts.append(skill["name"] + (f"({','.join(inside)})" if inside else ""))
    return "；".join(parts)


def _date(column: str, text: str) -> date:
    cleaned = text.replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-")
    cleaned = cleaned.rstrip("日").rstrip("-")
    try:
        year, month, day = (int(part) for part in cleaned.split("-"))
        return date(year, month, day)
    except ValueError:
        raise RowProblem(
            column, f"日期应写作 YYYY-MM-DD，而非“{text}”", "a date is YYYY-MM-DD"
        ) from None


def _id(column: str, text: str, today: date) -> str:
    try:
        return normalize_id_number(text, today=today)
    except InvalidCode as exc:
        raise RowProblem(column, exc.message_zh, exc.message_en) from None


class Parser:
    """Parses input rows for one county on one day; remembers the village codes it has seen,
    which repeat on every row of a roster."""

    def __init__(self, rules: Rules):
        self.rules = rules
        self._villages: dict[str, str | RowProblem] = {}

    def _village(self, text: str) -> str:
        known = self._villages.get(text)
        if known is None:
            try:
                division = parse_division_code(text, level="village")
                if division.county != self.rules.county:
                    raise RowProblem(
                        "village_code",
                        f"村代码 {division.code} 不属于本县（{self.rules.county}）",
                        f"village {division.code} is not in county {self.rules.county}",
                    )
                known = division.code
            except InvalidCode as exc:
                known = RowProblem("village_code", exc.message_zh, exc.message_en)
            except RowProblem as problem:
                known = problem
            self._villages[text] = known
        if isinstance(known, RowProblem):
            raise known
        return known

    def parse(self, row: dict[str, str]) -> tuple[PersonInput | None, list[RowProblem]]:
        """The person a row describes, or every problem found in it (all of them, so that a
        township corrects its roster in one pass)."""
        problems: list[RowProblem] = []
        rules = self.rules

        def attempt(function, *args):
            try:
                return function(*args)
            except RowProblem as problem:
                problems.append(problem)
                return None

        name = row.get("name", "")
        if not name:
            problems.append(RowProblem("name", "姓名不能为空", "the name is missing"))
        elif len(name) > 50:
            problems.append(RowProblem("name", "姓名过长（最多50字）", "the name is too long"))
        id_number = row.get("id_number", "")
        if not id_number:
            problems.append(RowProblem("id_number", "身份证号不能为空", "the ID number is missing"))
            id_number = None
        else:
            id_number = attempt(_id, "id_number", id_number, rules.today)
        village = row.get("village_code", "")
        if not village:
            problems.append(
                RowProblem("village_code", "村代码不能为空", "the village code is missing")
            )
        else:
            village = attempt(self._village, village)
        person = None
        if id_number and name and village:
            person = PersonInput(
                name=name,
                id_number=id_number,
                sex="male" if int(id_number[16]) % 2 else "female",
                birth_year=int(id_number[6:10]),
                columns=frozenset(row),
                village_code=village,
            )
            # Judged only when the person is new: someone registered at working age stays
            # updatable after leaving it.
            age = age_in_year(person.birth_year, rules.today)
            if not rules.working_age_min <= age <= rules.working_age_max:
                person.age_problem = RowProblem(
                    "id_number",
                    f"{person.birth_year}年出生，今年{age}岁，不在劳动年龄"
                    f"（{rules.working_age_min}–{rules.working_age_max}岁）内",
                    f"born in {person.birth_year}, {age} this year: outside working age "
                    f"{rules.working_age_min}–{rules.working_age_max}",
                )
        optional = PersonInput(
            name="", id_number="", sex="", birth_year=rules.today.year, columns=frozenset()
        )
        target = person or optional
        for column, handler in _OPTIONAL:
            text = row.get(column)
            if text is None:
                continue
            try:
                handler(self, target, text)
            except RowProblem as problem:
                problems.append(problem)
        if person is not None and not problems:
            self._cross_check(person, problems)
        return (None if problems else person), problems

    def _cross_check(self, person: PersonInput, problems: list[RowProblem]) -> None:
        if person.household_number is None and (person.poor or person.poverty_file_number):
            problems.append(
                RowProblem(
                    "household_number",
                    "填写建档立卡信息时须同时填写户编号（建档立卡以户为单位）",
                    "the registered-poor flag belongs to a household: give its number",
                )
            )
        if person.poor and person.relation_to_head == "户主" and not person.poverty_file_number:
            problems.append(
                RowProblem(
                    "poverty_file_number",
                    "建档立卡户的户主行须填写建档立卡编号",
                    "the head's row of a registered-poor household needs its file number",
                )
            )
        if (person.household_number is None) != (person.relation_to_head is None) and (
            "household_number" in person.columns
        ):
            problems.append(
                RowProblem(
                    "relation_to_head",
                    "填写户编号时须同时填写与户主关系",
                    "a household member needs a relation to the head",
                )
            )


def check_intention(state: dict) -> RowProblem | None:
    """An unemployed person able to work must have an employment intention recorded."""
    if state.get("employment_status") == "unemployed" and not (
        state.get("intention_regions")
        or state.get("intention_industries")
        or state.get("expected_wage_fen")
    ):
        return RowProblem(
            "employment_status",
            "失业人员须登记就业意向（意向地区、行业或期望月薪）",
            "an unemployed person needs an employment intention (regions, industries or wage)",
        )
    return None


# -- optional columns ----------------------------------------------------------------------------


def _phone(parser: Parser, person: PersonInput, text: str) -> None:
    try:
        person.phone = normalize_phone(text) if text else None
    except InvalidCode as exc:
        raise RowProblem("phone", exc.message_zh, exc.message_en) from None


def _group(parser: Parser, person: PersonInput, text: str) -> None:
    if not text:
        person.village_group = None
        return
    match = _GROUP.match(text)
    if not match or not 1 <= int(match["n"]) <= 99:
        raise RowProblem(
            "village_group", f"村民小组应写组号（1–99），而非“{text}”", "a group is a number 1–99"
        )
    person.village_group = f"{person.village_code}-{int(match['n']):02d}"


def _household(parser: Parser, person: PersonInput, text: str) -> None:
    if len(text) > 30:
        raise RowProblem("household_number", "户编号过长（最多30字符）", "at most 30 characters")
    person.household_number = text or None


def _head(parser: Parser, person: PersonInput, text: str) -> None:
    person.household_head_id = _id("household_head_id", text, parser.rules.today) if text else None


def _relation(parser: Parser, person: PersonInput, text: str) -> None:
    if text and text not in RELATIONS:
        raise RowProblem(
            "relation_to_head",
            f"与户主关系应为{'/'.join(RELATIONS)}之一，而非“{text}”",
            f"relation to head must be one of {RELATIONS}",
        )
    person.relation_to_head = text or None


def _poor(parser: Parser, person: PersonInput, text: str) -> None:
    if not text:
        person.poor = None  # not stated on this row (often only the head's row says)
    elif text in _YES:
        person.poor = True
    elif text in _NO:
        person.poor = False
    else:
        raise RowProblem("poor", f"是否建档立卡应填“是”或“否”，而非“{text}”", "poor is 是 or 否")


def _file_number(parser: Parser, person: PersonInput, text: str) -> None:
    if len(text) > 30:
        raise RowProblem(
            "poverty_file_number", "建档立卡编号过长（最多30字符）", "at most 30 characters"
        )
    person.poverty_file_number = text or None


def _agent(parser: Parser, person: PersonInput, text: str) -> None:
    person.agent = text or None


def _employment(parser: Parser, person: PersonInput, text: str) -> None:
    if not text:
        person.employment_status = None
        return
    code = _EMPLOYMENT_WORDS.get(text)
    if code is None:
        raise RowProblem(
            "employment_status",
            f"就业状态应为{'/'.join(EMPLOYMENT_STATUSES.values())}之一，而非“{text}”",
            f"employment status {text!r} is not one of {list(EMPLOYMENT_STATUSES.values())}",
        )
    person.employment_status = code


def _place(parser: Parser, person: PersonInput, text: str) -> None:
    if len(text) > 100:
        raise RowProblem("employment_place", "务工地点过长（最多100字）", "place is too long")
    person.employment_place = text or None


def _skills(parser: Parser, person: PersonInput, text: str) -> None:
    person.skills = parse_skills(text)


def _regions(parser: Parser, person: PersonInput, text: str) -> None:
    person.intention_regions = _list(text)


def _industries(parser: Parser, person: PersonInput, text: str) -> None:
    person.intention_industries = _list(text)


def _wage(parser: Parser, person: PersonInput, text: str) -> None:
    cleaned = text.removesuffix("元").replace(",", "")
    if not cleaned:
        person.expected_wage_fen = None
        return
    if not _WAGE.match(cleaned):
        raise RowProblem(
            "expected_wage", f"期望月薪应为金额（元），而非“{text}”", "expected wage is in yuan"
        )
    try:
        fen = int(Decimal(cleaned) * 100)
    except InvalidOperation:
        raise RowProblem("expected_wage", "期望月薪无法识别", "unreadable wage") from None
    if not 0 < fen <= 10_000_000:
        raise RowProblem("expected_wage", "期望月薪超出范围", "expected wage out of range")
    person.expected_wage_fen = fen


def _start(parser: Parser, person: PersonInput, text: str) -> None:
    person.earliest_start = _date("earliest_start", text) if text else None


def _training(parser: Parser, person: PersonInput, text: str) -> None:
    person.training_intention = _list(text)


_OPTIONAL = (
    ("phone", _phone),
    ("village_group", _group),
    ("household_number", _household),
    ("household_head_id", _head),
    ("relation_to_head", _relation),
    ("poor", _poor),
    ("poverty_file_number", _file_number),
    ("agent", _agent),
    ("employment_status", _employment),
    ("employment_place", _place),
    ("skills", _skills),
    ("intention_regions", _regions),
    ("intention_industries", _industries),
    ("expected_wage", _wage),
    ("earliest_start", _start),
    ("training_intention", _training),
)
if {"name", "id_number", "village_code", *(c for c, _ in _OPTIONAL)} != set(INPUT_COLUMNS):
    raise RuntimeError("the parser and registry_contract.vocabularies.INPUT_COLUMNS differ")


def as_text(value) -> str:
    """An RPC caller's value in the text form a roster cell has."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "；".join(skills_text([v]) if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


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


def changes(stored: dict, wanted: dict) -> dict[str, tuple]:
    """field -> (before, after) for every tracked field whose wanted value differs."""
    return {
        name: (stored.get(name), value)
        for name, value in wanted.items()
        if name in TRACKED_FIELDS and stored.get(name) != value
    }


def willing_to_go(state: dict) -> bool:
    """Wants to go out to work and is not working now: whom the HR companies look for."""
    return bool(state.get("intention_regions")) and state.get("employment_status") not in (
        EMPLOYED | {"unable_to_work"}
    )
