"""The words townships write in a roster's cells, and what registry stores for them: lists, yes
and no, employment situations, intentions to go out and where, training intentions, and the sex,
birth date and age a roster states beside an ID number (checked against it, never stored). Pure
Python: no I/O.

docs/rosters.md, "Accepted values", lists every word; this module is where they live.
"""

from __future__ import annotations

import functools
import re
from datetime import date, timedelta

from registry.people.domain import PersonInput, RowProblem, Rules, age_on, bounded_list
from registry_contract.places import SCOPE_WORDS, farthest, place_code, scope_of_place
from registry_contract.rosters import header_for
from registry_contract.vocabularies import (
    EMPLOYMENT_STATUSES,
    NO_INTENTION,
    NO_INTENTION_LABEL,
    SCOPES,
    WILLING_TO_TRAIN,
)
from sanbao_common.privacy import mask_text
from sanbao_common.validators import id_number_birth_date

# -- lists ---------------------------------------------------------------------------------------

NONE_WORDS = frozenset({"无", "没有", "暂无", "-", "/"})
BLANK_WORDS = frozenset({"-", "/", "—", "－"})  # a cell crossed out: nothing said
_LIST_SPLIT = re.compile(r"[；;、，,/\s]+")


def split_items(text: str) -> list[str]:
    """The items of a list cell, in order, each once."""
    return list(dict.fromkeys(item for item in _LIST_SPLIT.split(text) if item))


def as_list(column: str, text: str | None) -> list[str]:
    if not text or text in NONE_WORDS:
        return []
    return bounded_list(column, split_items(text))


# Free-text columns whose words are stored as written, and published in events: an ID number or
# a mobile number typed into one (a cell pasted into the wrong column) would be stored and sent
# in clear, where the number's own column stores it sealed. Such a cell refuses its row.
FREE_TEXT_COLUMNS = (
    "name",
    "skills",
    "intention_industries",
    "training_intention",
    "employment_place",
    "intention_scope",
    "intention_regions",
)


def personal_number_problem(column: str, text: str | None) -> RowProblem | None:
    """The problem of a free-text cell holding something shaped like an ID number or a mobile
    number (what `mask_text` masks), which the reason does not repeat; None for any other."""
    if not text or mask_text(text) == text:
        return None
    header = header_for(column)
    return RowProblem(
        column,
        f"{header}中含有身份证号或手机号码：请删除，号码只能填在身份证号、联系电话等列（号码不在此显示）",
        f"{header} holds an ID number or a mobile number: remove it, such numbers belong in"
        " their own columns (the number is not shown here)",
    )


# -- yes and no ----------------------------------------------------------------------------------

YES = frozenset({"是", "√", "✓", "✔", "有", "1", "Y", "y", "yes", "Yes", "YES", "true", "True",
                 "TRUE", "愿意", "需要"})  # fmt: skip
NO = frozenset({"否", "×", "✗", "无", "0", "N", "n", "no", "No", "NO", "false", "False", "FALSE",
                "不愿意", "不需要", "没有"})  # fmt: skip
# What a household's registered-poor cell says besides yes and no (户类型: 脱贫户 is a registered
# household that has left poverty, still 建档立卡; 一般户 was never registered).
POOR_WORDS = {
    **dict.fromkeys(("建档立卡户", "建档立卡", "贫困户", "脱贫户", "已脱贫", "脱贫不稳定户"), True),
    **dict.fromkeys(("一般户", "非贫困户", "非建档立卡户", "非建档立卡"), False),
}


def yes_or_no(text: str) -> bool | None:
    """True, False, or None for a word that is neither."""
    if text in YES:
        return True
    if text in NO:
        return False
    return None


# -- employment ----------------------------------------------------------------------------------

AWAY = "away"  # 外出务工: working away, how far told by the place of work
EMPLOYMENT_WORDS: dict[str, str] = {
    **{label: code for code, label in EMPLOYMENT_STATUSES.items()},
    **{code: code for code in EMPLOYMENT_STATUSES},
    **dict.fromkeys(("在家", "务农", "在家务农", "务农在家", "在家种地", "农业生产"), "at_home"),
    **dict.fromkeys(("县内", "县内就业", "本县务工", "县内务工就业", "公益性岗位"), "in_county"),
    **dict.fromkeys(
        ("州内", "州内务工", "州内县外", "县外州内", "州内就业", "州内县外就业"), "in_prefecture"
    ),
    **dict.fromkeys(
        ("省内", "省内务工", "省内就业", "省内州外", "州外省内", "省内县外务工", "省内县外"),
        "in_province",
    ),
    **dict.fromkeys(("省外", "省外就业", "外省务工", "出省务工", "跨省务工"), "outside_province"),
    **dict.fromkeys(("失业", "未就业", "待业", "无业", "失业在家", "无工作"), "unemployed"),
    **dict.fromkeys(("无劳动能力", "丧失劳动能力", "弱劳动力无法务工"), "unable_to_work"),
    **dict.fromkeys(("外出务工", "外出", "务工", "外出就业", "已就业", "务工就业"), AWAY),
}


