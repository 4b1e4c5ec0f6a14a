"""Matching a job order through DispatchService on a real database: the pool fed by registry's
labourer events (as dispatch's consumers apply them), the order opened through the orders RPC,
the ranking asked for by each kind of caller. Poor first, then by score, then by person id;
three per head; every explanation adding up; nobody working, booked, unwilling, too far or
outside the age limits; an HR company sees only its own orders, a cooperative only its own
people; ended, unknown and crafted requests refused. And the SQL that loads the pool for one
order keeps exactly the people the rules would, on both backends."""

from __future__ import annotations

import itertools

import pytest
from matching_support import (
    AGE,
    OTHER_VILLAGE,
    STARTS,
    VILLAGE,
    book,
    feed,
    labourer,
    order_opener,
)
from sqlalchemy import select

from dispatch.adapters.tables import candidates
from dispatch.domain.model import Candidate
from dispatch.matching.repository import load_pool
from dispatch.matching.scoring import WEIGHTS, OrderTerms, eligible
from dispatch.orders.errors import OrderNotFound, OrderNotOpen
from dispatch_support import key
from sanbao_common.access import Forbidden, OutOfScope
from sanbao_common.errors import InvalidInput
from testkit import fake_access, principal


@pytest.fixture
def hr(dispatch):
    return dispatch.as_(["hr_operator"], dispatch.hr, user="zhou.hr")


@pytest.fixture
def open_order(dispatch, hr):
    return order_opener(dispatch, hr)


def ids(reply: dict) -> list[str]:
    return [c["name"] for c in reply["candidates"]]


def test_poor_first_then_by_score_three_per_head_each_score_explained(dispatch, hr, open_order):
    order_id = open_order()
    feed(
        dispatch,
        labourer("王芳", poor=True, industry_codes=[], skill_codes=[]),  # poor, weak fit
        labourer("李秀英"),  # a perfect fit
        labourer("张伟", training_intention=[]),  # 95
        labourer("陈静", expected_wage_fen=500000, earliest_start=None),  # 100 - 4 - 2
        labourer("刘洋", intention_scope=None, intention_regions=["不限"]),  # 100 - 14
        labourer("杨磊", industry_codes=["C18"], skill_codes=[]),  # 100 - 10 - 25
        labourer("赵敏", industry_codes=["E47"], skill_codes=[]),  # 50: seventh, left out
        # Not candidates: working, unable, too far, not willing, too old, too young, merged.
        labourer("黄强", employment_status="in_province", willing_to_go=False),
        labourer("周丽", employment_status="unable_to_work", willing_to_go=False, poor=True),
        labourer("吴刚", intention_scope="in_province", poor=True),
        labourer("郑红", intention_scope="none", willing_to_go=False, poor=True),
        labourer("孙涛", birth_year=AGE - 47, poor=True),
        labourer("马琳", birth_year=AGE - 16, poor=True),
        labourer("朱军", status="merged", poor=True),
    )
    reply = hr.match_order(order_id)

    assert (reply["order_id"], reply["head_count"], reply["wanted"]) == (order_id, 2, 6)
    assert reply["eligible"] == 7 and reply["area"] is None
    assert ids(reply) == ["王芳", "李秀英", "张伟", "陈静", "刘洋", "杨磊"]
    assert [c["score"] for c in reply["candidates"]] == [58, 100, 95, 94, 86, 65]
    assert [c["poor"] for c in reply["candidates"]] == [True] + [False] * 5
    first = reply["candidates"][0]
    assert set(first) == {"person_id", "name", "id_number_masked", "village_code", "agent_id",
                          "poor", "score"}  # fmt: skip
    assert first["id_number_masked"] == "532501***********X" and first["agent_id"] == "agent-1"

    explained = hr.match_order(order_id, explain=True)
    assert ids(explained) == ids(reply)
    reasons = []
    for candidate, plain in zip(explained["candidates"], reply["candidates"], strict=True):
        factors = candidate.pop("factors")
        reasons.append(factors)
        assert candidate == plain
        assert [f["factor"] for f in factors] == list(WEIGHTS)
        assert sum(f["points"] for f in factors) == candidate["score"]
        assert all(f["weight"] == WEIGHTS[f["factor"]] and f["why"] and f["why_zh"]
                   for f in factors)  # fmt: skip
    weak = {f["factor"]: f["points"] for f in reasons[0]}
    assert weak == {"place": 20, "industry": 8, "skills": 0, "age": 10, "training": 5,
                    "wage": 10, "start": 5}  # fmt: skip


