"""Reading periods, statements and each party's view within one's scope: the HR company its own
statements (with every labourer's line), a cooperative what it is paid and only its area's
labourers, an agent only their own rewards (told when the village has not been paid yet), a
labourer's lines, bureaus and auditors everything — every labourer masked, and the labourers'
lines always adding up to the totals."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from money_support import matched, outflow, proposal_id, requests, seed_statement, village_paid
from sanbao_common.errors import DomainError
from settlement.adapters.money_tables import village_uses
from settlement_periods_support import County, _clock, hr_operator_of, today_is  # noqa: F401
from settlement_support import (
    COUNTY_COOP,
    HR_COMPANY,
    OTHER_VILLAGE,
    VILLAGE,
    VILLAGE_COOP,
    new_id,
    organisation_event,
)


@pytest.fixture
def closed(settlement):
    """April closed: two of VILLAGE's labourers (one poor, agent-1's) and one of OTHER_VILLAGE
    (agent-2's)."""
    settlement.deliver(organisation_event("org-village-202", "village_coop", OTHER_VILLAGE))
    county = County(settlement)
    county.ids = [
        county.place(poor=True, agent_id="agent-1"),
        county.place(starts_on="2026-03-15"),
        county.place(village_code=OTHER_VILLAGE, agent_id="agent-2", name="王芳"),
    ]
    today_is("2026-05-06")
    county.close("2026-04")
    return county


def _refused(call, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code


def test_the_hr_company_reads_its_own_statement_line_by_line(settlement, closed):
    hr = settlement.hr_operator()
    (revenue,) = hr.list_statements(period="2026-04", kind="service_revenue")["statements"]
    assert hr.list_statements()["statements"] == [revenue]  # the subsidy is the bureau's

    shown = hr.get_statement(revenue["statement_id"])

    assert shown["total_fen"] == shown["shown_fen"] == 15000
    assert [p["amount_fen"] for p in shown["labourers"]] == [5000, 5000, 5000]
    assert sum(len(p["lines"]) for p in shown["labourers"]) == 9
    assert {p["id_number_masked"] for p in shown["labourers"]} == {"532501***********1"}
    view = hr.party_statement("2026-04", "hr_company", HR_COMPANY)
    assert view["total_fen"] == 15000 and len(view["statements"]) == 1
    other = hr_operator_of(settlement, "org-hr-other", user="sun.hr")
    assert other.list_statements()["statements"] == []
    _refused(lambda: other.get_statement(revenue["statement_id"]), "OUT_OF_SCOPE")
    _refused(lambda: other.party_statement("2026-04", "hr_company", HR_COMPANY), "OUT_OF_SCOPE")


def test_cooperatives_read_what_they_are_paid_within_their_area(settlement, closed):
    village = settlement.village_coop_operator()
    view = village.party_statement("2026-04", "cooperative", VILLAGE_COOP)
    # Two placements' m1 village parts (1500 each) and the poor one's subsidy village part.
    assert view["totals_by_kind"] == {"service_revenue": 3000, "policy_subsidy": 12000}
    assert sum(p["amount_fen"] for p in view["labourers"]) == view["total_fen"] == 15000
    period = village.get_period("2026-04")
    assert {p["village_code"] for p in village.party_statement(
        "2026-04", "cooperative", COUNTY_COOP)["labourers"]} == {VILLAGE}  # fmt: skip
    assert period["totals"]["by_kind"]["service_revenue"] == 10000  # its own area's labourers
    county = settlement.county_coop_operator().party_statement("2026-04", "cooperative",
                                                               COUNTY_COOP)  # fmt: skip
    assert county["totals_by_kind"]["service_revenue"] == 3 * 2500


def test_an_agent_reads_only_their_own_rewards(settlement, closed):
    agent = settlement.agent()
    view = agent.party_statement("2026-04", "agent", "agent-1")
    assert view["total_fen"] == 20000
    (labourer,) = view["labourers"]
    assert labourer["placement_id"] == closed.ids[0] and labourer["name"] == "李秀英"
    (village,) = view["villages"]
    assert village["village_code"] == VILLAGE and village["income_received_fen"] == 0
    assert village["note_en"].startswith("not yet distributed")
    _refused(lambda: agent.party_statement("2026-04", "agent", "agent-2"), "OUT_OF_SCOPE")
    assert agent.list_statements()["statements"] == []
    period = agent.get_period("2026-04")
    # Their own rewards only: no statement, no other party's share of their labourers' items.
    assert period["totals"]["by_kind"] == {"agent_reward": 20000}
    assert period["statements"] == [] and period["total_fen"] == 20000


def test_an_agents_village_note_speaks_of_this_period_and_this_village(settlement, closed):
    """Income the village received for March says nothing of April's rewards: April is still
    "not yet distributed" until a distribution of April's receivables reaches the village. And
    what another village paid the agent is not this village's."""
    village_paid(settlement, 50_000)  # March's income
    now = datetime.now(UTC)
    with settlement.db.unit_of_work() as uow:
        uow.connection.execute(
            insert(village_uses),
            [{"use_id": new_id(), "village_org_id": "org-village-202", "use": "agent_rewards",
              "amount_fen": 7000, "reference": "奖励", "note": None, "agent_id": "agent-1",
              "period": "2026-04", "status": "posted", "recorded_by": "user:he.village",
              "recorded_by_user_id": "he.village", "recorded_at": now,
              "recorded_on": now.date(), "decided_by": "user:qi.village", "decided_at": now,
              "reason": None, "entry_id": None, "version": 2}],
        )  # fmt: skip
        uow.commit()
    agent = settlement.agent()
    (village,) = agent.party_statement("2026-04", "agent", "agent-1")["villages"]
    assert village["income_received_fen"] == 0 and village["rewards_paid_fen"] == 0
    assert village["note_en"].startswith("not yet distributed")

    ref = seed_statement(settlement, {VILLAGE_COOP: 30_000}, period="2026-04")
    settlement.deliver(matched(ref, 30_000, paid=30_000, match=30_000, receivable_id=new_id()))
    request = requests(settlement)[-1]["payload"]
    assert request["lines"][0]["reference"] == f"2026-04/{ref}"
    settlement.deliver(
        outflow("outflow_paid", request["request_key"], proposal_id(), request["lines"])
    )
    (village,) = agent.party_statement("2026-04", "agent", "agent-1")["villages"]
    assert village["income_received_fen"] == 30_000
    assert not village["note_en"].startswith("not yet distributed")


def test_bureaus_read_everything_and_totals_agree(settlement, closed):
    auditor = settlement.caller("auditor")
    (period,) = auditor.list_periods()["periods"]
    assert period["status"] == "closed" and period["closed_by"]["organisation_id"] == COUNTY_COOP
    summary = auditor.get_period("2026-04")
    statements = auditor.list_statements(period="2026-04")["statements"]
    assert (
        sum(s["total_fen"] for s in statements) + summary["totals"]["by_kind"]["agent_reward"]
        == summary["total_fen"]
    )
    for statement in statements:
        shown = auditor.get_statement(statement["statement_id"])
        assert sum(p["amount_fen"] for p in shown["labourers"]) == statement["total_fen"]
    person = closed.placements[closed.ids[2]]["person_id"]
    labourer = auditor.party_statement("2026-04", "labourer", person)
    assert labourer["total_fen"] == 5000 + 20000  # m1, and agent-2's reward for them
    _refused(lambda: auditor.get_period("2026-03"), "PERIOD_NOT_FOUND")
    _refused(lambda: auditor.party_statement("2026-04", "employer", "x"), "INVALID_INPUT")
