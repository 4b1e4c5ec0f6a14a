"""A party's view read by someone outside that party: an agent (or a cooperative's people)
asking for an HR company's view must not be handed that company's statements and disputes.
Each test asserts the guarantee from the attacker's side; a failing one is a hole."""

import pytest

from settlement.adapters.period_tables import statements
from settlement_periods_support import County, _clock, today_is  # noqa: F401
from settlement_support import HR_COMPANY, key


@pytest.fixture
def disputed(settlement):
    """April closed and its service revenue statement acknowledged with one placement
    disputed (its reason names the labourer)."""
    county = County(settlement)
    placed = county.place(agent_id="agent-1")
    county.place()
    today_is("2026-05-06")
    county.close("2026-04")
    (revenue,) = [s for s in settlement.rows(statements) if s["kind"] == "service_revenue"]
    reason = [{"placement_id": placed, "reason": "李秀英未到岗"}]
    settlement.hr_operator().acknowledge_statement(revenue["statement_id"], reason, key())
    return revenue["statement_id"]


def test_an_agent_reading_an_hr_companys_view_gets_none_of_its_statements(settlement, disputed):
    view = settlement.agent().party_statement("2026-04", "hr_company", HR_COMPANY)
    assert view["statements"] == []
    assert view["labourers"] == [] and view["total_fen"] == 0
    assert "李秀英未到岗" not in repr(view)


def test_the_hr_company_and_the_county_still_read_its_statements(settlement, disputed):
    for caller in (settlement.hr_operator(), settlement.county_admin()):
        view = caller.party_statement("2026-04", "hr_company", HR_COMPANY)
        ids = [s["statement_id"] for s in view["statements"]]
        assert disputed in ids
