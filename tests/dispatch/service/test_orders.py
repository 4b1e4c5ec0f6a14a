"""Job orders through DispatchService on a real database: opened by an HR company under its own
sealed agreement, read, ended once; and every order that must not be opened (impossible dates,
head counts, wages, age limits; an unsealed, ended or other company's agreement): refused with
an error naming the problem, and nothing written."""

from datetime import date, timedelta

import eventlet
import pytest
from sqlalchemy import func, select, update

from dispatch.adapters.order_tables import job_orders
from dispatch.adapters.vocabulary_tables import vocabulary_terms
from dispatch.orders.queries import open_orders_for_matching, order_for_matching
from dispatch_support import key, today
from sanbao_common.access import Forbidden, OutOfScope
from sanbao_common.envelope import parse_envelope
from sanbao_common.errors import DomainError, InvalidInput
from sanbao_common.messaging.idempotency import IdempotencyKeyConflict, IdempotencyKeyReused

COUNTY = "532501"
CREDIT = "91350100M000100Y43"  # GB 32100's published example


@pytest.fixture
def hr(dispatch):
    """An operator of dispatch's HR company."""
    return dispatch.as_(["hr_operator"], dispatch.hr, user="zhou.hr")


@pytest.fixture
def agreement(dispatch):
    return dispatch.sealed_agreement()


@pytest.fixture
def employer(hr):
    return hr.register_employer(
        {
            "name": "东莞市长安电子科技有限公司",
            "credit_code": CREDIT,
            "place_scope": "outside_province",
            "place": "广东省东莞市长安镇",
            "industry": "C39",
        },
        key(),
    )


def order_input(agreement_id: str, employer_id: str, **changes) -> dict:
    order = {
        "agreement_id": agreement_id,
        "employer_id": employer_id,
        "title": "电子厂普工",
        "positions": "流水线装配，两班倒，包吃住",
        "head_count": 20,
        "wage_min": "4500.00",
        "wage_max": "6000.00",
        "place_scope": "outside_province",
        "place": "广东省东莞市长安镇",
        "industry": "C39",
        "skills": ["assembler"],
        "age_min": 18,
        "age_max": 45,
        "starts_on": (today() + timedelta(days=14)).isoformat(),
    }
    order.update(changes)
    return order


def stored(dispatch) -> tuple[int, int]:
    """(job orders stored, job order events written): what a refusal must leave at 0."""
    with dispatch.db.reader() as uow:
        orders = uow.connection.execute(select(func.count()).select_from(job_orders)).scalar()
    events = [e for e in dispatch.events() if e["type"].startswith("job_order_")]
    return orders, len(events)


def refused(call, error=DomainError) -> DomainError:
    with pytest.raises(error) as caught:
        call()
    return caught.value


# -- opening ---------------------------------------------------------------------------------


def test_an_hr_operator_opens_an_order_under_its_own_sealed_agreement(
    dispatch, hr, agreement, employer
):
    opened = hr.open_job_order(order_input(agreement, employer["employer_id"]), key())

    assert opened["status"] == "open" and opened["version"] == 1
    assert opened["hr_company"] == dispatch.hr.org_id
    assert opened["agreement_id"] == agreement
    assert (opened["wage_min_fen"], opened["wage_max_fen"]) == (450000, 600000)
    assert opened["skills"] == ["assembler"] and opened["industry"] == "C39"
    assert opened["employer_name"] == "东莞市长安电子科技有限公司"
    assert opened["opened_by"] == "user:zhou.hr"
    # One event, the order's whole state at version 1, in the envelope every consumer checks.
    (event,) = dispatch.events("job_order_opened")
    envelope = parse_envelope(event, COUNTY)
    assert (envelope.record_id, envelope.version) == (opened["order_id"], 1)
    assert envelope.payload == opened
    # Read back as it was opened, by anyone of the county.
    for reader in (hr, dispatch.as_(["agent"]), dispatch.as_(["auditor"])):
        assert reader.get_job_order(opened["order_id"]) == opened
    assert hr.list_job_orders()["orders"] == [opened]


