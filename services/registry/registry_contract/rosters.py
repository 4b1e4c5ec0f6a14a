"""The canonical roster columns and the header texts townships actually type for them.

Township clerks start from whatever template they were last sent, so one column turns up under
several names, with "*" or "（必填）" marking it required, with full-width parentheses and with
line breaks inside the cell. `column_key` folds all of that before looking the text up.
"""

from __future__ import annotations

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


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", required=True),
    Column("id_number", "身份证号", ("身份证号码", "公民身份号码", "身份证"), required=True),
    Column("phone", "联系电话", ("手机号", "手机号码", "电话")),
    Column("village_code", "村代码", ("村(社区)代码", "行政区划代码"), required=True),
    Column("village_group", "村民小组", ("组别", "组")),
    Column("household_number", "户编号", ("户号",)),
    Column("household_head_id", "户主身份证号", ("户主身份证号码",)),
    Column("relation_to_head", "与户主关系"),
    Column("poor", "是否建档立卡", ("建档立卡户", "是否贫困户")),
    Column("poverty_file_number", "建档立卡编号", ("建档立卡户编号",)),
    Column("employment_status", "就业状态", ("务工状态",)),
    Column("employment_place", "务工地点", ("就业地点",)),
    Column("skills", "技能", ("技能特长",)),
    Column("intention_regions", "意向地区", ("外出意向地区", "意向务工地区")),
    Column("intention_industries", "意向行业", ("意向工种",)),
    Column("expected_wage", "期望月薪", ("期望月薪(元)", "期望月收入(元)")),
    Column("earliest_start", "最早出发日期", ("可外出时间",)),
    Column("training_intention", "培训意向"),
    Column("agent", "经纪人", ("劳务经纪人",)),
    Column("remarks", "备注"),
)

REQUIRED_KEYS: tuple[str, ...] = tuple(column.key for column in COLUMNS if column.required)


def normalize_header(text: str) -> str:
    """A header cell as compared: no whitespace anywhere, NFKC-folded (full-width parentheses
    and "＊" become ASCII), without the "*" or "(必填)" templates mark required columns with."""
    folded = "".join(unicodedata.normalize("NFKC", text).split())
    return folded.strip("*").removesuffix("(必填)").strip("*")


_BY_HEADER: dict[str, str] = {
    normalize_header(header): column.key
    for column in COLUMNS
    for header in (column.header_zh, *column.aliases)
}
_BY_KEY: dict[str, Column] = {column.key: column for column in COLUMNS}


def column_key(header: str) -> str | None:
    """The key of the column a header cell names, or None for a column we do not know."""
    return _BY_HEADER.get(normalize_header(header))


def header_for(key: str) -> str:
    """The Chinese header we write for a column key (KeyError for an unknown key)."""
    return _BY_KEY[key].header_zh
