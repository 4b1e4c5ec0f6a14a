"""A month settled through SettlementService on a real database, business time moved by the
kit's clock: a run computes the month's lines (the county's, township's and village's shares of
service revenue, the subsidy's shares, the agent's reward) and posts nothing; running it again
changes nothing; closing it issues the HR company's and the bureau's statements and publishes
what the close means, exactly once; labourers appear masked in every event."""

import re

from fund_contract.requests import RECEIVABLE_REQUEST_FIELDS
from sanbao_common.envelope import parse_envelope
from settlement.adapters.period_tables import statements
from settlement_periods_support import BUREAU, County, _clock, today_is  # noqa: F401
from settlement_support import (
    AGREEMENT,
    COUNTY_COOP,
    HR_COMPANY,
    TOWNSHIP_COOP,
    VILLAGE_COOP,
    key,
)

FULL_ID_NUMBER = re.compile(r"\d{17}[\dXx]")


def test_a_run_computes_the_months_lines_and_posts_nothing(settlement):
    county = County(settlement)
    placed = county.place(poor=True, agent_id="agent-1")
    today_is("2026-05-06")

    summary = county.run("2026-04")

    assert summary["period"] == "2026-04" and summary["status"] == "open"
    assert summary["through"] == "2026-04-30" and summary["runs"] == 1
    # m1 (due 04-10): 50.00 yuan 5/2/3; the subsidy (due 04-09): 500.00 yuan, 60 % to the
    # cooperatives (4/2/4) and 40 % to the HR company; the agent's reward at one month: 200.00.
    assert summary["totals"] == {
        "by_kind": {"agent_reward": 20000, "policy_subsidy": 50000, "service_revenue": 5000},
        "by_party": {"agent": 20000, "county": 2500 + 12000, "hr_company": 20000,
                     "township": 1000 + 6000, "village": 1500 + 12000},
    }  # fmt: skip
    assert summary["total_fen"] == 75000 and summary["rows"] == 8
    assert summary["pending"] == {"count": 0, "first": []} and summary["deferred"] == []
    by_kind = {s["kind"]: s for s in summary["statements"]}
    assert by_kind["service_revenue"]["counterparty_id"] == HR_COMPANY
    assert by_kind["policy_subsidy"]["counterparty_id"] == BUREAU
    assert by_kind["policy_subsidy"]["total_fen"] == 50000
    lines = county.lines("2026-04")
    payees = {(line["item_key"], line["party"]): line["payee_id"] for line in lines}
    assert payees[(f"rev:{placed}:m1", "county")] == COUNTY_COOP
    assert payees[(f"rev:{placed}:m1", "township")] == TOWNSHIP_COOP
    assert payees[(f"sub:{placed}", "village")] == VILLAGE_COOP
    assert payees[(f"sub:{placed}", "hr_company")] == HR_COMPANY
    assert payees[(f"rew:{placed}", "agent")] == "agent-1"
    assert all(line["name"] == "李秀英" and not line["adjustment"] for line in lines)
    assert county.events() == []

    again = county.run("2026-04")

    assert county.lines("2026-04") == lines
    assert again["runs"] == 2 and again["totals"] == summary["totals"]
    assert county.events() == []


def test_closing_issues_statements_and_publishes_once(settlement):
    county = County(settlement)
    placed = county.place(poor=True, agent_id="agent-1")
    county.place(starts_on="2026-03-20")
    today_is("2026-05-06")
    county.run("2026-04")
    close_key = key()

    closed = county.close("2026-04", idempotency_key=close_key)

    assert closed["status"] == "closed"
    assert closed["closed_by"] == {"user_id": "wang.coop", "username": "wang.coop",
                                   "organisation_id": COUNTY_COOP}  # fmt: skip
    assert closed["totals"]["by_kind"]["service_revenue"] == 10000
    issued = {s["kind"]: s for s in settlement.rows(statements)}
    revenue, subsidy = issued["service_revenue"], issued["policy_subsidy"]
    assert (revenue["status"], revenue["receivable_state"]) == ("issued", "none")
    assert (revenue["counterparty_kind"], revenue["counterparty_name"]) == (
        "hr_company", "昆明某人力资源有限公司",
    )  # fmt: skip
    assert (subsidy["counterparty_kind"], subsidy["counterparty_name"]) == ("bureau", "县人社局")
    assert subsidy["receivable_state"] == "requested" and subsidy["total_fen"] == 50000
    types = sorted(e["type"] for e in county.events())
    assert types == ["agent_reward_due", "period_settled", "receivable_requested",
                     "subsidy_claimed"]  # fmt: skip
    (settled,) = county.events("period_settled")
    envelope = parse_envelope(settled, "532501")
    assert envelope.actor == "user:wang.coop" and envelope.record_id == "2026-04"
    assert settled["payload"]["total_fen"] == closed["total_fen"]
    assert settled["payload"]["pending_count"] == 0
    assert len(settled["payload"]["statements"]) == 2
    (request,) = county.events("receivable_requested")
    assert tuple(request["payload"]) == RECEIVABLE_REQUEST_FIELDS
    assert request["payload"] == {
        "account_id": AGREEMENT, "kind": "policy_subsidy", "period": "2026-04",
        "counterparty_id": BUREAU, "counterparty_kind": "bureau", "counterparty_name": "县人社局",
        "statement_ref": subsidy["statement_id"], "amount_fen": 50000,
    }  # fmt: skip
    (reward,) = county.events("agent_reward_due")
    assert reward["payload"]["agent_id"] == "agent-1"
    assert reward["payload"]["amount_fen"] == 20000
    (labourer,) = reward["payload"]["labourers"]
    assert labourer["placement_id"] == placed and labourer["name"] == "李秀英"
    assert labourer["id_number_masked"] == "532501***********1"
    assert labourer["mark_on"] == "2026-04-10" and labourer["amount_fen"] == 20000
    assert not any(FULL_ID_NUMBER.search(json_text(e)) for e in county.events())

    # A retry with the same key is answered, nothing posted twice.
    assert county.close("2026-04", idempotency_key=close_key) == closed
    assert len(county.events()) == 4
    assert len(settlement.rows(statements)) == 2


