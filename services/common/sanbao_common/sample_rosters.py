"""Generated township rosters for tests, the demo and the benchmark (in the kit, so that the CLI
and the benchmark need no registry code: the columns come from registry's contract package).

A (seed, county) pair names a roster: the same arguments give the same rows on every machine.
People come from `sanbao_common.sample_data`, so names and ID numbers look like the rest of the
project's sample data; everything else comes from a second generator seeded from the same pair.
Rows made bad on purpose carry the kind of fault in a "_bad" key, for tests to check the import
report against; `roster_bytes` leaves that key out of the file. The agent column stays empty: an
agent is named by a username of the county's directory, which a generated roster cannot know.
"""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import date, datetime, timedelta
from itertools import cycle

from openpyxl import Workbook

from registry_contract.rosters import COLUMNS
from registry_contract.vocabularies import EMPLOYMENT_STATUSES
from sanbao_common.sample_data import SampleData
from sanbao_common.spreadsheets import write_table
from sanbao_common.validators import id_number_check_digit

# Everyone is of working age (16 to 64) on 2026-11-28, and stays so until the end of 2030.
BIRTH_YEARS = (1966, 2009)
HEAD_BORN_BY = 1995  # heads of household are 31 or older
OUTSIDER_SHARE = 0.1  # born (so first issued an ID number) in another county
POOR_SHARE = 0.3

# Kinds of bad row, each a fault of one field that an import refuses the row for.
BAD_KINDS = (
    "check_digit",  # ID number with a wrong check digit
    "birth_date",  # ID number born on 1990-02-30
    "missing_name",
    "phone_digits",  # a phone number of 10 digits
    "village_outside_county",  # a village code of another county
    "employment_status",  # 打零工了
    "expected_wage",  # 面议
    "duplicate_id",  # the ID number of an earlier row
    "earliest_start",  # 下个月
)

_STATUSES = tuple(EMPLOYMENT_STATUSES.values())  # the labels townships write
_STATUS_WEIGHTS = (25, 15, 10, 5, 30, 10, 5)  # in the order of _STATUSES
_PLACES = {
    "县内务工": ("县城工业园区", "县城", "乡镇集镇"),
    "州内县外务工": ("蒙自市", "开远市", "建水县"),
    "省内州外务工": ("昆明市", "玉溪市", "曲靖市"),
    "省外务工": ("广东省东莞市", "广东省深圳市", "浙江省宁波市", "江苏省苏州市", "福建省泉州市"),
}
_SKILLS = ("电工(中级)", "焊工", "砌筑工", "中式烹调师", "挖掘机驾驶", "缝纫工", "家政服务员")
_REGIONS = ("广东省", "浙江省", "江苏省", "福建省", "上海市", "云南省")
_INDUSTRIES = ("制造业", "建筑业", "餐饮住宿", "家政服务", "物流运输", "电子装配")
_TRAININGS = ("电工", "焊工", "中式烹调师", "育婴员", "挖掘机驾驶", "无")
_REMARKS = ("家有老人需照顾", "只接受长期工", "已外出，电话联系")
_FIRST_START = date(2026, 12, 1)  # earliest_start falls in December 2026 or January 2027


