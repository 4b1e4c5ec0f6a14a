"""The canonical roster columns and the header texts townships actually type for them.

Township clerks start from whatever template they were last sent, so one column turns up under
several names, with "*" or "（必填）" marking it required, with full-width parentheses, with
line breaks inside the cell and with a note on how to fill it (`身份证号码（18位）`). `column_key`
folds all of that before looking the text up. The aliases are the headers collected from
townships' own spreadsheets (docs/rosters.md lists them); a header we do not know that names
data we should keep, or a column with data and no header at all (`unnamed_header`), is caught
by `looks_known`, so that an import does not drop such a column without being told it may.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A roster file travels to registry in parts (`registry.upload_roster_part`), each small enough
# for any RPC request, and is then imported whole (`registry.start_roster_import` with the upload
# id): no request need be large, so every method keeps the default request limit. A county's
# 100,000 labourers are some 19 MiB as CSV, 10 MiB as XLSX.
MAX_ROSTER_BYTES = 32 * 1024 * 1024
ROSTER_PART_BYTES = 2 * 1024 * 1024  # 2.7 MiB of base64: under the 4 MiB default request limit
MAX_ROSTER_PARTS = MAX_ROSTER_BYTES // ROSTER_PART_BYTES


@dataclass(frozen=True)
class Column:
    key: str
    header_zh: str  # the header we write
    aliases: tuple[str, ...] = ()  # further headers accepted on import
    required: bool = False
    template: bool = True  # written in the template, the examples and sample rosters


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", ("人员姓名", "劳动力姓名", "成员姓名", "家庭成员姓名"), required=True),
    Column(
        "id_number",
        "身份证号",
        (
            "身份证号码",
            "公民身份号码",
            "身份证件号码",
            "公民身份证号码",
            "身份证",
            "证件号码",
            "身份证号(18位)",
        ),
        required=True,
    ),  # fmt: skip
    Column(
        "phone",
        "联系电话",
        (
            "手机号",
            "手机号码",
            "电话",
            "手机",
            "联系方式",
            "电话号码",
            "联系电话(手机)",
            "本人电话",
        ),
    ),  # fmt: skip
    Column("village_code", "村代码", ("村(社区)代码", "行政区划代码", "村委会代码", "行政村代码")),
    Column(
        "village",
        "村委会",
        (
            "行政村",
            "村",
            "村名",
            "所在村",
            "所属村",
            "村(社区)",
            "村委会名称",
            "村民委员会",
            "社区",
            "村(居)委会",
            "村(居)",
            "村(社区)名称",
            "行政村名称",
            "所在村委会",
        ),
        template=False,
    ),  # fmt: skip
    Column(
        "township",
        "乡镇",
        (
            "乡(镇)",
            "所属乡镇",
            "镇",
            "乡",
            "乡镇(街道)",
            "乡(镇、街道)",
            "所在乡镇",
            "乡镇名称",
            "乡(镇)名称",
        ),
        template=False,
    ),  # fmt: skip
    Column("village_group", "村民小组", ("组别", "组", "小组", "村小组", "所在组", "村民组")),
    Column("household_number", "户编号", ("户号", "户码", "户编码", "家庭编号")),
    Column(
        "household_head_id",
        "户主身份证号",
        ("户主身份证号码", "户主身份证", "户主证件号码", "户主公民身份号码"),
    ),
    Column("household_head_name", "户主姓名", ("户主",), template=False),
    Column("relation_to_head", "与户主关系", ("与户主的关系", "家庭关系", "与户主关系(称谓)")),
    Column(
        "poor",
        "是否建档立卡",
        (
            "建档立卡户",
            "是否贫困户",
            "建档立卡",
            "贫困户",
            "是否建档立卡户",
            "是否建档立卡贫困户",
            "是否脱贫户",
            "脱贫户",
            "户类型",
            "是否脱贫人口",
            "是否建档立卡贫困人口",
        ),
    ),  # fmt: skip
    Column("poverty_file_number", "建档立卡编号", ("建档立卡户编号", "贫困户编号")),
    Column("employment_status", "就业状态", ("务工状态", "就业情况", "务工情况", "就业状况")),
    Column(
        "employment_place",
        "务工地点",
        ("就业地点", "务工地址", "就业地址", "务工所在地", "就业所在地", "务工地"),
    ),
    Column("skills", "技能", ("技能特长", "专业技能", "掌握技能", "技能情况", "技能等级")),
    Column(
        "intention_scope",
        "外出意愿",
        (
            "就业意愿",
            "是否外出务工",
            "是否愿意外出务工",
            "外出务工意愿",
            "务工意愿",
            "转移就业意愿",
            "是否有外出意愿",
        ),
        template=False,
    ),  # fmt: skip
    Column(
        "intention_regions",
        "意向地区",
        (
            "外出意向地区",
            "意向务工地区",
            "意向就业地区",
            "意向务工地点",
            "意向就业地点",
            "期望务工地区",
            "期望就业地区",
            "意向地点",
            "外出务工意向地",
        ),
    ),  # fmt: skip
    Column("intention_industries", "意向行业", ("意向工种", "意向岗位", "期望行业", "期望工种")),
    Column(
        "expected_wage",
        "期望月薪",
        (
            "期望月薪(元)",
            "期望月收入(元)",
            "期望月收入",
            "期望工资",
            "期望工资(元)",
            "期望薪资",
            "期望薪酬",
            "期望工资(元/月)",
        ),
    ),  # fmt: skip
    Column("earliest_start", "最早出发日期", ("可外出时间", "可外出日期", "可出发时间")),
    Column(
        "training_intention",
        "培训意向",
        (
            "培训意愿",
            "是否愿意参加培训",
            "培训需求",
            "意向培训工种",
            "意向培训项目",
            "是否有培训意愿",
            "培训意向工种",
        ),
    ),  # fmt: skip
    Column("sex", "性别", template=False),
    Column("birth_date", "出生日期", ("出生年月", "出生年月日", "出生时间"), template=False),
    Column("age", "年龄", ("年龄(岁)", "周岁"), template=False),
    Column("agent", "经纪人", ("劳务经纪人",)),
    Column("remarks", "备注", ("备注说明",)),
)

# A roster names every person and their ID number, and their village by code or by name (or
# both): at least one of VILLAGE_KEYS.
REQUIRED_KEYS: tuple[str, ...] = tuple(column.key for column in COLUMNS if column.required)
VILLAGE_KEYS: tuple[str, ...] = ("village_code", "village")
TEMPLATE_KEYS: tuple[str, ...] = tuple(column.key for column in COLUMNS if column.template)


# Characters a header cell may hide that show as nothing: zero-width spaces and joiners, a BOM.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def normalize_header(text: str) -> str:
    """A header cell as compared: no whitespace anywhere (line breaks, full-width spaces and
    zero-width characters too), NFKC-folded (full-width parentheses, letters and "＊" become
    ASCII), without the "*" or "(必填)" templates mark required columns with."""
    folded = "".join(unicodedata.normalize("NFKC", text).translate(_INVISIBLE).split())
    return folded.strip("*").removesuffix("(必填)").strip("*")


# A parenthesised note after a header, about how to fill the column rather than what it holds:
# （18位）, (必填), （如：…）, （元/月）, （是/否）. A note about whom it holds (户主, 本人,
# 配偶) is not one: 身份证号（户主） is not the person's own ID number.
_NOTE = re.compile(r"\(([^()]*)\)$")
_FORMAT_NOTE = re.compile(
    r"^(?:\d+位.*|必填|选填|非必填|可选|必录|[如例注请填格].*|是/否|是或否|[是否有无]/[是否有无]"
    r"|男/女|单选|多选|可多选|文本|数字|元|元/月|元/人/月|岁|周岁|YYYY.*|yyyy.*|年-?月-?日?)$"
)
_ABOUT_WHOM = ("户主", "本人", "配偶", "家属", "子女", "父", "母")


def without_notes(header: str) -> str:
    """A normalized header without the notes on how to fill it (`_FORMAT_NOTE`) at its end:
    "身份证号码(18位)" -> "身份证号码". Other notes stay."""
    while (note := _NOTE.search(header)) and note.start() > 0:
        inside = note[1]
        if not _FORMAT_NOTE.match(inside) or any(w in inside for w in _ABOUT_WHOM):
            break
        header = header[: note.start()].strip("*")
    return header


_BY_HEADER: dict[str, str] = {
    normalize_header(header): column.key
    for column in COLUMNS
    for header in (column.header_zh, *column.aliases)
}
_BY_KEY: dict[str, Column] = {column.key: column for column in COLUMNS}


def column_key(header: str) -> str | None:
    """The key of the column a header cell names, or None for a column we do not know. A
    header we know followed by a note on how to fill it (`身份证号码（18位）`, `性别（必填）`,
    `联系电话（如：13800000000）`) names the same column."""
    folded = normalize_header(header)
    return _BY_HEADER.get(folded) or _BY_HEADER.get(without_notes(folded))


def header_for(key: str) -> str:
    """The Chinese header we write for a column key (KeyError for an unknown key)."""
    return _BY_KEY[key].header_zh


def has_required(keys) -> bool:
    """Whether columns with these keys make a roster: every required one and a village."""
    found = set(keys)
    return found.issuperset(REQUIRED_KEYS) and not found.isdisjoint(VILLAGE_KEYS)


def missing_required(keys) -> list[tuple[str, str]]:
    """What a header with these keys lacks, (Chinese, English) each: "身份证号", or the village
    as "村代码或村委会" / "村代码 or 村委会"."""
    found = set(keys)
    missing = [(header_for(key), header_for(key)) for key in REQUIRED_KEYS if key not in found]
    if found.isdisjoint(VILLAGE_KEYS):
        code, name = (header_for(key) for key in VILLAGE_KEYS)
        missing.append((f"{code}或{name}", f"{code} or {name}"))
    return missing


# Words of headers we do not read that name data a roster should not lose: an unread column
# holding one of them is likely a variant we have not collected yet. The first kind found wins
# (培训意向 is training, not intention; 户主身份号码 is identity, not household).
_KNOWN_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("training", ("培训",)),
    (
        "poverty",
        (
            "贫困",
            "建档",
            "脱贫",
            "低保",
            "监测",
            "返贫",
            "扶贫",
            "帮扶",
            "特困",
            "五保",
            "残疾",
            "人口类型",
            "户属性",
            "户类别",
            "户类型",
            "兜底",
            "易地搬迁",
        ),
    ),  # fmt: skip
    ("intention", ("意愿", "意向", "外出", "期望")),
    ("identity", ("身份证", "证件号", "身份号码", "公民身份", "性别", "出生", "年龄")),
    ("phone", ("电话", "手机", "联系方式")),
    ("skills", ("技能", "特长", "职业资格", "技术等级", "证书")),
    ("employment", ("就业", "务工", "工作", "劳务", "收入", "职业", "工种")),
    ("household", ("户主", "户编", "户号", "家庭", "家属")),
)
# The header an unread column with data under an empty header cell is named by: its letter, as
# Excel shows it ("F列（无表头）"), and --ignore-column F列 lets it go.
NO_HEADER_KIND = "no_header"
_NO_HEADER_NOTE = "（无表头）"
_NO_HEADER = re.compile(r"^[A-Z]{1,3}列\(无表头\)$")


def unnamed_header(letter: str) -> str:
    """How a column with data under an empty header cell is named: "F列（无表头）"."""
    return f"{letter}列{_NO_HEADER_NOTE}"


def looks_known(header: str) -> str | None:
    """For the header of a column we do not read: the kind of data it looks like ("poverty",
    "intention", "training", "phone", "identity", "skills", "employment", "household"), or
    NO_HEADER_KIND for a column with data under an empty header cell (`unnamed_header`), or
    None for one that looks like nothing we keep (序号, 备用, 文化程度 ...)."""
    folded = normalize_header(header)
    if _NO_HEADER.match(folded.upper()):
        return NO_HEADER_KIND
    for kind, words in _KNOWN_KINDS:
        if any(word in folded for word in words):
            return kind
    return None


def ignore_key(header: str) -> str:
    """A header as `--ignore-column` names it: compared as the importer compares headers
    (whitespace, "*", "(必填)" and full-width forms aside, letters in any case); a column
    without a header by its letter, "F列" or "F列（无表头）" alike."""
    return normalize_header(header).upper().removesuffix("(无表头)")