def json_text(event: dict) -> str:
    import json

    return json.dumps(event, ensure_ascii=False)


def test_the_hr_company_acknowledges_once_and_the_receivable_is_asked_once(settlement):
    county = County(settlement, reward=None, subsidy=None)
    first = county.place()
    second = county.place(starts_on="2026-03-20")
    today_is("2026-05-06")
    county.close("2026-04")
    (statement,) = settlement.rows(statements)
    hr = settlement.hr_operator()
    ack_key = key()
    disputes = [{"placement_id": second, "reason": "已于3月底离职  未满一个月"}]

    acknowledged = hr.acknowledge_statement(statement["statement_id"], disputes, ack_key)

    assert acknowledged["status"] == "acknowledged"
    assert (acknowledged["total_fen"], acknowledged["disputed_fen"]) == (10000, 5000)
    assert acknowledged["acknowledged_fen"] == 5000 and acknowledged["acknowledged_by"] == (
        "user:zhou.hr"
    )
    (dispute,) = acknowledged["disputes"]
    assert dispute["placement_id"] == second
    assert (dispute["state"], dispute["amount_fen"]) == ("open", 5000)
    assert dispute["reason"] == "已于3月底离职 未满一个月"
    lines = county.lines("2026-04")
    assert {line["dispute_no"] for line in lines if line["placement_id"] == second} == {1}
    assert {line["dispute_no"] for line in lines if line["placement_id"] == first} == {None}
    (ack_event,) = county.events("statement_acknowledged")
    assert ack_event["payload"] == acknowledged and ack_event["actor"] == "user:zhou.hr"
    (request,) = county.events("receivable_requested")
    assert request["payload"]["kind"] == "service_revenue"
    assert request["payload"]["counterparty_kind"] == "hr_company"
    assert request["payload"]["statement_ref"] == statement["statement_id"]
    assert request["payload"]["amount_fen"] == 5000

    # The retry is answered as the first call; a second acknowledgement is refused.
    assert hr.acknowledge_statement(statement["statement_id"], disputes, ack_key) == acknowledged
    county.refused(
        lambda: hr.acknowledge_statement(statement["statement_id"], [], key()),
        "STATEMENT_ALREADY_ACKNOWLEDGED",
    )
    assert len(county.events("receivable_requested")) == 1

    # The statement shows its labourers' lines and the dispute.
    shown = hr.get_statement(statement["statement_id"])
    assert [p["placement_id"] for p in shown["labourers"]] == sorted([first, second])
    assert shown["shown_fen"] == 10000 and len(shown["disputes"]) == 1

    # The county cooperative finds the disputed line owed: a second receivable.
    resolved = settlement.county_coop_operator().resolve_dispute(
        statement["statement_id"], 1, "owed", "回访记录显示仍在岗", key()
    )
    assert resolved["state"] == "owed" and resolved["receivable_state"] == "requested"
    owed = county.events("receivable_requested")[-1]["payload"]
    assert owed["statement_ref"] == f"{statement['statement_id']}:d1"
    assert owed["amount_fen"] == 5000
    county.refused(
        lambda: settlement.county_admin().resolve_dispute(
            statement["statement_id"], 1, "waived", None, key()
        ),
        "DISPUTE_ALREADY_RESOLVED",
    )


def test_a_waived_dispute_asks_nothing(settlement):
    county = County(settlement, reward=None, subsidy=None)
    placed = county.place()
    today_is("2026-05-06")
    county.close("2026-04")
    (statement,) = settlement.rows(statements)
    settlement.hr_operator().acknowledge_statement(
        statement["statement_id"], [{"placement_id": placed, "reason": "不在岗"}], key()
    )
    assert county.events("receivable_requested") == []  # nothing acknowledged: nothing owed

    waived = settlement.county_admin().resolve_dispute(
        statement["statement_id"], 1, "waived", "核实不在岗", key()
    )

    assert waived["state"] == "waived" and waived["note"] == "核实不在岗"
    assert county.events("receivable_requested") == []


def test_lines_keep_any_text_exactly(settlement):
    """Lines go to the database in bulk (PostgreSQL's COPY): text with a backslash, a tab or a
    line break comes back as it was."""
    county = County(settlement, reward=None, subsidy=None)
    odd = "欧阳\\娜\t二\n号"
    county.place(name=odd)
    today_is("2026-05-06")
    county.run("2026-04")
    assert {line["name"] for line in county.lines("2026-04")} == {odd}