def generate_roster_rows(
    n: int, *, county: str = "532501", seed: int = 1, bad_fraction: float = 0.0
) -> list[dict[str, str]]:
    """`n` roster rows (column key -> value; empty values left out) of whole households, of
    which round(n * bad_fraction) are bad, each in one of BAD_KINDS."""
    if not 0 <= bad_fraction <= 1:
        raise ValueError(f"bad_fraction must lie in [0, 1], not {bad_fraction}")
    people = SampleData(seed)
    rng = random.Random(f"roster:{county}:{seed}")
    rows: list[dict[str, str]] = []
    issued: set[str] = set()
    households = Counter[str]()
    while len(rows) < n:
        village = f"{county}{rng.randint(1, 10):03d}{rng.randint(201, 220):03d}"
        households[village] += 1
        household = {
            "village_code": village,
            "village_group": str(rng.randint(1, 9)),
            "household_number": f"{village}{households[village]:04d}",
            "poor": "否",
        }
        if rng.random() < POOR_SHARE:
            household |= {"poor": "是", "poverty_file_number": f"YN{rng.randrange(10**10):010d}"}
        head_born = parents = 0
        for member in range(min(rng.randint(1, 5), n - len(rows))):
            if member == 0:
                relation, born = "户主", (BIRTH_YEARS[0], HEAD_BORN_BY)
            else:
                relation, born = _relation(rng, head_born, spouse=member == 1, parents=parents)
                parents += relation == "父母"
            id_number = _new_id_number(people, rng, county, issued, born)
            if member == 0:
                household["household_head_id"] = id_number
                head_born = int(id_number[6:10])
            person = {"name": people.name(), "id_number": id_number}
            if rng.random() < 0.9:
                person["phone"] = people.phone()
            rows.append({**person, **household, "relation_to_head": relation, **_work(rng)})
    _spoil(rows, round(n * bad_fraction), rng, county)
    return [{key: value for key, value in row.items() if value} for row in rows]


def _relation(
    rng: random.Random, head_born: int, *, spouse: bool, parents: int
) -> tuple[str, tuple[int, int]]:
    """A household member's relation to the head, and birth years that fit it (heads are born
    by HEAD_BORN_BY, so a child or a parent of working age fits every head)."""
    first, last = BIRTH_YEARS
    fitting = {
        "配偶": (max(first, head_born - 5), min(last, head_born + 5)),
        "子女": (head_born + 20, min(last, head_born + 35)),
        "父母": (max(first, head_born - 35), head_born - 20),
    }
    if spouse and rng.random() < 0.7:
        return "配偶", fitting["配偶"]
    choices = [
        relation
        for relation in ("子女", "父母")
        if fitting[relation][0] <= fitting[relation][1] and (relation, parents) != ("父母", 2)
    ]
    if not choices:  # a young head whose parents are both listed
        return "兄弟姐妹", fitting["配偶"]
    relation = rng.choice(choices)
    return relation, fitting[relation]


def _new_id_number(
    people: SampleData, rng: random.Random, county: str, issued: set[str], born: tuple[int, int]
) -> str:
    while True:
        if rng.random() < OUTSIDER_SHARE:
            number = people.outsider_id_number(born)
        else:
            number = people.id_number(county, born)
        if number not in issued:
            issued.add(number)
            return number


def _work(rng: random.Random) -> dict[str, str]:
    """The employment and intention columns of one person."""
    status = rng.choices(_STATUSES, weights=_STATUS_WEIGHTS)[0]
    work = {
        "employment_status": status,
        "employment_place": rng.choice(_PLACES[status]) if status in _PLACES else "",
        "remarks": rng.choice(_REMARKS) if rng.random() < 0.1 else "",
    }
    if status == "无劳动能力":
        return work
    separator = rng.choice(("；", ";"))  # clerks type either, depending on the input method
    skills = rng.sample(_SKILLS, rng.randint(1, 2)) if rng.random() < 0.6 else []
    start = _FIRST_START + timedelta(days=rng.randrange(62))
    return work | {
        "skills": separator.join(skills),
        "intention_regions": separator.join(rng.sample(_REGIONS, rng.randint(1, 2))),
        "intention_industries": separator.join(rng.sample(_INDUSTRIES, rng.randint(1, 2))),
        "expected_wage": str(rng.randrange(3500, 8001, 100)),
        "earliest_start": start.isoformat(),
        "training_intention": rng.choice(_TRAININGS),
    }


