"""Who may be put forward for an order and how each fits it, one candidate at a time
(dispatch.matching.scoring): every eligibility rule both ways, every factor's levels, and
explanations that add up to the score."""

from dataclasses import replace
from datetime import date

import pytest

from dispatch.domain.model import Candidate
from dispatch.matching.scoring import WEIGHTS, OrderTerms, available, eligible, explain, score

START = date(2027, 3, 1)


def person(**changes) -> Candidate:
    """A poor, willing labourer at home, meaning to go as far as outside the province, who
    fits the `order()` below in every factor."""
    base = Candidate(
        person_id="p-1", name="李秀英", id_number_masked="532501**********3X", sex="female",
        birth_year=1990, village_code="532501001201", version=1, poor=True,
        employment_status="at_home", willing_to_go=True, intention_scope="outside_province",
        industry_codes=["C39"], skill_codes=["assembler", "electrician"],
        training_intention=["电工"], expected_wage_fen=450000, earliest_start=date(2027, 2, 1),
    )  # fmt: skip
    return replace(base, **changes)


def order(**changes) -> OrderTerms:
    base = {
        "order_id": "o-1", "head_count": 5, "place_scope": "outside_province", "industry": "C39",
        "skills": ["assembler"], "age_min": 18, "age_max": 45, "wage_min_fen": 450000,
        "wage_max_fen": 600000, "starts_on": START,
    }  # fmt: skip
    base.update(changes)
    return OrderTerms.of(base)


def points(candidate, terms) -> dict:
    return {f.factor: f.points for f in explain(candidate, terms)}


def test_the_weights_add_up_to_a_hundred_and_a_perfect_fit_earns_them_all():
    assert sum(WEIGHTS.values()) == 100
    assert score(person(), order()) == 100
    assert order().wanted == 15  # three times the head count
    assert order(head_count=333).wanted == 999 and order(head_count=10000).wanted == 1000


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "merged"},
        {"willing_to_go": False},
        {"booked_by": "batch-1"},
        {"intention_scope": "none"},
        *({"employment_status": s} for s in ("in_county", "in_prefecture", "in_province")),
        {"employment_status": "outside_province"},
        {"employment_status": "unable_to_work"},
    ],
)
def test_no_one_working_booked_unwilling_or_merged_is_put_forward(changes):
    assert eligible(person(), order())
    assert not available(person(**changes)) and not eligible(person(**changes), order())


@pytest.mark.parametrize("status", [None, "at_home", "unemployed"])
def test_people_at_home_unemployed_or_not_asked_are_candidates(status):
    assert eligible(person(employment_status=status), order())


@pytest.mark.parametrize(
    "intention, order_scope, fits",
    [
        ("in_county", "in_county", True),
        ("in_county", "in_prefecture", False),  # farther than the person means to go
        ("in_prefecture", "outside_province", False),
        ("in_province", "in_prefecture", True),  # nearer home: within what they said
        ("outside_province", "in_county", True),
        (None, "outside_province", True),  # places named, no scope told: excludes none
        (None, "in_county", True),
    ],
)
def test_the_intention_scope_is_how_far_a_person_will_go(intention, order_scope, fits):
    assert eligible(person(intention_scope=intention), order(place_scope=order_scope)) is fits


@pytest.mark.parametrize(
    "born, fits, sure",
    [
        (2010, False, False),  # 16 or 17 on the start date: under 18 either way
        (2009, True, False),  # 17 or 18: may be 18
        (2008, True, True),  # 18 or 19
        (1982, True, True),  # 44 or 45
        (1981, True, False),  # 45 or 46: may be 45
        (1980, False, False),  # 46 or 47
    ],
)
def test_age_limits_by_birth_year_allow_the_year_a_birth_year_leaves_open(born, fits, sure):
    candidate = person(birth_year=born)
    assert eligible(candidate, order()) is fits
    if fits:
        assert points(candidate, order())["age"] == (10 if sure else 4)


def test_one_sided_age_limits_and_none():
    assert eligible(person(birth_year=1950), order(age_min=18, age_max=None))
    assert not eligible(person(birth_year=2012), order(age_min=18, age_max=None))
    assert eligible(person(birth_year=2012), order(age_min=None, age_max=45))
    assert not eligible(person(birth_year=1950), order(age_min=None, age_max=45))
    assert points(person(birth_year=1950), order(age_min=None, age_max=None))["age"] == 10


@pytest.mark.parametrize(
    "intention, order_scope, earned",
    [
        ("outside_province", "outside_province", 20),
        ("in_province", "in_province", 20),
        ("outside_province", "in_province", 14),  # the job is nearer home than they'd go
        ("outside_province", "in_county", 14),
        (None, "outside_province", 6),  # how far is not known
    ],
)
def test_place_points(intention, order_scope, earned):
    terms = order(place_scope=order_scope)
    assert points(person(intention_scope=intention), terms)["place"] == earned


@pytest.mark.parametrize(
    "codes, order_industry, earned",
    [
        (["C39"], "C39", 25),
        (["C18", "C39"], "C39", 25),
        (["C18"], "C39", 15),  # another division of manufacturing
        (["C"], "C39", 15),  # the section itself
        (["C39"], "C", 15),  # an order for the whole section
        (["C"], "C", 25),
        ([], "C39", 8),  # named none
        (["E47"], "C39", 0),
        (["E47", "H62"], "C", 0),
    ],
)
def test_industry_points(codes, order_industry, earned):
    terms = order(industry=order_industry)
    assert points(person(industry_codes=codes), terms)["industry"] == earned


@pytest.mark.parametrize(
    "held, asked, earned",
    [
        (["assembler"], [], 25),
        (["assembler"], ["assembler"], 25),
        ([], ["assembler"], 0),
        (["welder"], ["welder", "electrician"], 12),
        (["welder", "electrician"], ["welder", "electrician"], 25),
        (["welder"], ["welder", "electrician", "driver"], 8),
        (["welder", "driver"], ["welder", "electrician", "driver"], 16),
    ],
)
def test_skill_points_are_the_share_of_the_skills_asked(held, asked, earned):
    assert points(person(skill_codes=held), order(skills=asked))["skills"] == earned


def test_training_wage_and_start_points():
    terms = order(wage_min_fen=400000, wage_max_fen=500000)
    assert points(person(training_intention=[]), terms)["training"] == 0
    wage = {w: points(person(expected_wage_fen=w), terms)["wage"] for w in
            (None, 350000, 400000, 400001, 500000, 500001)}  # fmt: skip
    assert wage == {None: 5, 350000: 10, 400000: 10, 400001: 6, 500000: 6, 500001: 0}
    start = {d: points(person(earliest_start=d), terms)["start"] for d in
             (None, date(2027, 1, 1), START, date(2027, 3, 2))}  # fmt: skip
    assert start == {None: 3, date(2027, 1, 1): 5, START: 5, date(2027, 3, 2): 0}


def test_every_explanation_names_weight_points_and_reason_and_adds_up():
    candidate = person(intention_scope=None, industry_codes=["C18"], skill_codes=[],
                       expected_wage_fen=550000, earliest_start=None, birth_year=1981)  # fmt: skip
    factors = explain(candidate, order())
    assert [f.factor for f in factors] == list(WEIGHTS)
    assert all(0 <= f.points <= f.weight == WEIGHTS[f.factor] for f in factors)
    assert all(f.why and f.why_zh for f in factors)
    assert sum(f.points for f in factors) == score(candidate, order()) == 6 + 15 + 0 + 4 + 5 + 6 + 3
