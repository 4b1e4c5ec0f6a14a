"""The vocabularies without I/O: the contract's codes and defaults, what a change must keep true
(registry.directory.vocabulary.plan_vocabulary), and how words become codes (Lexicon)."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.directory.vocabulary import Lexicon, Term, TermIndex, plan_vocabulary
from registry_contract.industries_and_skills import (
    DEFAULT_INDUSTRIES,
    DEFAULT_SKILLS,
    INDUSTRY,
    INDUSTRY_SECTIONS,
    MAX_TERMS,
    SECTION_DIVISIONS,
    SKILL,
    default_terms,
    industry_section,
    is_skill_code,
    term_key,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def stored(kind: str) -> dict[str, Term]:
    """Version 1 of a vocabulary as registry's migration seeds it."""
    return {
        t["code"]: Term(
            kind,
            t["code"],
            t["name"],
            t["parent"],
            tuple(t["aliases"]),
            False,
            1,
            NOW,
            "system:migration-0020",
        )  # fmt: skip
        for t in default_terms(kind)
    }


def plan(kind, entries, before=None):
    return plan_vocabulary(kind, stored(kind) if before is None else before, entries, NOW, "cli:a")


def problems(kind, entries, before=None) -> str:
    return " | ".join(en for _, en in plan(kind, entries, before).problems)


# -- the contract ---------------------------------------------------------------------------------


def test_the_twenty_sections_of_gbt_4754_and_their_divisions_leave_no_gap():
    assert list(INDUSTRY_SECTIONS) == [chr(c) for c in range(ord("A"), ord("T") + 1)]
    divisions = [d for first, last in SECTION_DIVISIONS.values() for d in range(first, last + 1)]
    assert divisions == list(range(1, 98))


@pytest.mark.parametrize(
    ("code", "section"),
    [("E", "E"), ("E47", "E"), ("E50", "E"), ("C13", "C"), ("C43", "C"), ("A01", "A"),
     ("T97", "T"), ("E13", None), ("C44", None), ("A00", None), ("U", None), ("e47", None),
     ("E4", None), ("E470", None), ("", None), (None, None), (47, None)],
)  # fmt: skip
def test_an_industry_code_is_a_section_or_a_division_of_its_own_section(code, section):
    assert industry_section(code) == section


@pytest.mark.parametrize(
    ("code", "valid"),
    [("welder", True), ("forklift_2", True), ("ab", True), ("a", False), ("Welder", False),
     ("2welder", False), ("电工", False), ("we-lder", False), ("x" * 33, False), (None, False)],
)  # fmt: skip
def test_a_skill_code_is_a_short_ascii_slug(code, valid):
    assert is_skill_code(code) is valid


def test_words_are_compared_without_width_case_spaces_or_punctuation():
    assert term_key("计算机、通信和其他电子设备制造业") == term_key(
        "计算机通信和其他 电子设备制造业"
    )
    assert term_key("ＩＴ") == term_key("it") == "it"
    assert term_key(" 电 工 ") == "电工"
    assert term_key("（）、") == ""


@pytest.mark.parametrize("kind", [INDUSTRY, SKILL])
def test_the_defaults_are_a_vocabulary_a_county_could_have_imported(kind):
    # Seeded by migrations, never through plan_vocabulary: the plan must find nothing wrong
    # with them, or a county could not import its own defaults back.
    result = plan(kind, default_terms(kind), before={})
    assert result.problems == []
    assert [action for action, _ in result.changes] == ["added"] * len(default_terms(kind))
    again = plan(kind, default_terms(kind))
    assert (again.changes, again.problems, again.unchanged) == ([], [], len(default_terms(kind)))


def test_the_defaults_hold_every_section_and_the_words_the_issue_names():
    industries = {code: name for code, name, _ in DEFAULT_INDUSTRIES}
    assert {code: industries[code] for code in INDUSTRY_SECTIONS} == INDUSTRY_SECTIONS
    assert industries["E47"] == "房屋建筑业" and industries["H62"] == "餐饮业"
    assert {"C39", "C18", "O80", "G54"} <= set(industries)
    skills = Lexicon(TermIndex(()), TermIndex(stored(SKILL).values()))
    words = ["电焊工", "焊工", "电工", "砌筑工", "泥瓦工", "钢筋工", "木工", "中式烹调师", "厨师",
             "机动车驾驶员", "司机", "缝纫工", "家政服务员", "养老护理员", "叉车司机",
             "挖掘机驾驶员", "电子装配工", "普工", "保安员", "油漆工"]  # fmt: skip
    assert all(skills.skills.code(word) for word in words)
    assert all(is_skill_code(code) for code, _, _ in DEFAULT_SKILLS)


