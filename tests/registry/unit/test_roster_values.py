"""The values townships write in a roster's cells, as registry reads them: yes and no, employment
situations with their scopes, the intention to go out and where (县内, 州内, 省内, 省外, 无),
training intentions, and sex, birth date and age checked against the ID number. No database,
no broker: the parser alone, a row at a time."""

from datetime import date, timedelta

import pytest

from registry.people.domain import Rules, check_intention, wanted_fields, willing_to_go
from registry.people.parsing import Parser
from registry.people.values import intention_cell
from registry_contract.places import PLACES, scope_of_regions
from registry_contract.vocabularies import (
    AWAY_SCOPES,
    EMPLOYMENT_STATUSES,
    SCOPES,
    WILLING_TO_TRAIN,
)
from sanbao_common.validators import id_number_check_digit

RULES = Rules(county="532501", today=date(2026, 11, 28))  # 个旧市, 红河州, 云南省
VILLAGE = "532501001201"


def id_number(born: str = "19900315", sequence: str = "002") -> str:
    """A valid ID number of the county born on `born` (YYYYMMDD); even sequence: a woman."""
    first17 = f"532501{born}{sequence}"
    return first17 + id_number_check_digit(first17)


def parse(born: str = "19900315", sequence: str = "002", **row):
    """The person a row gives and the problems found, as (column, reason_zh, reason_en)."""
    found, problems = Parser(RULES).parse(
        {"name": "李秀英", "id_number": id_number(born, sequence), "village_code": VILLAGE} | row
    )
    return found, [(p.column, p.reason_zh, p.reason_en) for p in problems]


def accepted(**row):
    found, problems = parse(**row)
    assert problems == [], problems
    return found


def refused(**row) -> list[tuple[str, str, str]]:
    found, problems = parse(**row)
    assert found is None and problems, "the row was accepted"
    return problems


# -- the vocabularies ----------------------------------------------------------------------------


def test_the_scope_vocabulary_and_the_employment_statuses_share_their_codes():
    assert list(SCOPES) == ["in_county", "in_prefecture", "in_province", "outside_province"]
    assert {"in_prefecture", "in_province", "outside_province"} == AWAY_SCOPES
    assert set(SCOPES) < set(EMPLOYMENT_STATUSES)
    assert EMPLOYMENT_STATUSES["in_prefecture"] == "州内县外务工"
    assert EMPLOYMENT_STATUSES["in_province"] == "省内州外务工"


# -- yes and no ----------------------------------------------------------------------------------

YES_WORDS = ("是", "√", "✓", "有", "1", "Y", "y", "yes", "true", "愿意")
NO_WORDS = ("否", "×", "无", "0", "N", "n", "no", "false", "不愿意")


@pytest.mark.parametrize(
    ("text", "poor"),
    [*((w, True) for w in YES_WORDS), *((w, False) for w in NO_WORDS),
     ("脱贫户", True), ("建档立卡户", True), ("一般户", False), ("", None)],
)  # fmt: skip
def test_every_yes_and_no_word_says_whether_the_household_is_registered_poor(text, poor):
    found = accepted(poor=text, household_number="N1", relation_to_head="子女")
    assert found.poor is poor


def test_a_poverty_word_that_is_neither_yes_nor_no_is_refused_not_guessed():
    ((column, reason_zh, _),) = refused(
        poor="监测户", household_number="N1", relation_to_head="子女"
    )
    assert column == "poor" and "监测户" in reason_zh


# -- employment ----------------------------------------------------------------------------------

EMPLOYMENT = {
    "at_home": ("在家务农", "在家", "务农", "at_home"),
    "in_county": ("县内务工", "县内就业", "县内", "公益性岗位", "in_county"),
    "in_prefecture": ("州内县外务工", "州内务工", "州内县外", "州内", "in_prefecture"),
    "in_province": ("省内州外务工", "省内务工", "省内", "省内县外务工", "in_province"),
    "outside_province": ("省外务工", "省外就业", "省外", "outside_province"),
    "unemployed": ("失业", "未就业", "待业", "unemployed"),
    "unable_to_work": ("无劳动能力", "丧失劳动能力", "unable_to_work"),
}


@pytest.mark.parametrize(
    ("text", "code"), [(word, code) for code, words in EMPLOYMENT.items() for word in words]
)
def test_each_employment_word_gives_its_status(text, code):
    extra = {"intention_regions": "无"} if code == "unemployed" else {}
    assert accepted(employment_status=text, **extra).employment_status == code


@pytest.mark.parametrize(
    ("place", "code"),
    [("个旧市大屯镇", "in_county"), ("蒙自市", "in_prefecture"), ("昆明", "in_province"),
     ("广东省东莞市", "outside_province"), ("深圳", "outside_province")],
)  # fmt: skip
def test_working_away_takes_its_scope_from_the_place_of_work(place, code):
    found = accepted(employment_status="外出务工", employment_place=place)
    assert (found.employment_status, found.employment_place) == (code, place)


