"""Villages by name, without a database: how a row's village name, code and township become a
village code (registry.people.villages), and what a change to the list must keep true
(registry.directory.villages). The list is the demonstration county's (sanbao_common.
sample_villages), where 大寨村委会 is in 卡房镇 (532501001201) and in 鸡街镇 (532501002205)."""

from datetime import UTC, date, datetime

import pytest

from registry.directory.villages import Township, Village, fold, plan_import
from registry.people.domain import RowProblem, Rules
from registry.people.parsing import Parser
from registry.people.villages import VillageBook, village_code
from sanbao_common.sample_data import SampleData
from sanbao_common.sample_villages import sample_townships, sample_villages

COUNTY = "532501"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
KAFANG_DAZHAI, JIJIE_DAZHAI = "532501001201", "532501002205"


def sample_list():
    plan = plan_import({}, {}, sample_townships(), sample_villages(), COUNTY, NOW, "test")
    assert plan.problems == []
    towns = {r.code: r for kind, _, r in plan.changes if kind == "township"}
    places = {r.code: r for kind, _, r in plan.changes if kind == "village"}
    return towns, places


TOWNS, PLACES = sample_list()


def book(area=None, places=None) -> VillageBook:
    return VillageBook(TOWNS.values(), (places or PLACES).values(), area)


def resolve(text, township=None, area=None, places=None):
    return village_code(COUNTY, book(area, places), "", text, township or "")


def refusal(text, township=None, area=None, places=None) -> RowProblem:
    with pytest.raises(RowProblem) as caught:
        resolve(text, township, area, places)
    return caught.value


# -- the sample list ------------------------------------------------------------------------------


def test_every_village_code_sample_data_draws_is_in_the_sample_list():
    sample = SampleData(14)
    assert {sample.village_code(COUNTY) for _ in range(2000)} <= set(PLACES)
    assert len(PLACES) == 300 and len(TOWNS) == 15


# -- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["大寨", "大寨村", "大寨村委会", "大寨村民委员会", " 大 寨 村 ", "大寨\u3000村委会", "大寨子"],
)
def test_a_name_resolves_with_or_without_its_suffix_spaces_or_as_an_alias(text):
    assert resolve(text, "卡房镇") == KAFANG_DAZHAI


def test_an_alias_resolves_alone_where_it_is_the_only_one():
    assert resolve("大寨子") == KAFANG_DAZHAI  # 卡房镇's alias; 鸡街镇's 大寨 has none like it
    assert resolve("三村") == "532501011203"  # 新街镇's 第三村委会


@pytest.mark.parametrize("text", ["大寨", "大寨村", "大寨村委会"])
def test_a_name_two_townships_share_is_refused_naming_both(text):
    problem = refusal(text)
    assert problem.column == "village"
    for expected in ("卡房镇 大寨村委会（532501001201）", "鸡街镇 大寨村委会（532501002205）"):
        assert expected in problem.reason_zh
    assert "532501001201" in problem.reason_en and "532501002205" in problem.reason_en


@pytest.mark.parametrize(
    ("township", "expected"),
    [
        ("卡房镇", KAFANG_DAZHAI),
        ("卡房", KAFANG_DAZHAI),
        ("卡房乡", KAFANG_DAZHAI),  # the township's alias
        ("532501001", KAFANG_DAZHAI),
        ("鸡街镇", JIJIE_DAZHAI),
        ("鸡街", JIJIE_DAZHAI),
    ],
)
def test_the_township_tells_which(township, expected):
    assert resolve("大寨村委会", township) == expected


def test_a_township_name_two_townships_share_without_suffix_is_asked_for_in_full():
    towns = list(TOWNS.values()) + [Township("532501016", "卡房街道", (), 1, NOW, "t")]
    both = VillageBook(towns, PLACES.values())
    with pytest.raises(RowProblem) as caught:
        both.township("卡房")
    assert "532501001" in caught.value.reason_en and "532501016" in caught.value.reason_en
    assert both.township("卡房镇").code == "532501001"  # written in full, it is one


def test_the_imports_township_applies_to_rows_that_name_none_and_a_rows_own_wins():
    parser = Parser(Rules(county=COUNTY, today=date(2026, 11, 1)), book(), "鸡街镇")
    row = {"name": "李秀英", "id_number": "532501199003150013", "village": "大寨"}
    person, problems = parser.parse(row)
    assert problems == [] and person.village_code == JIJIE_DAZHAI
    person, problems = parser.parse(row | {"township": "卡房镇"})
    assert problems == [] and person.village_code == KAFANG_DAZHAI