# -- a change -------------------------------------------------------------------------------------


def test_terms_are_added_renamed_given_words_retired_and_restored():
    result = plan(
        SKILL,
        [
            {"code": "tiler", "name": "镶贴工", "aliases": "贴砖工；瓷砖工"},
            {"code": "welder", "name": "焊工", "aliases": ["电焊工", "电焊"]},
            {"code": "hairdresser", "name": "美发师", "aliases": ["理发师"], "retired": True},
        ],
    )
    assert result.problems == []
    changes = {term.code: (action, term) for action, term in result.changes}
    assert changes["tiler"][0] == "added" and changes["tiler"][1].aliases == ("贴砖工", "瓷砖工")
    assert changes["welder"][0] == "changed" and changes["welder"][1].version == 2
    assert changes["hairdresser"][0] == "retired"
    before = dict(stored(SKILL), hairdresser=changes["hairdresser"][1])
    back = plan(SKILL, [{"code": "hairdresser", "name": "美发师"}], before)
    assert [(a, t.version, t.retired) for a, t in back.changes] == [("restored", 3, False)]


def test_a_code_listed_twice_or_of_the_wrong_shape_is_named():
    found = problems(
        SKILL,
        [{"code": "tiler", "name": "镶贴工"}, {"code": "tiler", "name": "贴砖工"},
         {"code": "Tiler", "name": "x"}, {"code": "电工", "name": "电工"}],
    )  # fmt: skip
    assert "skill tiler: listed twice" in found
    assert "skill Tiler: a code is 2 to 32 lower-case" in found
    assert "skill 电工: a code is" in found


def test_an_alias_naming_two_terms_is_refused_naming_both():
    found = problems(SKILL, [{"code": "tiler", "name": "镶贴工", "aliases": ["电焊"]}])
    assert found == "skill name or alias 电焊 would name tiler (镶贴工), welder (电焊工)"
    # Folded: width, case, spaces and punctuation do not make another word.
    assert "would name" in problems(SKILL, [{"code": "tiler", "name": "电 焊 工"}])
    # Two new terms of one import, too.
    assert "would name a1 (甲), a2 (乙)" in problems(
        SKILL, [{"code": "a1", "name": "甲", "aliases": ["丙"]}, {"code": "a2", "name": "乙",
                                                                  "aliases": ["丙"]}]
    )  # fmt: skip


def test_a_retired_terms_words_are_free_for_another_term():
    before = stored(SKILL)
    before["assembler"] = Term(SKILL, "assembler", "电子装配工", None, ("普工",), True, 2, NOW, "x")
    result = plan(SKILL, [{"code": "general", "name": "普工"}], before)
    assert result.problems == [] and result.changes[0][0] == "added"
    # ... but the retired one cannot come back while they are taken.
    both = dict(before, general=result.changes[0][1])
    assert "would name assembler" in problems(
        SKILL, [{"code": "assembler", "name": "电子装配工", "aliases": ["普工"]}], both
    )


def test_a_retired_code_never_names_anything_else():
    before = stored(SKILL)
    before["hairdresser"] = Term(SKILL, "hairdresser", "美发师", None, (), True, 2, NOW, "x")
    assert problems(SKILL, [{"code": "hairdresser", "name": "美容师"}]) == ""  # active: a rename
    assert problems(SKILL, [{"code": "hairdresser", "name": "美容师"}], before) == (
        "skill hairdresser: was retired as 美发师; a retired code never names anything else: "
        "give 美容师 a new code"
    )
    assert "was retired as 美发师" in problems(
        SKILL, [{"code": "hairdresser", "name": "美容师", "retired": True}], before
    )
    assert "retire it under its name 电焊工" in problems(
        SKILL, [{"code": "welder", "name": "氩弧焊工", "retired": True}]
    )