@pytest.mark.parametrize("place", [None, "", "工地上"])
def test_working_away_without_a_known_place_is_refused_saying_what_to_write(place):
    row = {"employment_status": "外出务工"} | ({} if place is None else {"employment_place": place})
    ((column, reason_zh, _),) = refused(**row)
    assert column == "employment_status" and "务工地点" in reason_zh and "省外务工" in reason_zh


def test_an_unknown_employment_word_is_refused_listing_the_words():
    ((column, reason_zh, _),) = refused(employment_status="打零工了")
    assert column == "employment_status" and "州内县外务工" in reason_zh


# -- the intention to go out, and where ----------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "scope", "regions"),
    [
        ({"intention_regions": "县内"}, "in_county", []),
        ({"intention_regions": "本县"}, "in_county", []),
        ({"intention_regions": "个旧"}, "in_county", ["个旧"]),  # the county itself
        ({"intention_regions": "州内"}, "in_prefecture", []),
        ({"intention_regions": "蒙自市；开远"}, "in_prefecture", ["蒙自市", "开远"]),
        ({"intention_regions": "红河州"}, "in_prefecture", ["红河州"]),
        ({"intention_regions": "省内"}, "in_province", []),
        ({"intention_regions": "昆明市、大理"}, "in_province", ["昆明市", "大理"]),
        ({"intention_regions": "省外"}, "outside_province", []),
        ({"intention_regions": "外省"}, "outside_province", []),
        ({"intention_regions": "广东省；浙江"}, "outside_province", ["广东省", "浙江"]),
        ({"intention_regions": "广西"}, "outside_province", ["广西"]),
        ({"intention_regions": "蒙自；广东"}, "outside_province", ["蒙自", "广东"]),  # farthest
        ({"intention_regions": "不限"}, None, ["不限"]),  # kept, scope untold
        ({"intention_regions": ""}, None, []),
        ({"intention_regions": "/"}, None, []),  # crossed out: nothing said
        ({"intention_regions": "无"}, "none", []),
        ({"intention_regions": "不外出"}, "none", []),
        ({"intention_scope": "否"}, "none", []),
        ({"intention_scope": "无", "intention_regions": ""}, "none", []),
        ({"intention_scope": "省外"}, "outside_province", []),
        ({"intention_scope": "是", "intention_regions": "广东省"}, "outside_province", ["广东省"]),
        ({"intention_scope": "愿意", "intention_regions": "不限"}, None, ["不限"]),
        ({"intention_scope": "省外", "intention_regions": "广东；昆明"}, "outside_province",
         ["广东", "昆明"]),
        ({"intention_scope": "in_prefecture"}, "in_prefecture", []),  # a code, over RPC
        ({"intention_scope": "none"}, "none", []),
    ],
)  # fmt: skip
def test_the_intention_cells_give_a_scope_and_the_places_named(cells, scope, regions):
    found = accepted(**cells)
    assert (found.intention_scope, found.intention_regions) == (scope, regions)


@pytest.mark.parametrize(
    ("cells", "words"),
    [
        ({"intention_scope": "否", "intention_regions": "广东省"}, ("否", "广东省")),
        ({"intention_regions": "无；省外"}, ("无；省外",)),
        ({"intention_scope": "省内", "intention_regions": "广东省"}, ("省内", "广东省")),
        ({"intention_scope": "县内", "intention_regions": "蒙自"}, ("县内", "蒙自")),
    ],
)
def test_an_intention_that_contradicts_itself_is_refused_naming_both_values(cells, words):
    ((column, reason_zh, reason_en),) = refused(**cells)
    assert column == "intention_regions"
    assert all(word in reason_zh and word in reason_en for word in words)


def test_yes_to_going_out_without_saying_where_is_refused_not_stored_as_nothing():
    ((column, reason_zh, _),) = refused(intention_scope="是", intention_regions="")
    assert column == "intention_scope" and "意向地区" in reason_zh


def test_no_intention_is_an_answer_an_unemployed_person_is_registered_with():
    found = accepted(employment_status="失业", intention_regions="无")
    state = wanted_fields(found)
    assert state["intention_scope"] == "none" and state["intention_regions"] == []
    assert check_intention(state) is None
    assert check_intention({"employment_status": "unemployed", "intention_scope": None})


def test_either_intention_column_sets_both_fields_and_other_columns_none():
    wanted = wanted_fields(accepted(intention_scope="省外"))
    assert wanted["intention_scope"] == "outside_province" and wanted["intention_regions"] == []
    assert "intention_scope" not in wanted_fields(accepted(skills="电工"))


def test_willing_to_go_means_a_scope_or_places_and_not_working():
    assert willing_to_go({"intention_scope": "in_county", "employment_status": "at_home"})
    assert willing_to_go({"intention_regions": ["不限"], "employment_status": "unemployed"})
    assert not willing_to_go({"intention_scope": "none", "intention_regions": ["广东省"]})
    assert not willing_to_go({"intention_scope": "outside_province",
                              "employment_status": "in_prefecture"})  # fmt: skip
    assert not willing_to_go({"intention_scope": "outside_province",
                              "employment_status": "unable_to_work"})  # fmt: skip