def test_enough_poor_fill_the_list_and_everyone_eligible_is_counted(dispatch, hr, open_order):
    """Three wanted, four poor: the list is the best three poor (the others are not even read
    for the ranking), and `eligible` counts everyone who could be put forward."""
    order_id = open_order(head_count=1)
    feed(
        dispatch,
        labourer("李秀英"),  # a perfect fit, not poor: after every poor one
        labourer("王芳", poor=True, training_intention=[]),  # 95
        labourer("张伟", poor=True),  # 100
        labourer("陈静", poor=True, skill_codes=[]),  # 75
        labourer("刘洋", poor=True, expected_wage_fen=None),  # 95, person id decides
    )
    reply = hr.match_order(order_id)
    tied = sorted([labourer("王芳")["person_id"], labourer("刘洋")["person_id"]])
    names = {labourer(n)["person_id"]: n for n in ("王芳", "刘洋")}
    assert ids(reply) == ["张伟", names[tied[0]], names[tied[1]]]
    assert [c["score"] for c in reply["candidates"]] == [100, 95, 95]
    assert reply["eligible"] == 5


def test_later_events_take_people_out_and_bring_them_back(dispatch, hr, open_order):
    order_id = open_order(head_count=1)
    person = labourer("李秀英", poor=True)
    feed(dispatch, person, labourer("张伟"))
    assert ids(hr.match_order(order_id)) == ["李秀英", "张伟"]

    working = dict(person, employment_status="outside_province", willing_to_go=False, version=2)
    feed(dispatch, working, event_type="labourer_updated")
    assert ids(hr.match_order(order_id)) == ["张伟"]
    feed(dispatch, dict(person, version=1), event_type="labourer_updated")  # late: ignored
    assert ids(hr.match_order(order_id)) == ["张伟"]
    feed(dispatch, dict(person, version=3), event_type="labourer_updated")
    assert ids(hr.match_order(order_id)) == ["李秀英", "张伟"]


def test_a_booked_person_is_no_candidate_and_stays_booked_whatever_registry_sends(
    dispatch, hr, open_order
):
    order_id = open_order()
    person = labourer("李秀英", poor=True)
    feed(dispatch, person, labourer("张伟"))
    book(dispatch, person)
    assert ids(hr.match_order(order_id)) == ["张伟"]
    feed(dispatch, dict(person, version=2, expected_wage_fen=400000), event_type="labourer_updated")
    with dispatch.db.reader() as uow:
        row = uow.connection.execute(
            select(candidates).where(candidates.c.person_id == person["person_id"])
        ).one()
    assert (row.booked_by, row.version, row.expected_wage_fen) == ("batch-1", 2, 400000)
    assert ids(hr.match_order(order_id)) == ["张伟"]


def test_only_the_orders_company_the_cooperatives_the_county_and_auditors_may_ask(
    dispatch, hr, open_order
):
    order_id = open_order()
    feed(dispatch, labourer("李秀英"))
    for role in ("county_admin", "coop_operator", "auditor"):
        assert ids(dispatch.as_([role]).match_order(order_id)) == ["李秀英"]
    # Another HR company's operator, even holding every role an HR company's person can get.
    other = dispatch.hr_company("org-hr-other")
    for roles in (["hr_operator"], ["hr_operator", "signatory", "finance"]):
        with pytest.raises(OutOfScope):
            dispatch.as_(roles, other).match_order(order_id)
    for role in ("agent", "signatory", "finance"):
        with pytest.raises(Forbidden):
            dispatch.as_([role]).match_order(order_id)


