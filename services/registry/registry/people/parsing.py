"""Reading what a township writes — a roster row, or the same fields sent over RPC — into a
`PersonInput`, or into every reason it cannot be one. Pure Python: no I/O."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from registry.people.domain import (
    HEAD,
    RELATIONS,
    SKILL_LEVELS,
    PersonInput,
    RowProblem,
    Rules,
    bounded_list,
    skills_text,
    working_age_problem,
)
from registry.people.values import (
    FREE_TEXT_COLUMNS,
    NONE_WORDS,
    POOR_WORDS,
    READ_TOGETHER,
    as_list,
    personal_number_problem,
    read_together,
    training_intention,
    yes_or_no,
)
from registry.people.villages import VillageBook, village_code
from registry_contract.vocabularies import INPUT_COLUMNS
from sanbao_common.validators import (
    InvalidCode,
    normalize_id_number,
    normalize_phone,
)

_CERTIFIED = frozenset({"持证", "有证", "已取证"})
_SKILL = re.compile(r"^(?P<name>[^()（）]+?)\s*(?:[(（](?P<inside>[^()（）]*)[)）])?$")
# Between skills, but not inside the parentheses that hold a skill's level: "电工(中级,持证)；焊工".
_SKILL_SEPARATOR = re.compile(r"[；;、，,]+(?![^()（）]*[)）])")
_GROUP = re.compile(r"^第?(?P<n>\d{1,2})组?$")
_WAGE = re.compile(r"^\d+(\.\d{1,2})?$")


def parse_skills(text: str | None) -> list[dict]:
    """'电工(中级,持证)；焊工' -> [{'name': '电工', 'level': '中级', 'certificate': True}, ...]"""
    if not text or text in NONE_WORDS:
        return []
    skills = []
    items = [item.strip() for item in _SKILL_SEPARATOR.split(text) if item.strip()]
    for item in bounded_list("skills", items):  # counted before any is read
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

    def __init__(
        self, rules: Rules, villages: VillageBook | None = None, township: str | None = None
    ):
        self.rules = rules
        # The county's village list (registry.people.villages) that names and codes are looked
        # up in; without one (unit tests, benchmarks) any well-formed code of the county passes
        # and names are refused.
        self.villages = villages
        self.township = township or None  # the import's township, for rows that name none
        self._places: dict[tuple[str, str, str], str | RowProblem] = {}

    def _village(self, row: dict[str, str]) -> str:
        """The village code a row's `village_code`, `village` and `township` cells give."""
        key = (
            row.get("village_code") or "",
            row.get("village") or "",
            row.get("township") or self.township or "",
        )
        known = self._places.get(key)
        if known is None:
            try:
                known = village_code(self.rules.county, self.villages, *key)
            except RowProblem as problem:
                known = problem
            self._places[key] = known
        if isinstance(known, RowProblem):
            raise known
        return known

    def parse(self, row: dict[str, str]) -> tuple[PersonInput | None, list[RowProblem]]:
        """The person a row describes, or every problem found in it (all of them, so that a
        township corrects its roster in one pass)."""
        problems: list[RowProblem] = []
        rules = self.rules
        row = _without_personal_numbers(row, problems)

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
        village = attempt(self._village, row)
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
            person.age_problem = working_age_problem(person.birth_year, rules)
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
        read_together(target, row, id_number, rules, problems)
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
        # Required only of a file that has the column: many townships' surveys mark the
        # household poor without copying its file number, and refusing every poor head there
        # would lose the very people the guidance puts first.
        if (
            person.poor
            and person.relation_to_head == HEAD
            and not person.poverty_file_number
            and "poverty_file_number" in person.columns
        ):
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


def _without_personal_numbers(row: dict[str, str], problems: list) -> dict[str, str]:
    """The row without the free-text cells that hold an ID number or a phone (their problems
    appended: the row is refused, and no later reason quotes the number). The name stays, for
    the checks of its own (no reason quotes it)."""
    found = [
        problem
        for column in FREE_TEXT_COLUMNS
        if (problem := personal_number_problem(column, row.get(column)))
    ]
    if not found:
        return row
    problems.extend(found)
    dropped = {problem.column for problem in found} - {"name"}
    return {column: text for column, text in row.items() if column not in dropped}


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
    answer = POOR_WORDS.get(text, yes_or_no(text)) if text else None
    if text and answer is None:
        raise RowProblem("poor", f"是否建档立卡应填“是”或“否”，而非“{text}”", "poor is 是 or 否")
    person.poor = answer  # None: not stated on this row (often only the head's row says)


def _file_number(parser: Parser, person: PersonInput, text: str) -> None:
    if len(text) > 30:
        raise RowProblem(
            "poverty_file_number", "建档立卡编号过长（最多30字符）", "at most 30 characters"
        )
    person.poverty_file_number = text or None


def _agent(parser: Parser, person: PersonInput, text: str) -> None:
    person.agent = text or None


def _place(parser: Parser, person: PersonInput, text: str) -> None:
    if len(text) > 100:
        raise RowProblem("employment_place", "务工地点过长（最多100字）", "place is too long")
    person.employment_place = text or None


def _skills(parser: Parser, person: PersonInput, text: str) -> None:
    person.skills = parse_skills(text)


def _industries(parser: Parser, person: PersonInput, text: str) -> None:
    person.intention_industries = as_list("intention_industries", text)


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
    person.training_intention = training_intention(text)


def _head_name(parser: Parser, person: PersonInput, text: str) -> None:
    """Read, not stored: the head is the member whose relation is 户主."""
    if len(text) > 50:
        raise RowProblem("household_head_name", "户主姓名过长（最多50字）", "the name is too long")


_OPTIONAL = (
    ("phone", _phone),
    ("village_group", _group),
    ("household_number", _household),
    ("household_head_id", _head),
    ("relation_to_head", _relation),
    ("poor", _poor),
    ("poverty_file_number", _file_number),
    ("agent", _agent),
    ("employment_place", _place),
    ("skills", _skills),
    ("intention_industries", _industries),
    ("expected_wage", _wage),
    ("earliest_start", _start),
    ("training_intention", _training),
    ("household_head_name", _head_name),
)
if {"name", "id_number", "village_code", "village", "township", *READ_TOGETHER,
    *(c for c, _ in _OPTIONAL)} != set(INPUT_COLUMNS):  # fmt: skip
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