def test_the_gazetteer_knows_the_counties_prefectures_and_provinces_by_their_short_forms():
    for name in ("屏边县", "屏边", "金平", "河口县", "西双版纳", "楚雄州", "内蒙古", "新疆", "宁夏",
                 "香港", "重庆", "黑龙江省"):  # fmt: skip
        assert name in PLACES, name
    assert scope_of_regions(["红河县"], "532501") == "in_prefecture"  # a county, not ours
    assert scope_of_regions(["红河县"], "532529") == "in_county"  # ours
    assert scope_of_regions(["无", "广东"], "532501") is None  # cannot be both: left unknown
    assert scope_of_regions(["不限"], "532501") is None


# -- training ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stored"),
    [("是", [WILLING_TO_TRAIN]), ("愿意", [WILLING_TO_TRAIN]), ("√", [WILLING_TO_TRAIN]),
     ("否", []), ("无", []), ("不愿意", []), ("电工；焊工", ["电工", "焊工"])],
)  # fmt: skip
def test_a_training_answer_is_kept_apart_from_no_answer(text, stored):
    assert accepted(training_intention=text).training_intention == stored


# -- sex, birth date and age against the ID number -----------------------------------------------

SERIAL = str((date(1990, 3, 15) - date(1899, 12, 30)).days)  # an Excel date cell's number


@pytest.mark.parametrize(
    "text",
    ["1990-03-15", "1990/3/15", "1990.03.15", "1990年3月15日", "19900315", "1990.03", "1990-03",
     "1990年03月", "199003", "1990", "1990-03-15 00:00:00", SERIAL],
)  # fmt: skip
def test_a_birth_date_in_any_usual_form_that_agrees_with_the_id_number_is_accepted(text):
    accepted(birth_date=text)


@pytest.mark.parametrize("text", ["1990-03-16", "1990.04", "1991年3月", "1989"])
def test_a_birth_date_that_disagrees_is_refused_without_showing_either_date(text):
    ((column, reason_zh, reason_en),) = refused(birth_date=text)
    assert column == "birth_date" and "不符" in reason_zh
    for shown in ("1990", "03", "15", text):
        assert shown not in reason_zh and shown not in reason_en


def test_an_unreadable_birth_date_is_refused():
    ((column, _, reason_en),) = refused(birth_date="九零年三月")
    assert column == "birth_date" and "YYYY-MM-DD" in reason_en


def test_the_age_is_whole_years_on_the_day_of_the_import():
    # Born 15 March 1990: 36 on 28 November 2026.
    for text in ("36", "36岁", "36周岁", "36.0"):
        accepted(age=text)
    for text in ("35", "37"):
        ((column, reason_zh, _),) = refused(age=text)
        assert column == "age" and text not in reason_zh
    # Born the day after the import day: a year younger, not "about the same".
    born = (RULES.today + timedelta(days=1)).replace(year=1990).strftime("%Y%m%d")
    accepted(born=born, age="35")
    assert refused(born=born, age="36")[0][0] == "age"


def test_a_sex_column_that_contradicts_the_id_number_refuses_the_row_with_both_values():
    assert accepted(sex="女").sex == "female"
    assert accepted(sequence="011", sex="男性").sex == "male"
    ((column, reason_zh, reason_en),) = refused(sex="男")  # the ID number says a woman
    assert column == "sex" and "男" in reason_zh and "女" in reason_zh
    assert "female" in reason_en


def test_each_identity_column_that_disagrees_is_reported_at_once():
    problems = refused(sex="男", birth_date="1991-03-15", age="20")
    assert [column for column, _, _ in problems] == ["sex", "birth_date", "age"]


def test_a_bad_id_number_is_reported_alone_not_as_a_sex_mismatch():
    found, problems = Parser(RULES).parse(
        {"name": "李秀英", "id_number": "532501199003150000", "village_code": VILLAGE,
         "sex": "男", "age": "1"}
    )  # fmt: skip
    assert found is None and [p.column for p in problems] == ["id_number"]


def test_the_heads_name_is_read_and_not_stored():
    found = accepted(household_head_name="李国强")
    assert "household_head_name" not in wanted_fields(found)
    assert not hasattr(found, "household_head_name")


@pytest.mark.parametrize(
    ("scope", "regions"),
    [("outside_province", ["昆明"]), ("outside_province", ["广东省"]), ("in_county", []),
     ("none", []), (None, ["不限"]), (None, []), ("in_prefecture", ["蒙自", "不限"])],
)  # fmt: skip
def test_the_cell_an_export_writes_reads_back_as_the_same_intention(scope, regions):
    found = accepted(intention_regions=intention_cell(scope, regions))
    assert (found.intention_scope, found.intention_regions) == (scope, regions)