def employment_status(text: str, place: str | None, county: str) -> str:
    """The status code a cell gives; 外出务工 (and the like) takes its scope from the place of
    work, which must then name a place the gazetteer knows."""
    code = EMPLOYMENT_WORDS.get(text)
    if code is None:
        labels = "/".join(EMPLOYMENT_STATUSES.values())
        raise RowProblem(
            "employment_status",
            f"就业状态应为{labels}之一，而非“{text}”",
            f"employment status {text} is not one of {labels}",
        )
    if code != AWAY:
        return code
    where = place_code(place) if place else None
    if where is None:
        raise RowProblem(
            "employment_status",
            f"“{text}”未说明在何处务工：请在务工地点写明地名（如广东省、蒙自市），"
            f"或写{'/'.join(EMPLOYMENT_STATUSES[s] for s in SCOPES)}",
            f"{text} does not say where: name the place in employment_place (广东省, 蒙自市), "
            "or write the scope (县内务工, 州内县外务工, 省内州外务工, 省外务工)",
        )
    return scope_of_place(where, county)


# -- intention to go out, and where ------------------------------------------------------------

# Words that say "means to go out" without saying where (外出意愿 是).
GOING_WORDS = YES | {"外出", "愿意外出", "想外出", "外出务工", "有意向", "有意愿", "有外出意愿"}
NOT_GOING_WORDS = NO | {w for w, code in SCOPE_WORDS.items() if code == NO_INTENTION}


def intention(
    scope_text: str | None, regions_text: str | None, county: str
) -> tuple[str | None, list[str]]:
    """(intention_scope, intention_regions): `read_intention` as a new list for each person."""
    scope, regions = read_intention(scope_text, regions_text, county)
    return scope, list(regions)


@functools.lru_cache(maxsize=4096)  # a roster repeats its few answers on thousands of rows
def read_intention(
    scope_text: str | None, regions_text: str | None, county: str
) -> tuple[str | None, tuple[str, ...]]:
    """(intention_scope, intention_regions) from a row's 外出意愿 and 意向地区 cells (either may be
    None: the column is not in the file). Scope words (县内, 省外 ...) give the scope, 无/否/不外出
    give NO_INTENTION, places are the regions and give the scope when the gazetteer knows them:
    the scope is the farthest named. Refused: 无 beside anything else; a scope word nearer than
    a place named (省内 with 广东省); 是 with no scope and no place."""
    cells = {"intention_scope": scope_text or "", "intention_regions": regions_text or ""}
    going, not_going, stated, places, place_scopes = False, False, set(), [], set()
    for text in cells.values():
        if text in BLANK_WORDS:
            continue
        for item in split_items(text):
            word = item if item in SCOPES or item == NO_INTENTION else SCOPE_WORDS.get(item)
            if word == NO_INTENTION or (word is None and item in NOT_GOING_WORDS):
                not_going = True
            elif word is not None:
                stated.add(word)
            elif item in GOING_WORDS:
                going = True
            else:
                places.append(item)
                code = place_code(item)
                if code is not None:
                    place_scopes.add(scope_of_place(code, county))
    regions = tuple(bounded_list("intention_regions", places))
    said = "、".join(f"{_LABELS[c]}“{t}”" for c, t in cells.items() if t)
    if not_going and (going or stated or places):
        raise _contradiction(said, "“无/否”与去向不能同时填写", "no intention beside a place")
    if stated and place_scopes and farthest(stated) != farthest(stated | place_scopes):
        raise _contradiction(said, "所写范围比所写地名近", "the scope is nearer than a place")
    if not_going:
        return NO_INTENTION, ()
    scope = farthest(stated | place_scopes)
    if going and scope is None and not places:
        raise RowProblem(
            "intention_scope",
            "外出意愿为“是”，但未写明去向：请在意向地区写地名，或写县内/州内/省内/省外",
            "means to go out but says nowhere: name a place in intention_regions, or write "
            "县内, 州内, 省内 or 省外",
        )
    return scope, regions


_LABELS = {"intention_scope": "外出意愿", "intention_regions": "意向地区"}


def intention_cell(scope: str | None, regions: list[str]) -> str:
    """The 意向地区 cell an export writes for a stored intention, which `intention` reads back
    as the same scope and regions: the scope's word first (无 alone for none), then the places."""
    if scope == NO_INTENTION:
        return NO_INTENTION_LABEL
    return "；".join(([SCOPES[scope]] if scope in SCOPES else []) + list(regions))


def _contradiction(said: str, why_zh: str, why_en: str) -> RowProblem:
    return RowProblem(
        "intention_regions",
        f"外出意愿与意向地区矛盾（{why_zh}）：{said}",
        f"the intention contradicts itself ({why_en}): {said}",
    )


# -- training ------------------------------------------------------------------------------------


def training_intention(text: str) -> list[str]:
    """培训意愿: 是 -> [WILLING_TO_TRAIN] (willing, no course named); 否/无 -> []; else the courses
    named."""
    answer = yes_or_no(text)
    if answer is True:
        return [WILLING_TO_TRAIN]
    if answer is False:
        return []
    return as_list("training_intention", text)