def test_matching_reads_the_order_as_it_needs_it(dispatch, hr, agreement, employer):
    opened = hr.open_job_order(order_input(agreement, employer["employer_id"]), key())
    with dispatch.db.reader() as uow:
        found = order_for_matching(uow.connection, opened["order_id"])
        assert open_orders_for_matching(uow.connection) == [found]
        assert order_for_matching(uow.connection, "no-such-order") is None
    assert found == {
        "order_id": opened["order_id"],
        "agreement_id": agreement,
        "hr_company": dispatch.hr.org_id,
        "head_count": 20,
        "place_scope": "outside_province",
        "industry": "C39",
        "skills": ["assembler"],
        "age_min": 18,
        "age_max": 45,
        "wage_min_fen": 450000,
        "wage_max_fen": 600000,
        "starts_on": today() + timedelta(days=14),
        "status": "open",
    }


def test_words_become_codes_and_the_employer_gives_what_is_left_out(hr, agreement, employer):
    order = order_input(
        agreement, employer["employer_id"], industry="电子厂", skills=["焊工", "电工", "Welder"]
    )
    for name in ("place", "place_scope"):
        del order[name]
    opened = hr.open_job_order(order, key())
    assert opened["industry"] == "C39"
    assert opened["skills"] == ["electrician", "welder"]  # sorted, once each
    assert (opened["place_scope"], opened["place"]) == ("outside_province", "广东省东莞市长安镇")
    del order["industry"]
    assert hr.open_job_order(order, key())["industry"] == employer["industry"]


def test_a_county_administrator_opens_orders_for_any_hr_company(dispatch, agreement, employer):
    opened = dispatch.admin().open_job_order(order_input(agreement, employer["employer_id"]), key())
    assert opened["hr_company"] == dispatch.hr.org_id


# -- refused orders: a clear error, nothing written ------------------------------------------

IN_14 = timedelta(days=14)

BAD_ORDERS = [
    ({"head_count": 0}, "head count must be 1 to 10000, not 0"),
    ({"head_count": 10001}, "head count must be 1 to 10000, not 10001"),
    ({"wage_min": "6000.01"}, "wage_min is more than wage_max"),
    ({"wage_min": "0"}, "wage_min must be more than 0"),
    ({"wage_max": "100000.01"}, "wage_max must be more than 0 and at most 100000 yuan"),
    ({"age_min": 15}, "age_min must be 16 to 65, not 15"),
    ({"age_max": 66}, "age_max must be 16 to 65, not 66"),
    ({"age_min": 40, "age_max": 30}, "age_min 40 is more than age_max 30"),
    ({"starts_on": -1}, "is before today"),
    ({"ends_on": 13}, "is before starts_on"),
    ({"starts_on": 3 * 366}, "is outside the agreement's term"),
]


@pytest.mark.parametrize(("changes", "problem"), BAD_ORDERS)
def test_an_impossible_order_is_refused_naming_the_problem(
    dispatch, hr, agreement, employer, changes, problem
):
    for name in ("starts_on", "ends_on"):  # days from today
        if name in changes:
            changes = dict(changes, **{name: (today() + timedelta(days=changes[name])).isoformat()})
    order = order_input(agreement, employer["employer_id"], **changes)
    error = refused(lambda: hr.open_job_order(order, "bad-order-key"))
    assert error.code == "JOB_ORDER_REJECTED"
    assert problem in error.message_en
    assert stored(dispatch) == (0, 0)
    # Nothing was kept under the key either: corrected, the same key opens the order.
    assert hr.open_job_order(order_input(agreement, employer["employer_id"]), "bad-order-key")


