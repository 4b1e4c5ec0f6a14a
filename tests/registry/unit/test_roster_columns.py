"""The roster's column vocabulary: the header names townships actually use, what a roster must
name, and the unread headers that look like data we keep (so that none is dropped unsaid)."""

import pytest

from registry.rosters.reading import RosterUnreadable, open_roster
from registry_contract.rosters import (
    COLUMNS,
    NO_HEADER_KIND,
    column_key,
    has_required,
    ignore_key,
    looks_known,
    missing_required,
    normalize_header,
    unnamed_header,
)
from registry_contract.vocabularies import INPUT_COLUMNS
from testkit import ROOT

# Header texts collected from townships' own spreadsheets (the issue's and the docs' list).
VARIANTS = {
    "id_number": ["身份证号", "身份证号码", "公民身份号码", "身份证件号码", "证件号码"],
    "poor": ["是否建档立卡户", "是否贫困户", "建档立卡", "建档立卡户", "贫困户", "是否建档立卡"],
    "village": ["村委会", "行政村", "村", "村名", "所在村", "村（社区）", "村(居)委会"],
    "township": ["乡镇", "乡（镇）", "所属乡镇", "镇", "乡镇（街道）"],
    "village_group": ["村民小组", "组", "小组", "组别"],
    "intention_scope": ["就业意愿", "外出意愿", "是否外出务工"],
    "intention_regions": ["意向地区", "外出意向地区", "意向务工地区"],
    "training_intention": ["培训意愿", "是否愿意参加培训", "培训意向"],
    "phone": ["联系电话", "手机", "手机号码", "联系方式", "电话号码"],
    "sex": ["性别"],
    "birth_date": ["出生日期", "出生年月"],
    "age": ["年龄", "年龄（岁）"],
    "household_head_name": ["户主", "户主姓名"],
    "household_head_id": ["户主身份证号", "户主身份证号码"],
}


@pytest.mark.parametrize("key", sorted(VARIANTS))
def test_the_headers_townships_use_name_their_column(key):
    for header in VARIANTS[key]:
        assert column_key(header) == key, header
        assert column_key(f"*{header}（必填）") == key  # marks and full-width forms fold


def test_no_header_names_two_columns_and_every_column_is_one_the_parser_reads():
    headers = [normalize_header(h) for c in COLUMNS for h in (c.header_zh, *c.aliases)]
    assert len(headers) == len(set(headers))
    # remarks are read and left; every other column is an input of a labourer
    assert {c.key for c in COLUMNS} - {"remarks"} == set(INPUT_COLUMNS)


def test_a_roster_names_a_person_and_a_village_by_code_or_by_name():
    assert has_required({"name", "id_number", "village_code"})
    assert has_required({"name", "id_number", "village"})
    assert not has_required({"name", "id_number", "township"})
    assert missing_required({"name", "village"}) == [("身份证号", "身份证号")]
    assert missing_required({"name", "id_number"}) == [("村代码或村委会", "村代码 or 村委会")]