# -- what a roster states beside the ID number ---------------------------------------------------

SEXES = {"男": "male", "男性": "male", "male": "male", "女": "female", "女性": "female",
         "female": "female"}  # fmt: skip
_SEX_ZH = {"male": "男", "female": "女"}
_DATE = (
    re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$"),
    re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})月?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})?$"),
    re.compile(r"^(?P<y>\d{4})年?$"),
)
_SERIAL = re.compile(r"^\d{5}(\.0+)?$")  # an Excel date cell read as its number (1927 on)
_EXCEL_EPOCH = date(1899, 12, 30)
_AGE = re.compile(r"^(\d{1,3})(?:\.0+)?(?:岁|周岁)?$")


def check_sex(text: str, id_number: str) -> None:
    sex = SEXES.get(text)
    if sex is None:
        raise RowProblem("sex", f"性别应为男或女，而非“{text}”", f"sex is 男 or 女, not {text}")
    stated = "male" if int(id_number[16]) % 2 else "female"
    if sex != stated:
        raise RowProblem(
            "sex",
            f"性别“{text}”与身份证号（{_SEX_ZH[stated]}）不符",
            f"sex {text} does not match the ID number ({stated})",
        )


def _birth_date(text: str) -> tuple[int, int | None, int | None]:
    """(year, month or None, day or None) as a cell writes it; an Excel date serial is a whole
    date. The text is not echoed in the reason (it sits near a birth date)."""
    text = text.removesuffix(" 00:00:00")
    if _SERIAL.match(text):
        day = _EXCEL_EPOCH + timedelta(days=int(float(text)))
        return day.year, day.month, day.day
    for pattern in _DATE:
        match = pattern.match(text)
        if match:
            parts = match.groupdict()
            year, month, day = (int(parts[k]) if parts.get(k) else None for k in "ymd")
            try:
                date(year, month or 1, day or 1)
            except ValueError:
                break
            return year, month, day
    raise RowProblem(
        "birth_date",
        "出生日期应写作 YYYY-MM-DD、YYYY.MM 或 YYYY年MM月",
        "a birth date is YYYY-MM-DD, YYYY.MM or YYYY年MM月",
    )


def check_birth_date(text: str, born: date) -> None:
    """The dates are not echoed in the reason: a refusal is stored, and the ID number's birth
    date stays inside the sealed ID number (docs/access.md)."""
    year, month, day = _birth_date(text)
    if year != born.year or month not in (None, born.month) or day not in (None, born.day):
        raise RowProblem(
            "birth_date",
            "出生日期与身份证号中的出生日期不符（日期不在此显示）",
            "the birth date does not match the one in the ID number (neither is shown here)",
        )


def check_age(text: str, born: date, today: date) -> None:
    """Whole years on the day of the import. Neither age is echoed in the reason: with the day,
    an age narrows the birthday (docs/access.md)."""
    match = _AGE.match(text)
    if not match:
        raise RowProblem("age", "年龄应为整岁数（如 35 或 35岁）", "an age is whole years")
    if int(match[1]) != age_on(born, today):
        raise RowProblem(
            "age",
            "年龄与身份证号中的出生日期不符（按今日计算整岁；年龄不在此显示）",
            "the age does not match the birth date in the ID number, in whole years as of "
            "today (neither is shown here)",
        )


# -- the values read together --------------------------------------------------------------------

# The columns `read_together` reads (the parser reads every other column on its own).
READ_TOGETHER = (
    "employment_status", "intention_scope", "intention_regions", "sex", "birth_date", "age",
)  # fmt: skip


def read_together(
    person: PersonInput, row: dict[str, str], id_number: str | None, rules: Rules, problems: list
) -> None:
    """The values read with another column: 外出务工 with its place of work (read before),
    外出意愿 with 意向地区, and sex, birth date and age with the ID number (checked, not stored: a
    row that contradicts its ID number is refused, never corrected). Problems are appended."""
    try:
        if row.get("employment_status"):
            person.employment_status = employment_status(
                row["employment_status"], person.employment_place, rules.county
            )
        elif "employment_status" in row:
            person.employment_status = None
    except RowProblem as problem:
        problems.append(problem)
    try:
        if "intention_scope" in row or "intention_regions" in row:
            person.intention_scope, person.intention_regions = intention(
                row.get("intention_scope"), row.get("intention_regions"), rules.county
            )
    except RowProblem as problem:
        problems.append(problem)
    if id_number is None or not any(row.get(column) for column in ("sex", "birth_date", "age")):
        return  # nothing to check, or the ID number's own problem is reported already
    born = id_number_birth_date(id_number)
    checks = (
        ("sex", check_sex, (id_number,)),
        ("birth_date", check_birth_date, (born,)),
        ("age", check_age, (born, rules.today)),
    )
    for column, check, against in checks:
        if row.get(column):
            try:
                check(row[column], *against)
            except RowProblem as problem:
                problems.append(problem)