def as_area(dispatch, kind: str, scope: str, roles=("coop_operator",)):
    """A person of an area-bound organisation (a village or township cooperative)."""
    from nameko.testing.services import worker_factory

    from dispatch.service import DispatchService

    who = principal(list(roles), kind=kind, scope=scope, username="village.op")
    return worker_factory(DispatchService, db=dispatch.db, access=fake_access(who))


def test_a_cooperative_sees_the_best_of_its_own_people_only(dispatch, open_order):
    order_id = open_order(head_count=1)
    feed(
        dispatch,
        labourer("李秀英", poor=True),
        labourer("张伟"),
        labourer("王芳", village_code=OTHER_VILLAGE, poor=True, training_intention=[]),
        labourer("陈静", village_code=OTHER_VILLAGE, training_intention=[]),
    )
    county = dispatch.as_(["coop_operator"])
    assert ids(county.match_order(order_id)) == ["李秀英", "王芳", "张伟"]
    village = as_area(dispatch, "village_coop", VILLAGE)
    reply = village.match_order(order_id)
    assert ids(reply) == ["李秀英", "张伟"] and reply["area"] == VILLAGE
    assert reply["eligible"] == 2
    township = as_area(dispatch, "township_coop", OTHER_VILLAGE[:9])
    assert ids(township.match_order(order_id)) == ["王芳", "陈静"]
    # Shown masked, even to a cooperative that may see its own people's numbers elsewhere.
    assert all("*" in c["id_number_masked"] for c in reply["candidates"])


def test_ended_unknown_and_crafted_requests_are_refused(dispatch, hr, open_order):
    order_id = open_order()
    feed(dispatch, labourer("李秀英"))
    with pytest.raises(OrderNotFound):
        hr.match_order("no-such-order")
    for crafted in (None, 42, "", "x" * 37, ["a"]):
        with pytest.raises(InvalidInput):
            hr.match_order(crafted)
    for explain in ("yes", 1, None):
        with pytest.raises(InvalidInput):
            hr.match_order(order_id, explain)
    hr.close_job_order(order_id, "cancelled", "企业取消招聘", key())
    with pytest.raises(OrderNotOpen):
        hr.match_order(order_id)


def test_the_pool_loaded_for_an_order_is_what_the_rules_keep(dispatch):
    """Every combination of what decides eligibility, loaded for orders of every scope with and
    without age limits: the SQL keeps exactly whom `scoring.eligible` keeps (NULLs included)."""
    people = []
    for n, (scope, status, willing, born, merged) in enumerate(
        itertools.product(
            ["in_county", "in_province", "outside_province", None, "none"],
            [None, "at_home", "unemployed", "in_county", "unable_to_work"],
            [True, False], [AGE - 17, AGE - 18, AGE - 45, AGE - 46], [False, True],
        )
    ):  # fmt: skip
        people.append(labourer(f"p{n:04d}", intention_scope=scope, employment_status=status,
                               willing_to_go=willing, birth_year=born,
                               status="merged" if merged else "active"))  # fmt: skip
    feed(dispatch, *people)
    for person in people[::7]:
        book(dispatch, person)
    with dispatch.db.reader() as uow:
        every = [Candidate(**row._mapping) for row in uow.connection.execute(
            select(*[c for c in candidates.c if c.name != "updated_at"]))]  # fmt: skip
        for scope, ages in itertools.product(
            ["in_county", "in_prefecture", "in_province", "outside_province"],
            [(None, None), (18, 45), (18, None), (None, 45)],
        ):
            order = OrderTerms("o", 3, scope, "C39", (), *ages, 1, 2, STARTS)
            loaded = {row.person_id for row in load_pool(uow.connection, order).rows}
            assert loaded == {c.person_id for c in every if eligible(c, order)}, (scope, ages)
            assert loaded  # each combination keeps someone: the comparison is not empty