def test_every_problem_of_an_order_is_named_at_once(dispatch, hr, agreement, employer):
    order = order_input(
        agreement,
        employer["employer_id"],
        head_count=0,
        wage_min="7000.00",
        age_min=70,
        starts_on=(today() - timedelta(days=1)).isoformat(),
    )
    error = refused(lambda: hr.open_job_order(order, key()))
    for problem in ("head count", "wage_min is more than wage_max", "age_min", "before today"):
        assert problem in error.message_en
    for problem in ("人数", "最低月薪高于最高月薪", "最低年龄", "早于今天"):
        assert problem in error.message_zh
    assert stored(dispatch) == (0, 0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"head_count": "20"}, "head_count"),
        ({"head_count": True}, "head_count"),
        ({"head_count": 2.5}, "head_count"),
        ({"wage_min": 4500}, "wage_min"),
        ({"wage_min": "-4500.00"}, "wage_min"),
        ({"wage_max": "4500.001"}, "wage_max"),
        ({"place_scope": "abroad"}, "place_scope"),
        ({"starts_on": "2026-02-30"}, "starts_on"),
        ({"skills": ["welder"] * 21}, "skills"),
        ({"title": ""}, "title"),
        ({"hr_company": "org-someone-else"}, "hr_company"),  # not a field: it is the agreement's
        ({"status": "filled"}, "status"),
        ({"version": 7}, "version"),
    ],
)
def test_a_crafted_order_is_refused_field_by_field(
    dispatch, hr, agreement, employer, changes, field
):
    order = order_input(agreement, employer["employer_id"], **changes)
    error = refused(lambda: hr.open_job_order(order, key()), InvalidInput)
    assert field in error.errors
    assert stored(dispatch) == (0, 0)


def test_orders_under_an_unsealed_agreement_are_refused(dispatch, hr, employer):
    drafted = dispatch.draft()
    dispatch.seal(drafted, dispatch.county)  # one seal of two
    order = order_input(drafted["agreement_id"], employer["employer_id"])
    assert refused(lambda: hr.open_job_order(order, key())).code == "AGREEMENT_NOT_SEALED"
    assert stored(dispatch) == (0, 0)


def test_orders_under_an_ended_agreement_are_refused(dispatch, hr, employer):
    last_year = today().year - 1
    ended = dispatch.sealed_agreement(
        term_start=date(last_year - 1, 1, 1).isoformat(),
        term_end=date(last_year, 12, 31).isoformat(),
    )
    error = refused(lambda: hr.open_job_order(order_input(ended, employer["employer_id"]), key()))
    assert error.code == "AGREEMENT_ENDED"
    assert f"ended on {last_year}-12-31" in error.message_en
    assert stored(dispatch) == (0, 0)


def test_an_order_cannot_start_before_the_agreement_takes_effect(dispatch, hr, employer):
    later = dispatch.sealed_agreement(effective_from=(today() + timedelta(days=30)).isoformat())
    order = order_input(later, employer["employer_id"])  # starts in 14 days
    error = refused(lambda: hr.open_job_order(order, key()))
    assert "no sealed version of the agreement is in force" in error.message_en
    starts = (today() + timedelta(days=30)).isoformat()
    assert hr.open_job_order(order_input(later, employer["employer_id"], starts_on=starts), key())


def test_unknown_references_are_named(dispatch, hr, agreement, employer):
    cases = [
        ({"agreement_id": "no-such-agreement"}, "AGREEMENT_NOT_FOUND"),
        ({"employer_id": "no-such-employer"}, "EMPLOYER_NOT_FOUND"),
        ({"station_id": "no-such-station"}, "SERVICE_STATION_NOT_FOUND"),
        ({"industry": "Z99"}, "VOCABULARY_CODE_UNKNOWN"),
        ({"skills": ["welder", "juggler"]}, "VOCABULARY_CODE_UNKNOWN"),
    ]
    for changes, code in cases:
        order = dict(order_input(agreement, employer["employer_id"]), **changes)
        error = refused(lambda order=order: hr.open_job_order(order, key()))
        assert error.code == code, changes
    assert "juggler" in error.message_en and "welder" not in error.message_en
    assert stored(dispatch) == (0, 0)


def test_a_retired_skill_is_refused_by_name(dispatch, hr, agreement, employer):
    with dispatch.db.unit_of_work() as uow:
        uow.connection.execute(
            update(vocabulary_terms)
            .where(vocabulary_terms.c.kind == "skill", vocabulary_terms.c.code == "porter")
            .values(retired=True)
        )
        uow.commit()
    order = order_input(agreement, employer["employer_id"], skills=["搬运工"])
    error = refused(lambda: hr.open_job_order(order, key()))
    assert error.code == "VOCABULARY_CODE_UNKNOWN" and "搬运工 is retired" in error.message_en
    assert stored(dispatch) == (0, 0)