def test_an_industrys_parent_is_the_section_its_code_names():
    assert problems(INDUSTRY, [{"code": "E49", "name": "建筑安装业", "parent": "E"}]) == ""
    assert problems(INDUSTRY, [{"code": "E49", "name": "建筑安装业"}]) == ""
    assert problems(INDUSTRY, [{"code": "E49", "name": "建筑安装业", "parent": "C"}]) == (
        "industry E49: belongs to section E, not C"
    )
    assert problems(INDUSTRY, [{"code": "E49", "name": "建筑安装业", "parent": "E47"}]) == (
        "industry E49: parent E47 is not a section"
    )
    assert "a code is a section letter" in problems(INDUSTRY, [{"code": "E13", "name": "纺织"}])
    assert problems(INDUSTRY, [{"code": "E", "name": "建筑业", "parent": "E"}]) == (
        "industry E: a section has no parent"
    )
    assert problems(SKILL, [{"code": "tiler", "name": "镶贴工", "parent": "E"}]) == (
        "skill tiler: a skill has no parent"
    )
    (added,) = plan(INDUSTRY, [{"code": "E49", "name": "建筑安装业"}]).changes
    assert added[1].parent == "E"


def test_a_section_keeps_its_standard_name_and_is_never_retired_but_takes_aliases():
    assert "a section's name is the standard's, 建筑业" in problems(
        INDUSTRY, [{"code": "E", "name": "建设业"}]
    )
    assert "a section cannot be retired" in problems(
        INDUSTRY, [{"code": "E", "name": "建筑业", "retired": True}]
    )
    (changed,) = plan(
        INDUSTRY, [{"code": "E", "name": "建筑业", "aliases": ["工地", "建筑"]}]
    ).changes
    assert changed[0] == "changed" and changed[1].aliases == ("工地", "建筑")


def test_a_division_named_as_its_section_is_refused():
    assert "would name K (房地产业), K70 (房地产业)" in problems(
        INDUSTRY, [{"code": "K70", "name": "房地产业"}]
    )


def test_names_and_aliases_are_bounded():
    assert "a name of 1 to 50" in problems(SKILL, [{"code": "tiler", "name": "  "}])
    assert "a name of 1 to 50" in problems(SKILL, [{"code": "tiler", "name": "工" * 51}])
    assert "alias too long" in problems(SKILL, [{"code": "tiler", "name": "镶贴工",
                                                 "aliases": ["工" * 51]}])  # fmt: skip
    many = [f"别名{i}" for i in range(11)]
    assert "at most 10 aliases" in problems(SKILL, [{"code": "tiler", "name": "镶贴工",
                                                     "aliases": many}])  # fmt: skip
    full = {f"s{i:04d}": Term(SKILL, f"s{i:04d}", f"技能{i}", None, (), False, 1, NOW, "x")
            for i in range(MAX_TERMS)}  # fmt: skip
    assert f"at most {MAX_TERMS} terms" in problems(SKILL, [{"code": "tiler", "name": "镶贴工"}],
                                                    full)  # fmt: skip


# -- words to codes -------------------------------------------------------------------------------


def test_a_persons_words_give_sorted_codes_unknown_words_none():
    lexicon = Lexicon(TermIndex(stored(INDUSTRY).values()), TermIndex(stored(SKILL).values()))
    skills = [{"name": "焊工", "level": "中级", "certificate": True}, {"name": "电工"},
              {"name": "电焊工"}, {"name": "吹唢呐"}]  # fmt: skip
    assert lexicon.skill_codes(skills) == ["electrician", "welder"]
    # A section's name or alias gives the section's letter; a division's, the division's code.
    texts = ["建筑业", "电子厂", "餐 饮", "制造业", "不知道", "计算机通信和其他电子设备制造业"]
    assert lexicon.industry_codes(texts) == ["C", "C39", "E", "H62"]
    assert lexicon.skill_codes([]) == [] and lexicon.industry_codes([]) == []


def test_a_retired_term_gives_no_code():
    terms = stored(SKILL)
    terms["welder"] = Term(SKILL, "welder", "电焊工", None, ("焊工",), True, 2, NOW, "x")
    assert TermIndex(terms.values()).codes(["焊工", "电工"]) == ["electrician"]


@given(st.lists(st.sampled_from([w for _, n, a in DEFAULT_SKILLS for w in (n, *a)] + ["吹唢呐"])))
def test_codes_are_sorted_unique_and_each_a_known_term(words):
    index = TermIndex(stored(SKILL).values())
    codes = index.codes(words)
    assert codes == sorted(set(codes))
    assert set(codes) <= set(stored(SKILL))
    assert len(codes) <= len(set(words))