def _spoil(rows: list[dict[str, str]], count: int, rng: random.Random, county: str) -> None:
    """Makes `count` rows bad, the kinds taken in turn. Household members go first: nobody's
    household_head_id points at them, so refusing them leaves every other row as it was."""
    members = [i for i, row in enumerate(rows) if row["relation_to_head"] != "户主"]
    heads = [i for i, row in enumerate(rows) if row["relation_to_head"] == "户主"]
    chosen = sorted((rng.sample(members, len(members)) + rng.sample(heads, len(heads)))[:count])
    bad = set(chosen)
    good_before: list[int | None] = []  # the nearest earlier row left good, for duplicate_id
    last_good = None
    for index in range(len(rows)):
        good_before.append(last_good)
        if index not in bad:
            last_good = index
    other_county = "532528" if county != "532528" else "532501"
    kinds = cycle(BAD_KINDS)
    for index in chosen:
        row, kind = rows[index], next(kinds)
        if kind == "duplicate_id" and good_before[index] is None:
            kind = next(kinds)
        match kind:
            case "check_digit":
                digits = "0123456789X"
                wrong = digits[(digits.index(row["id_number"][17]) + 1) % len(digits)]
                row["id_number"] = row["id_number"][:17] + wrong
            case "birth_date":
                first17 = row["id_number"][:6] + "19900230" + row["id_number"][14:17]
                row["id_number"] = first17 + id_number_check_digit(first17)
            case "missing_name":
                row["name"] = ""
            case "phone_digits":
                row["phone"] = f"1{rng.randrange(10**9):09d}"
            case "village_outside_county":
                row["village_code"] = f"{other_county}101201"
            case "employment_status":
                row["employment_status"] = "打零工了"
            case "expected_wage":
                row["expected_wage"] = "面议"
            case "duplicate_id":
                row["id_number"] = rows[good_before[index]]["id_number"]
            case "earliest_start":
                row["earliest_start"] = "下个月"
        row["_bad"] = kind


def roster_bytes(rows: list[dict[str, str]], fmt: str, *, title: str | None = None) -> bytes:
    """The rows as a roster file with the template's columns, as the county's template has."""
    columns = [column for column in COLUMNS if column.template]
    return write_table(
        fmt,
        [column.header_zh for column in columns],
        ([row.get(column.key) for column in columns] for row in rows),
        title=title,
    )


def awkward_roster_xlsx() -> bytes:
    """A small roster laid out as townships' own spreadsheets are: a merged title, a blank row
    and a 填报单位 line above the header; header cells with "*", line breaks and full-width
    parentheses; a phone number and a date stored as Excel numbers; an empty row among the data;
    values with trailing (full-width) spaces; an ID number ending in a lowercase x; and columns
    we do not read (序号, 备用)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(["新街镇2026年农村劳动力花名册"])
    sheet.merge_cells("A1:J1")
    sheet.append([])
    sheet.append(["填报单位：新街镇 填报日期：2026年11月"])
    sheet.append(
        [
            "序号", "姓 名*", "身份证号码\n（必填）", "联系电话", "村（社区）代码*", "村民小组",
            "就业状态", "期望月薪（元）", "最早出发日期", "备用",
        ]
    )  # fmt: skip
    sheet.append(
        [
            1, "李秀英\u3000", "53250119880315005x", 13987654321, "532501001201", "3",
            "省外务工 ", "4500", datetime(2026, 12, 15), "旧表第3页",
        ]
    )  # fmt: skip
    sheet.append(
        [
            2, " 普文华", "532501199507020212", "13512345678", "532501001201", 3,
            "在家务农", None, "2027-01-05", None,
        ]
    )  # fmt: skip
    sheet.append([None, " ", "\u3000", None, ""])
    sheet.append(
        [
            3, "白娅", "532501200104180137 ", None, "532501001202", "1",
            "县内务工", 3800, None, None,
        ]
    )  # fmt: skip
    sheet["I5"].number_format = "yyyy-mm-dd"
    target = io.BytesIO()
    book.save(target)
    return target.getvalue()