def test_an_exact_name_wins_over_one_that_only_shares_its_stem():
    town = "532501001"
    places = dict(PLACES) | {
        f"{town}221": Village(f"{town}221", town, "大寨社区", (), True, 1, NOW, "t"),
    }
    assert resolve("大寨社区", "卡房镇", places=places) == f"{town}221"
    assert resolve("大寨村委会", "卡房镇", places=places) == KAFANG_DAZHAI
    problem = refusal("大寨", "卡房镇", places=places)
    assert f"{town}221" in problem.reason_en and KAFANG_DAZHAI in problem.reason_en


def test_a_village_called_new_village_is_found_under_every_way_of_writing_it():
    town = "532501001"
    places = dict(PLACES) | {
        f"{town}230": Village(f"{town}230", town, "新村村委会", (), True, 1, NOW, "t"),
    }
    for text in ("新村村委会", "新村", "新村村"):
        assert resolve(text, "卡房镇", places=places) == f"{town}230"


def test_an_unknown_name_is_refused_with_the_nearest_names():
    problem = refusal("石榴村", "卡房镇")
    assert "卡房镇没有名为“石榴村”的村" in problem.reason_zh
    assert "卡房镇 石箐村委会（532501001209）" in problem.reason_zh
    assert "sanbao directory villages list" in problem.reason_en


def test_a_name_missing_from_the_township_given_names_the_same_name_elsewhere_in_the_area():
    problem = refusal("大寨", "沙甸街道")
    assert "沙甸街道没有名为“大寨”的村" in problem.reason_zh
    assert KAFANG_DAZHAI in problem.reason_zh and JIJIE_DAZHAI in problem.reason_zh


# -- codes ----------------------------------------------------------------------------------------


def test_a_code_must_be_in_the_list_whichever_column_gives_it():
    assert resolve("532501001201") == KAFANG_DAZHAI  # 12 digits in the name column: a code
    for column, row in (("village_code", ("532501016201", "")), ("village", ("", "532501016201"))):
        with pytest.raises(RowProblem) as caught:
            village_code(COUNTY, book(), *row, "")
        assert caught.value.column == column
        assert "不在本县村名单中" in caught.value.reason_zh


def test_a_well_formed_code_of_the_county_passes_without_a_list_but_a_name_does_not():
    assert village_code(COUNTY, None, "532501016201", "", "") == "532501016201"
    with pytest.raises(RowProblem, match="12-digit"):
        village_code(COUNTY, None, "", "大寨", "")


def test_a_retired_village_is_refused_except_as_the_persons_own():
    retired = dict(PLACES)
    retired[KAFANG_DAZHAI] = Village(
        KAFANG_DAZHAI, "532501001", "大寨村委会", ("大寨子",), False, 2, NOW, "t"
    )
    with pytest.raises(RowProblem, match="retired"):
        village_code(COUNTY, book(places=retired), KAFANG_DAZHAI, "", "")
    assert refusal("大寨子", places=retired).column == "village"  # its names resolve no more
    kept = book(places=retired).keeping(KAFANG_DAZHAI)
    assert village_code(COUNTY, kept, KAFANG_DAZHAI, "", "") == KAFANG_DAZHAI


def test_a_code_and_a_name_or_township_that_disagree_refuse_the_row():
    with pytest.raises(RowProblem) as caught:
        village_code(COUNTY, book(), KAFANG_DAZHAI, "新寨", "")
    assert caught.value.column == "village"
    with pytest.raises(RowProblem) as caught:
        village_code(COUNTY, book(), KAFANG_DAZHAI, "", "鸡街镇")
    assert caught.value.column == "township"
    assert village_code(COUNTY, book(), KAFANG_DAZHAI, "大寨村", "卡房") == KAFANG_DAZHAI


# -- the importer's area (attacker's side) --------------------------------------------------------


def test_a_township_user_resolves_names_among_its_own_villages_only():
    kafang = "532501001"
    assert resolve("大寨", area=kafang) == KAFANG_DAZHAI  # not ambiguous within the area
    assert resolve("大寨", area="532501002205-03") == JIJIE_DAZHAI  # an agent's group


def test_a_village_elsewhere_is_refused_as_if_it_existed_nowhere():
    kafang = "532501001"
    elsewhere = "小坝村委会"  # 鸡街镇's 532501002202: a real village, not in 卡房镇
    assert resolve(elsewhere) == "532501002202"
    only_kafang = {code: v for code, v in PLACES.items() if code.startswith(kafang)}
    for township in (None, "卡房镇"):
        real = refusal(elsewhere, township, area=kafang)
        # The same words as from a county where no such village exists at all.
        nowhere = refusal(elsewhere, township, area=kafang, places=only_kafang)
        assert (real.column, real.reason_zh, real.reason_en) == (
            nowhere.column, nowhere.reason_zh, nowhere.reason_en,
        )  # fmt: skip
        for other in set(PLACES) - set(only_kafang):
            assert other not in real.reason_zh and other not in real.reason_en