# -- whose orders ----------------------------------------------------------------------------


def test_an_hr_operator_cannot_open_an_order_under_another_companys_agreement(
    dispatch, agreement, employer
):
    rival = dispatch.hr_company("org-hr-rival")
    dispatch.sealed_agreement(rival)  # the rival has an agreement of its own
    intruder = dispatch.as_(["hr_operator"], rival, user="rival.hr")
    order = order_input(agreement, employer["employer_id"])
    refused(lambda: intruder.open_job_order(order, key()), OutOfScope)
    assert stored(dispatch) == (0, 0)


@pytest.mark.parametrize("role", ["coop_operator", "agent", "signatory", "finance", "auditor"])
def test_only_hr_operators_and_county_administrators_open_orders(
    dispatch, agreement, employer, role
):
    caller = dispatch.as_([role], dispatch.hr if role != "agent" else None, user="x")
    refused(
        lambda: caller.open_job_order(order_input(agreement, employer["employer_id"]), key()),
        Forbidden,
    )
    assert stored(dispatch) == (0, 0)


def test_an_hr_companys_people_read_only_its_own_orders(dispatch, hr, agreement, employer):
    mine = hr.open_job_order(order_input(agreement, employer["employer_id"]), key())
    rival = dispatch.hr_company("org-hr-rival")
    theirs_agreement = dispatch.sealed_agreement(rival)
    rival_hr = dispatch.as_(["hr_operator"], rival, user="rival.hr")
    theirs = rival_hr.open_job_order(order_input(theirs_agreement, employer["employer_id"]), key())

    assert [o["order_id"] for o in rival_hr.list_job_orders()["orders"]] == [theirs["order_id"]]
    assert [o["order_id"] for o in hr.list_job_orders()["orders"]] == [mine["order_id"]]
    refused(lambda: rival_hr.get_job_order(mine["order_id"]), OutOfScope)
    # The rival's finance person is an HR company's person too.
    rival_finance = dispatch.as_(["finance"], rival, user="rival.fin")
    assert len(rival_finance.list_job_orders()["orders"]) == 1
    # The county's people see both.
    assert len(dispatch.as_(["coop_operator"]).list_job_orders()["orders"]) == 2
    by_agreement = dispatch.as_(["auditor"]).list_job_orders(agreement_id=theirs_agreement)
    assert [o["order_id"] for o in by_agreement["orders"]] == [theirs["order_id"]]


def test_another_companys_station_cannot_be_named_on_an_order(dispatch, hr, agreement, employer):
    rival = dispatch.hr_company("org-hr-rival")
    dispatch.sealed_agreement(rival)
    station = dispatch.as_(["hr_operator"], rival, user="rival.hr").register_service_station(
        {"name": "东莞服务站", "place_scope": "outside_province", "place": "广东省东莞市"}, key()
    )
    order = order_input(agreement, employer["employer_id"], station_id=station["station_id"])
    assert refused(lambda: hr.open_job_order(order, key())).code == "SERVICE_STATION_NOT_FOUND"
    own = hr.register_service_station(
        {"name": "东莞服务站", "place_scope": "outside_province", "place": "广东省东莞市"}, key()
    )
    order["station_id"] = own["station_id"]
    assert hr.open_job_order(order, key())["station_id"] == own["station_id"]


# -- idempotency -----------------------------------------------------------------------------


def test_a_retried_order_opens_once(dispatch, hr, agreement, employer):
    order = order_input(agreement, employer["employer_id"])
    first = hr.open_job_order(order, "order-key-1")
    assert hr.open_job_order(order, "order-key-1") == first
    assert stored(dispatch) == (1, 1)
    refused(
        lambda: hr.open_job_order(dict(order, head_count=5), "order-key-1"), IdempotencyKeyReused
    )
    other = dispatch.as_(["hr_operator"], dispatch.hr, user="wu.hr")
    refused(lambda: other.open_job_order(order, "order-key-1"), IdempotencyKeyConflict)
    assert stored(dispatch) == (1, 1)


