"""The job order's rules without I/O: what an order's numbers and dates may be (property-based:
a problem is named exactly when a rule is broken), words resolved to vocabulary codes, and an
order's end."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatch.orders import domain as d
from dispatch.orders.errors import (
    AgreementEnded,
    AgreementNotSealed,
    OrderNotOpen,
    OrderRejected,
    VocabularyCodeUnknown,
)
from registry_contract.industries_and_skills import INDUSTRY, SKILL, default_terms

TODAY = date(2026, 12, 1)
AGREEMENT = {
    "agreement_id": "a-1",
    "hr_company": "org-hr",
    "county_cooperative": "org-coop",
    "term_start": date(2026, 1, 1),
    "term_end": date(2028, 12, 31),
    "version_in_force": 1,
    "sealed": True,
}
INDUSTRIES = {t["code"]: t for t in default_terms(INDUSTRY)}
SKILLS = {t["code"]: t for t in default_terms(SKILL)}


def an_order(**changes) -> d.JobOrder:
    order = d.JobOrder(
        order_id="o-1", agreement_id="a-1", hr_company="org-hr", employer_id="e-1",
        station_id=None, title="普工", positions="", head_count=10, wage_min_fen=400000,
        wage_max_fen=500000, place_scope="in_province", place="昆明市", industry="C39",
        skills=("assembler",), age_min=18, age_max=45, starts_on=TODAY + timedelta(days=7),
        ends_on=None, status="open", reason=None, version=1,
        opened_at=datetime(2026, 12, 1, tzinfo=UTC), opened_by="user:zhou.hr",
    )  # fmt: skip
    return replace(order, **changes)


ages = st.none() | st.integers(min_value=0, max_value=120)


@given(
    head_count=st.integers(min_value=-5, max_value=20_000),
    wage_min=st.integers(min_value=-10, max_value=20_000_000),
    wage_max=st.integers(min_value=-10, max_value=20_000_000),
    age_min=ages,
    age_max=ages,
)
def test_numbers_are_refused_exactly_when_a_rule_is_broken(
    head_count, wage_min, wage_max, age_min, age_max
):
    problems = d.number_problems(head_count, wage_min, wage_max, age_min, age_max)
    valid = (
        1 <= head_count <= 10_000
        and 0 < wage_min <= wage_max <= 10_000_000
        and all(age is None or 16 <= age <= 65 for age in (age_min, age_max))
        and (age_min is None or age_max is None or age_min <= age_max)
    )
    assert (problems == []) == valid
    for zh, en in problems:  # each in both languages
        assert zh and en and zh != en


@given(
    start=st.integers(min_value=-400, max_value=1500),
    length=st.none() | st.integers(min_value=-30, max_value=400),
)
def test_dates_are_refused_exactly_when_a_rule_is_broken(start, length):
    starts_on = TODAY + timedelta(days=start)
    ends_on = None if length is None else starts_on + timedelta(days=length)
    problems = d.date_problems(starts_on, ends_on, TODAY, AGREEMENT)
    valid = (
        starts_on >= TODAY
        and (ends_on is None or ends_on >= starts_on)
        and AGREEMENT["term_start"] <= starts_on <= AGREEMENT["term_end"]
    )
    assert (problems == []) == valid


def test_a_start_before_any_sealed_version_is_in_force_is_named():
    problems = d.date_problems(TODAY, None, TODAY, dict(AGREEMENT, version_in_force=None))
    assert problems == [
        (
            f"开工日期 {TODAY} 时协议尚无生效版本",
            f"no sealed version of the agreement is in force on starts_on {TODAY}",
        )
    ]


def test_an_order_needs_a_sealed_agreement_whose_term_is_not_over():
    d.check_order(an_order(), AGREEMENT, TODAY)
    with pytest.raises(AgreementNotSealed):
        d.check_order(an_order(), dict(AGREEMENT, sealed=False), TODAY)
    with pytest.raises(AgreementEnded) as ended:
        d.check_order(an_order(), dict(AGREEMENT, term_end=TODAY - timedelta(days=1)), TODAY)
    assert "2026-11-30" in ended.value.message_en
    # The last day of the term is still in it.
    d.check_agreement_open(dict(AGREEMENT, term_end=TODAY), TODAY)


def test_one_error_names_every_problem_of_an_order():
    with pytest.raises(OrderRejected) as caught:
        d.check_order(
            an_order(head_count=0, wage_min_fen=0, age_max=70, place_scope="abroad"),
            AGREEMENT,
            TODAY,
        )
    text = caught.value.message_en
    for problem in ("head count", "wage_min must be more than 0", "age_max", "place scope"):
        assert problem in text


@pytest.mark.parametrize(
    ("kind", "vocabulary", "words", "codes"),
    [
        (INDUSTRY, INDUSTRIES, ["C39"], ["C39"]),
        (INDUSTRY, INDUSTRIES, ["c39"], ["C39"]),
        (INDUSTRY, INDUSTRIES, ["电子厂"], ["C39"]),
        (INDUSTRY, INDUSTRIES, ["计算机通信和其他电子设备制造业"], ["C39"]),  # punctuation apart
        (INDUSTRY, INDUSTRIES, ["建筑业"], ["E"]),  # a section is a term too
        (SKILL, SKILLS, ["Welder", "电焊", "焊工", "electrician"], ["electrician", "welder"]),
        (SKILL, SKILLS, [], []),
    ],
)
def test_words_resolve_to_codes(kind, vocabulary, words, codes):
    assert d.resolve_codes(kind, words, vocabulary) == codes


def test_unknown_and_retired_words_are_named():
    retired = dict(SKILLS, porter=dict(SKILLS["porter"], retired=True))
    with pytest.raises(VocabularyCodeUnknown) as caught:
        d.resolve_codes(SKILL, ["welder", "杂技", "搬运工"], retired)
    assert caught.value.message_en.startswith("no skill 杂技; skill 搬运工 is retired")
    assert "没有技能“杂技”" in caught.value.message_zh and "已停用" in caught.value.message_zh


def test_an_order_ends_once_and_a_cancellation_says_why():
    at = datetime(2026, 12, 2, tzinfo=UTC)
    filled = d.end_order(an_order(), "filled", None, at, "user:zhou.hr")
    assert (filled.status, filled.version, filled.closed_at, filled.reason) == (
        "filled", 2, at, None,
    )  # fmt: skip
    with pytest.raises(OrderNotOpen):
        d.end_order(filled, "closed", None, at, "user:zhou.hr")
    with pytest.raises(OrderRejected):
        d.end_order(an_order(), "cancelled", "", at, "user:zhou.hr")
    with pytest.raises(OrderRejected):
        d.end_order(an_order(), "open", None, at, "user:zhou.hr")
    assert d.end_order(an_order(), "cancelled", "停产", at, "x").reason == "停产"