def test_a_township_outside_the_area_is_refused_as_an_unknown_one():
    outside = refusal("小坝", "鸡街镇", area="532501001")
    unknown = refusal("小坝", "无此镇", area="532501001")
    assert outside.column == unknown.column == "township"
    assert outside.reason_en.replace("鸡街镇", "X") == unknown.reason_en.replace("无此镇", "X")


def test_a_code_elsewhere_in_the_county_is_left_to_the_area_check():
    # The list is the county's: the registration's scope check refuses it (OUT_OF_SCOPE).
    assert village_code(COUNTY, book("532501001"), JIJIE_DAZHAI, "", "") == JIJIE_DAZHAI


# -- changing the list ----------------------------------------------------------------------------


def plan(villages, townships=(), stored=(TOWNS, PLACES)):
    return plan_import(*stored, list(townships), list(villages), COUNTY, NOW, "user:admin")


def test_a_name_or_alias_two_villages_of_one_township_would_share_is_refused():
    found = plan([{"code": "532501001221", "name": "大寨子", "aliases": []}])
    assert any("大寨子" in en and KAFANG_DAZHAI in en for _, en in found.problems)
    found = plan([{"code": "532501001221", "name": "龙潭村委会", "aliases": ["大寨村委会"]}])
    assert any("532501001221" in en and KAFANG_DAZHAI in en for _, en in found.problems)


def test_the_same_name_in_another_township_is_allowed():
    found = plan([{"code": "532501003221", "name": "大寨村委会", "aliases": "大寨村；大寨子"}])
    assert found.problems == []
    assert [(kind, action, r.aliases) for kind, action, r in found.changes] == [
        ("village", "added", ("大寨村", "大寨子"))
    ]


def test_two_townships_may_not_share_a_name():
    found = plan([], [{"code": "532501016", "name": "卡房乡"}])  # 卡房镇's alias
    assert any("532501001" in en for _, en in found.problems)


def test_a_village_names_its_township_which_must_be_the_listed_one():
    found = plan([{"code": "532501001221", "name": "龙潭村委会", "township": "鸡街镇"}])
    assert any("532501001 is 卡房镇, not 鸡街镇" in en for _, en in found.problems)
    found = plan([{"code": "532501001221", "name": "龙潭村委会", "township": "卡房"}])
    assert found.problems == []
    found = plan([{"code": "532501016201", "name": "龙潭村委会"}])
    assert any("532501016 is not listed" in en for _, en in found.problems)
    found = plan([{"code": "532501016201", "name": "龙潭村委会", "township": "新城镇"}])
    assert found.problems == []
    assert [(kind, action) for kind, action, _ in found.changes] == [
        ("township", "added"),
        ("village", "added"),
    ]


def test_the_same_list_again_changes_nothing_and_a_retirement_is_a_change():
    found = plan(sample_villages(), sample_townships())
    assert found.problems == [] and found.changes == []
    assert found.unchanged == {"townships": 15, "villages": 300}
    entry = dict(sample_villages()[0], active=False)
    found = plan([entry])
    assert [(action, r.active, r.version) for _, action, r in found.changes] == [
        ("retired", False, 2)
    ]


@pytest.mark.parametrize(
    "entry",
    [
        {"code": "53250100120", "name": "龙潭村委会"},  # 11 digits
        {"code": "532502001201", "name": "龙潭村委会"},  # another county
        {"code": "532501001221", "name": " "},
        {"code": "532501001221", "name": "龙" * 51},
        {"code": "532501001221", "name": "龙潭", "aliases": [f"别名{i}" for i in range(11)]},
    ],
)
def test_malformed_entries_are_refused(entry):
    assert plan([entry]).problems


def test_a_code_listed_twice_is_refused():
    entry = {"code": "532501001221", "name": "龙潭村委会"}
    assert any("twice" in en for _, en in plan([entry, entry]).problems)


def test_fold_makes_full_width_half_width_and_drops_spaces():
    assert fold("大 寨\u3000村") == "大寨村"
    assert fold("５３２５０１") == "532501"
    assert Township("532501001", "卡房镇", (), 1, NOW, "t").names() == ("卡房镇",)