def test_a_roster_with_villages_by_name_only_is_read_and_without_a_village_is_refused():
    text = "姓名,身份证号码,乡镇,村委会,组\r\n李秀英,11010519491231002X,新街镇,大寨村,3\r\n"
    roster = open_roster(text.encode(), "r.csv")
    [row] = roster.rows()
    assert row.values == {"name": "李秀英", "id_number": "11010519491231002X", "township": "新街镇",
                          "village": "大寨村", "village_group": "3"}  # fmt: skip
    with pytest.raises(RosterUnreadable) as caught:
        open_roster("姓名,身份证号,乡镇\r\n李秀英,11010519491231002X,新街镇\r\n".encode(), "r.csv")
    assert caught.value.reason_code == "MISSING_COLUMNS"
    assert "村代码或村委会" in caught.value.message_zh
    assert "村代码 or 村委会" in caught.value.message_en


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("是否为脱贫户（含监测户）", "poverty"),
        ("低保户", "poverty"),
        ("是否监测对象", "poverty"),
        ("培训意愿及工种", "training"),
        ("参加培训情况", "training"),
        ("外出务工意向", "intention"),
        ("就业意向", "intention"),
        ("手机号（本人）", "phone"),
        ("家属电话", "phone"),
        ("户主性别", "identity"),
        ("身份证号（户主）", "identity"),  # a note about whom: not the person's own column
        ("出生年份", "identity"),
        ("身份证号（旧）", "identity"),
        # Employment, skills and household type, which had no words (the review's headers).
        ("务工状况", "employment"),
        ("就业形式", "employment"),
        ("职业技能", "skills"),
        ("户属性", "poverty"),
        ("户类别", "poverty"),
        ("人口类型", "poverty"),
        ("帮扶对象", "poverty"),
        ("残疾类别", "poverty"),
        ("是否低保", "poverty"),
        ("户主身份号码", "identity"),
        ("家庭人口数", "household"),
        # Whitespace, line breaks, full-width and zero-width characters change nothing.
        ("务工\n状况", "employment"),
        (" 职业　技能 ", "skills"),
        ("帮扶\u200b对象", "poverty"),
        ("户主身份号码\r\n（必填）", "identity"),
        ("序号", None),
        ("文化程度", None),
        ("健康状况", None),
        ("备用", None),
    ],
)
def test_an_unread_header_that_looks_like_data_we_keep_is_told_apart(header, kind):
    assert column_key(header) is None  # a header we do not read ...
    assert looks_known(header) == kind  # ... and whether it looks like data not to lose


def test_the_columns_the_issue_lost_are_read_now():
    """是否建档立卡户, 培训意愿 and 性别 were dropped without a word: now each is read."""
    text = (
        "姓名,性别,身份证号码,村委会,是否建档立卡户,培训意愿,序号\r\n"
        "李秀英,女,11010519491231002X,大寨村,是,是,1\r\n"
    )
    roster = open_roster(text.encode("gbk"), "r.csv")
    [sheet] = roster.sheets
    assert sheet.ignored_columns == ["序号"]
    assert set(sheet.columns) == {"name", "sex", "id_number", "village", "poor",
                                  "training_intention"}  # fmt: skip


def test_docs_list_every_header_accepted_for_each_column():
    text = (ROOT / "docs/rosters.md").read_text(encoding="utf-8")
    table = text.split("| header (what we write) | also accepted | key |", 1)[1]
    documented = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        header, aliases, key = (cell.strip() for cell in line.strip("|").split("|")[:3])
        documented[key.strip("`")] = [header, *(a for a in aliases.split(", ") if a)]
    assert documented == {c.key: [c.header_zh, *c.aliases] for c in COLUMNS}


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("身份证号码（18位）", "id_number"),
        ("身份证号码(18位)*", "id_number"),
        ("公民身份号码\n（必填）（18位）", "id_number"),
        ("性别（男/女）", "sex"),
        ("联系电话（如：13800000000）", "phone"),
        ("是否建档立卡户（是/否）", "poor"),
        ("期望月薪（元/月）", "expected_wage"),
        ("出生日期（YYYY-MM-DD）", "birth_date"),
        ("村委会（填写全称）", "village"),
    ],
)
def test_a_known_header_with_a_note_on_how_to_fill_it_names_its_column(header, key):
    assert column_key(header) == key


@pytest.mark.parametrize("header", ["身份证号（户主）", "联系电话（户主）", "姓名（配偶）"])
def test_a_note_about_whom_a_column_holds_is_not_folded_away(header):
    assert column_key(header) is None


def test_a_column_without_a_header_is_named_by_its_letter_and_let_go_by_it():
    assert unnamed_header("F") == "F列（无表头）"
    assert looks_known("F列（无表头）") == NO_HEADER_KIND
    assert looks_known("f列(无表头)") == NO_HEADER_KIND
    assert looks_known("F列") is None  # a header someone typed: named only
    assert {ignore_key(h) for h in ("F列", "f列", " F 列", "F列（无表头）")} == {"F列"}
    assert ignore_key("低保\n情况*") == ignore_key("低保情况") == ignore_key("低保　情况")