# -- ending ----------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["filled", "closed", "cancelled"])
def test_an_order_ends_once(dispatch, hr, agreement, employer, outcome):
    opened = hr.open_job_order(order_input(agreement, employer["employer_id"]), key())
    ended = hr.close_job_order(opened["order_id"], outcome, "用工企业停产", key())
    assert (ended["status"], ended["version"], ended["reason"]) == (outcome, 2, "用工企业停产")
    assert ended["closed_by"] == "user:zhou.hr" and ended["closed_at"]
    (event,) = dispatch.events("job_order_closed")
    envelope = parse_envelope(event, COUNTY)
    assert (envelope.record_id, envelope.version, envelope.payload) == (
        opened["order_id"], 2, ended,
    )  # fmt: skip
    error = refused(lambda: hr.close_job_order(opened["order_id"], "closed", None, key()))
    assert error.code == "JOB_ORDER_NOT_OPEN"
    assert len(dispatch.events("job_order_closed")) == 1
    assert hr.get_job_order(opened["order_id"]) == ended
    assert hr.list_job_orders(status="open")["orders"] == []
    assert hr.list_job_orders(status=outcome)["orders"] == [ended]
    with dispatch.db.reader() as uow:
        assert open_orders_for_matching(uow.connection) == []


def test_ending_an_order_is_refused_when_it_makes_no_sense(dispatch, hr, agreement, employer):
    opened = hr.open_job_order(order_input(agreement, employer["employer_id"]), key())
    order_id = opened["order_id"]
    error = refused(lambda: hr.close_job_order(order_id, "cancelled", "  ", key()))
    assert error.code == "JOB_ORDER_REJECTED" and "reason" in error.message_en
    for outcome in ("open", "done", None):
        refused(
            lambda outcome=outcome: hr.close_job_order(order_id, outcome, "x", key()), InvalidInput
        )
    assert refused(lambda: hr.close_job_order("no-such", "filled", None, key())).code == (
        "JOB_ORDER_NOT_FOUND"
    )
    rival = dispatch.hr_company("org-hr-rival")
    dispatch.sealed_agreement(rival)
    intruder = dispatch.as_(["hr_operator"], rival, user="rival.hr")
    refused(lambda: intruder.close_job_order(order_id, "cancelled", "抢单", key()), OutOfScope)
    assert hr.get_job_order(order_id) == opened
    assert dispatch.events("job_order_closed") == []


def test_filters_are_checked(hr):
    for call in (
        lambda: hr.list_job_orders(status="bogus"),
        lambda: hr.list_job_orders(agreement_id=7),
        lambda: hr.get_job_order(None),
        lambda: hr.get_job_order("x" * 37),
    ):
        refused(call, InvalidInput)


def test_of_two_racing_ends_one_counts(dispatch, hr, agreement, employer):
    opened = hr.open_job_order(order_input(agreement, employer["employer_id"]), key())
    other = dispatch.as_(["county_admin"], user="admin")

    def end(worker, outcome):
        try:
            return worker.close_job_order(opened["order_id"], outcome, "并发", key())["status"]
        except DomainError as exc:
            return exc.code

    racing = [eventlet.spawn(end, hr, "filled"), eventlet.spawn(end, other, "cancelled")]
    outcomes = sorted(thread.wait() for thread in racing)
    assert outcomes in (["JOB_ORDER_NOT_OPEN", "filled"], ["JOB_ORDER_NOT_OPEN", "cancelled"])
    (event,) = dispatch.events("job_order_closed")
    assert event["payload"]["status"] in outcomes and event["version"] == 2


def test_of_two_racing_registrations_of_one_employer_one_counts(dispatch, hr):
    admin = dispatch.admin()

    def register(worker, name):
        request = {"name": name, "credit_code": CREDIT, "place_scope": "in_county",
                   "place": "个旧市", "industry": "E47"}  # fmt: skip
        try:
            return worker.register_employer(request, key())["name"]
        except DomainError as exc:
            return exc.code

    racing = [eventlet.spawn(register, hr, "甲公司"), eventlet.spawn(register, admin, "乙公司")]
    outcomes = sorted(thread.wait() for thread in racing)
    assert outcomes[0] == "EMPLOYER_EXISTS" and outcomes[1] in ("甲公司", "乙公司")
    assert [e["name"] for e in hr.list_employers()["employers"]] == [outcomes[1]]
