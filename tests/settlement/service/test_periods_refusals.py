"""Every bad request about periods and statements refused with a clear error, nothing written
(no period, line, statement, dispute or event): a month not begun, a closed month, a month not
ended, a later month before the earlier open one, a caller who is not the county cooperative,
an acknowledgement by anyone but the statement's own HR company (a county administrator on its
behalf, another company's operator), a dispute of a placement not on the statement."""

import pytest

from sanbao_common.errors import DomainError
from settlement.adapters.period_tables import statements
from settlement_periods_support import (  # noqa: F401
    County,
    _clock,
    hr_operator_of,
    today_is,
)
from settlement_support import key


@pytest.fixture
def county(settlement):
    return County(settlement)


def _statement(settlement, kind: str) -> str:
    (found,) = [s for s in settlement.rows(statements) if s["kind"] == kind]
    return found["statement_id"]


def test_runs_of_months_not_begun_or_closed_are_refused(settlement, county):
    county.place()
    today_is("2026-05-06")
    county.refused(lambda: county.run("2026-06"), "PERIOD_IN_FUTURE")
    county.refused(lambda: county.close("2026-06"), "PERIOD_IN_FUTURE")
    county.refused(lambda: county.run("2026-13"), "INVALID_PERIOD")
    county.refused(lambda: county.run("May 2026"), "INVALID_PERIOD")
    county.close("2026-04")
    county.refused(lambda: county.run("2026-04"), "PERIOD_CLOSED")
    county.refused(lambda: county.close("2026-04"), "PERIOD_CLOSED")
    county.refused(lambda: county.run("2026-03"), "PERIOD_CLOSED")  # before the first closed


def test_closes_out_of_order_or_too_early_are_refused(settlement, county):
    county.place()
    today_is("2026-05-06")
    county.refused(lambda: county.close("2026-05"), "PERIOD_NOT_ENDED")
    today_is("2026-06-02")
    county.run("2026-04")
    error = county.refused(lambda: county.close("2026-05"), "EARLIER_PERIOD_OPEN")
    assert error.details["next_open"] == "2026-04"
    county.close("2026-04")
    county.close("2026-05")


def test_only_the_county_cooperative_runs_and_closes(settlement, county):
    county.place()
    today_is("2026-05-06")
    village = settlement.village_coop_operator()
    county.refused(lambda: county.run("2026-04", caller=village), "NOT_COUNTY_COOPERATIVE")
    county.refused(lambda: county.close("2026-04", caller=village), "NOT_COUNTY_COOPERATIVE")
    for name in ("agent", "hr_operator", "finance", "auditor"):
        county.refused(lambda n=name: county.run("2026-04", caller=settlement.caller(n)),
                       "FORBIDDEN")  # fmt: skip
    county.run("2026-04", caller=settlement.county_admin())


def test_only_the_statements_hr_company_acknowledges_it(settlement, county):
    placed = county.place(poor=True)
    today_is("2026-05-06")
    county.close("2026-04")
    revenue = _statement(settlement, "service_revenue")
    subsidy = _statement(settlement, "policy_subsidy")
    events = len(county.events())

    # A county administrator cannot acknowledge on the HR company's behalf, nor through an HR
    # operator account they created in the company (no seal of the company certified it).
    county.refused(
        lambda: settlement.county_admin().acknowledge_statement(revenue, [], key()), "FORBIDDEN"
    )
    clerk = settlement.caller("hr_clerk")
    county.refused(lambda: clerk.acknowledge_statement(revenue, [], key()), "FORBIDDEN")
    assert clerk.get_statement(revenue)["statement_id"] == revenue  # it still reads it
    other = hr_operator_of(settlement, "org-hr-other", user="sun.hr")
    county.refused(lambda: other.acknowledge_statement(revenue, [], key()), "NOT_THE_COUNTERPARTY")
    hr = settlement.hr_operator()
    county.refused(
        lambda: hr.acknowledge_statement(subsidy, [], key()), "STATEMENT_NOT_ACKNOWLEDGEABLE"
    )
    county.refused(lambda: hr.acknowledge_statement("no-such", [], key()), "STATEMENT_NOT_FOUND")
    county.refused(
        lambda: hr.acknowledge_statement(
            revenue, [{"placement_id": "not-on-it", "reason": "不认识此人"}], key()
        ),
        "DISPUTE_REJECTED",
    )
    twice = [{"placement_id": placed, "reason": "不在岗"}] * 2
    county.refused(lambda: hr.acknowledge_statement(revenue, twice, key()), "INVALID_INPUT")
    too_many = [{"placement_id": f"p-{n}", "reason": "不在岗"} for n in range(5001)]
    county.refused(lambda: hr.acknowledge_statement(revenue, too_many, key()), "INVALID_INPUT")
    county.refused(
        lambda: hr.acknowledge_statement(
            revenue, [{"placement_id": placed, "reason": "x"}], key()
        ),  # fmt: skip
        "INVALID_INPUT",
    )
    assert len(county.events()) == events

    hr.acknowledge_statement(revenue, [], key())
    assert len(county.events()) == events + 2


def test_disputes_are_resolved_by_the_county_cooperative_only(settlement, county):
    placed = county.place()
    today_is("2026-05-06")
    county.close("2026-04")
    revenue = _statement(settlement, "service_revenue")
    settlement.hr_operator().acknowledge_statement(
        revenue, [{"placement_id": placed, "reason": "未到岗"}], key()
    )
    village = settlement.village_coop_operator()
    county.refused(
        lambda: village.resolve_dispute(revenue, 1, "owed", None, key()),
        "NOT_COUNTY_COOPERATIVE",
    )
    county.refused(
        lambda: settlement.hr_operator().resolve_dispute(revenue, 1, "waived", None, key()),
        "FORBIDDEN",
    )
    admin = settlement.county_admin()
    county.refused(lambda: admin.resolve_dispute(revenue, 2, "owed", None, key()),
                   "DISPUTE_NOT_FOUND")  # fmt: skip
    county.refused(lambda: admin.resolve_dispute(revenue, 1, "maybe", None, key()),
                   "INVALID_INPUT")  # fmt: skip


def test_an_idempotency_key_answers_only_its_own_request(settlement, county):
    county.place()
    today_is("2026-05-06")
    shared = key()
    county.run("2026-04", idempotency_key=shared)
    with pytest.raises(DomainError) as caught:
        county.close("2026-04", idempotency_key=shared)
    assert caught.value.code.startswith("IDEMPOTENCY_KEY_")
    assert county.events() == []
