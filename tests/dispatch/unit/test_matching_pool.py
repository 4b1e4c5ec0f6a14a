"""The pool ranks with bitsets exactly as the one-candidate rules would, one by one: the same
people, in the same order, with the same scores (and so the explanation of each adds up to the
score the ranking gave). Property-tested over small pools drawn from few values, so that ties,
empty tiers and every factor level turn up often; and the bitset parts on their own."""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dispatch.domain.model import Candidate
from dispatch.matching import bitsets
from dispatch.matching.pool import Pool
from dispatch.matching.scoring import OrderTerms, eligible, explain, score

SCOPES = ["in_county", "in_prefecture", "in_province", "outside_province"]
INDUSTRIES = ["C", "C18", "C39", "E47", "E48", "H62", "Z99"]  # Z99: no GB/T 4754 code
SKILLS = ["welder", "electrician", "cook", "driver"]
START = date(2027, 3, 1)


@st.composite
def candidates(draw, index: int) -> Candidate:
    return Candidate(
        person_id=f"p-{draw(st.integers(0, 999)):03d}-{index:03d}",
        name="王芳", id_number_masked="532501**********21", sex="female",
        birth_year=draw(st.integers(1975, 2011)), village_code="532501001201", version=1,
        poor=draw(st.booleans()), status=draw(st.sampled_from(["active"] * 9 + ["merged"])),
        employment_status=draw(st.sampled_from([None, "at_home", "unemployed", "in_county",
                                                "unable_to_work"])),
        willing_to_go=draw(st.booleans() | st.just(True)),
        intention_scope=draw(st.sampled_from([*SCOPES, None, "none"])),
        industry_codes=draw(st.lists(st.sampled_from(INDUSTRIES), max_size=2, unique=True)),
        skill_codes=draw(st.lists(st.sampled_from(SKILLS), max_size=3, unique=True)),
        training_intention=draw(st.sampled_from([[], ["电工"]])),
        expected_wage_fen=draw(st.sampled_from([None, 300000, 400000, 450000, 500000, 700000])),
        earliest_start=draw(st.sampled_from([None, START - timedelta(days=1), START,
                                             START + timedelta(days=1)])),
        booked_by=draw(st.sampled_from([None] * 5 + ["batch-1"])),
    )  # fmt: skip


@st.composite
def pools(draw) -> list[Candidate]:
    size = draw(st.integers(0, 60))
    return [draw(candidates(i)) for i in range(size)]


@st.composite
def orders(draw) -> OrderTerms:
    age_min = draw(st.none() | st.integers(16, 40))
    age_max = draw(st.none() | st.integers(age_min or 16, 65))
    wage_min = draw(st.sampled_from([300000, 400000, 450000]))
    return OrderTerms.of(
        {
            "order_id": "o-1",
            "head_count": draw(st.integers(1, 12)),
            "place_scope": draw(st.sampled_from(SCOPES)),
            "industry": draw(st.sampled_from(INDUSTRIES[:-1])),
            "skills": draw(st.lists(st.sampled_from(SKILLS), max_size=4, unique=True)),
            "age_min": age_min,
            "age_max": age_max,
            "wage_min_fen": wage_min,
            "wage_max_fen": wage_min + draw(st.sampled_from([0, 50000, 100000])),
            "starts_on": START,
        }
    )


def one_by_one(people: list[Candidate], order: OrderTerms) -> list[tuple[str, int]]:
    """The ranking as the rules read, without bitsets: every eligible person scored alone."""
    ranked = sorted(
        (not c.poor, -score(c, order), c.person_id, c) for c in people if eligible(c, order)
    )
    return [(c.person_id, -negative) for _, negative, _, c in ranked[: order.wanted]]


@given(pools(), orders())
def test_the_pool_ranks_as_the_rules_one_by_one(people, order):
    pool = Pool(people)
    ranked = pool.rank(order)
    assert [(m.candidate.person_id, m.score) for m in ranked] == one_by_one(people, order)
    assert pool.count_eligible(order) == sum(eligible(c, order) for c in people)
    for match in ranked:
        assert sum(f.points for f in explain(match.candidate, order)) == match.score


def test_poor_first_whatever_the_score_then_score_then_person_id():
    good = dict(
        name="张伟", id_number_masked="m", sex="male", birth_year=1990, village_code="v",
        version=1, willing_to_go=True, intention_scope="in_county", industry_codes=["E47"],
        skill_codes=["welder"], training_intention=["焊工"], expected_wage_fen=300000,
        earliest_start=START,
    )  # fmt: skip
    poor_weak = Candidate(
        person_id="p-9", **dict(good, poor=True, industry_codes=[], skill_codes=[])
    )
    rich_strong = Candidate(person_id="p-1", **good)
    rich_tied_a = Candidate(person_id="p-2", **dict(good, training_intention=[]))
    rich_tied_b = Candidate(person_id="p-0", **dict(good, training_intention=[]))
    order = OrderTerms.of(
        {"order_id": "o", "head_count": 1, "place_scope": "in_county", "industry": "E47",
         "skills": ["welder"], "age_min": None, "age_max": None, "wage_min_fen": 300000,
         "wage_max_fen": 400000, "starts_on": START}
    )  # fmt: skip
    ranked = Pool([rich_tied_a, rich_strong, poor_weak, rich_tied_b]).rank(order)
    assert [m.candidate.person_id for m in ranked] == ["p-9", "p-1", "p-0"]
    assert [m.score for m in ranked] == [20 + 8 + 0 + 10 + 5 + 10 + 5, 100, 95]
    booked = replace(poor_weak, booked_by="batch-1")
    assert [m.candidate.person_id for m in Pool([booked, rich_strong]).rank(order)] == ["p-1"]


@given(st.sets(st.integers(0, 300)), st.integers(0, 400))
def test_a_set_gives_back_its_members_lowest_first(indices, limit):
    bits = bitsets.from_indices(indices, 301)
    assert bits.bit_count() == len(indices)
    assert bitsets.members(bits) == sorted(indices)
    assert bitsets.members(bits, limit) == sorted(indices)[:limit]


@given(st.lists(st.integers(0, 100), max_size=80), st.data())
def test_bit_sliced_scores_and_the_best_k(scores, data):
    size = len(scores)
    slices = [0] * 8
    for points in range(1, 101):  # every candidate gets its score, one level at a time
        having = bitsets.from_indices([i for i, s in enumerate(scores) if s == points], size)
        bitsets.add_points(slices, [(points, having)])
    assert bitsets.scores(slices, list(range(size))) == scores
    among = data.draw(st.sets(st.integers(0, max(size - 1, 0)), max_size=size))
    k = data.draw(st.integers(0, size + 1))
    best = bitsets.members(bitsets.best(slices, bitsets.from_indices(among, size), k))
    expected = sorted(among, key=lambda i: (-scores[i], i))[:k]
    assert sorted(best) == sorted(expected)


def test_thresholds_count_up_to_and_between():
    values = {1990: 0b0001, 1992: 0b0110, 1995: 0b1000}
    found = bitsets.Thresholds(values)
    assert found.at_most(1989) == 0 and found.at_most(1990) == 0b0001
    assert found.at_most(1993) == 0b0111 and found.at_most(2000) == 0b1111
    assert found.between(1991, 1995) == 0b1110 and found.between(1992, 1992) == 0b0110
    assert found.between(None, 1992) == 0b0111 and found.between(1993, None) == 0b1000
    assert bitsets.Thresholds({}).between(None, None) == 0
