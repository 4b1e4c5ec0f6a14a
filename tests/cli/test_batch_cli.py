"""`sanbao batch` against dispatch's real entrypoints on the test's own database, each command
as the person whose job it is: the HR company forms a batch and invites, the people's agent
records the answers, the county cooperative approves; departure is refused until the advance is
paid; a no-show, arrival, a release on arrival, substitution, asking the advance again and
cancelling; a refusal is one line with the service's code, and a bad cost item is refused before
anything is sent."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from batch_support import BatchDesk
from cli_support import Workers
from dispatch_support import HR_ORG, Dispatch, today
from sanbao_common.db import create_database_engine

DIRECTORY = [{"org_id": HR_ORG, "name": "红河人力资源有限公司"}]


@pytest.fixture
def desk(databases):
    engine = create_database_engine(databases["dispatch"])
    yield BatchDesk(Dispatch(engine))
    engine.dispose()


def as_(worker) -> Workers:
    """The stack as `sanbao` reaches it, dispatch answering as `worker`'s caller."""
    registry = SimpleNamespace(list_organisations=lambda kind=None, under=None: DIRECTORY)
    return Workers(dispatch=worker, registry=registry)


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def reply(result) -> dict:
    return json.loads(ok(result).output)


def refused(result, code: str) -> str:
    assert result.exit_code == 1, result.output
    assert f"error [{code}] " in result.output and "Traceback" not in result.output
    return result.output


def test_a_batch_from_forming_to_arrival(cli, desk):
    hr, agent, coop = as_(desk.hr), as_(desk.agent), as_(desk.coop)
    people = [p["person_id"] for p in desk.people(3)]
    order_id = desk.order(head_count=3)
    on = today().isoformat()

    formed = reply(cli(hr, "batch", "form", order_id, "--person", people[0], "--person",
                       people[1], "--cost", "transport:person:300.00", "--cost",
                       "meals:batch:1,000", "--json"))  # fmt: skip
    batch = formed["batch_id"]
    assert formed["costs"] == [
        {"kind": "transport", "per": "person", "amount_fen": 30000},
        {"kind": "meals", "per": "batch", "amount_fen": 100000},
    ]
    invited = reply(cli(hr, "batch", "invite", batch, "--person", people[2], "--json"))
    assert [m["status"] for m in invited["members"]] == ["invited"] * 3
    costed = reply(cli(hr, "batch", "costs", batch, "--cost", "transport:person:350",
                       "--cost", "meals:batch:100.01", "--json"))  # fmt: skip
    assert [c["amount_fen"] for c in costed["costs"]] == [35000, 10001]

    ok(cli(agent, "batch", "answer", batch, people[0], "confirmed", "--on", on))
    ok(cli(agent, "batch", "answer", batch, people[1], "confirmed", "--on", on))
    answered = ok(cli(agent, "batch", "answer", batch, people[2], "declined", "--on", on)).output
    assert "answer recorded: declined" in answered and "declined" in answered

    refused(cli(hr, "batch", "approve", batch), "FORBIDDEN")
    approved = ok(cli(coop, "batch", "approve", batch)).output
    assert "batch approved" in approved and "红河人力资源有限公司" in approved
    assert "800.01" in approved  # 2 x 350 + 100.01 to advance
    assert "400.01" in approved and "400.00" in approved  # the seats' shares, leftover fen first
    assert "requested" in approved

    refused(cli(hr, "batch", "depart", batch, "--on", on), "ADVANCE_NOT_PAID")
    desk.pay_advance(batch)
    departed = reply(cli(hr, "batch", "depart", batch, "--on", on, "--no-show", people[1],
                         "--json"))  # fmt: skip
    assert {m["person_id"]: m["status"] for m in departed["members"]} == {
        people[0]: "departed", people[1]: "no_show", people[2]: "declined",
    }  # fmt: skip
    assert departed["advance"]["status"] == "paid"
    arrived = ok(cli(hr, "batch", "arrive", batch, "--on", on)).output
    assert "batch arrived" in arrived and "no_show" in arrived

    listed = ok(cli(hr, "batch", "list", "--status", "arrived")).output
    assert batch in listed and "1 arrived, 1 no_show, 1 declined" in " ".join(listed.split())
    assert reply(cli(hr, "batch", "list", "--order", order_id, "--status", "forming",
                     "--json")) == {"batches": []}  # fmt: skip
    shown = reply(cli(agent, "batch", "show", batch, "--json"))
    assert (shown["status"], shown["arrived_on"]) == ("arrived", on)


def test_a_seat_changes_hands_the_advance_is_not_asked_twice_and_a_batch_is_cancelled(cli, desk):
    hr, coop = as_(desk.hr), as_(desk.coop)
    people = desk.people(3)
    batch = desk.form(desk.order(head_count=2), people[:2], [
        {"kind": "transport", "per": "person", "amount": "200.00"}
    ])["batch_id"]  # fmt: skip
    desk.answer(batch, people[:2])
    desk.approve(batch)

    out, newcomer = people[0]["person_id"], people[2]["person_id"]
    substituted = ok(cli(hr, "batch", "substitute", batch, "--out", out, "--in", newcomer,
                         "--reason", "家中有事", "--on", today().isoformat())).output  # fmt: skip
    assert "substitutions" in substituted and "家中有事" in substituted
    assert desk.registry.calls[-1][0] == [newcomer]  # registry checked the newcomer's age

    refused(cli(coop, "batch", "advance", batch), "ADVANCE_NOT_REPEATABLE")
    # Not while the advance may still be paid: only once the signatories have rejected it.
    refused(cli(hr, "batch", "cancel", batch, "--reason", "用工单位取消"), "ADVANCE_PENDING")
    desk.fund_event("outflow_proposed", batch, "p-1")
    desk.fund_event("outflow_rejected", batch, "p-1", status="rejected")
    cancelled = reply(cli(hr, "batch", "cancel", batch, "--reason", "用工单位取消", "--json"))
    assert (cancelled["status"], cancelled["cancelled_reason"]) == ("cancelled", "用工单位取消")
    refused(cli(hr, "batch", "show", "no-such-batch"), "BATCH_NOT_FOUND")


def test_someone_turned_away_on_arrival_is_released(cli, desk):
    hr = as_(desk.hr)
    batch = desk.arrived_batch(2)
    turned_away = batch["members"][1]["person_id"]
    released = ok(cli(hr, "batch", "release", batch["batch_id"], turned_away, "--reason",
                      "体检不合格")).output  # fmt: skip
    assert "released from the batch" in released and "体检不合格" in released
    shown = reply(cli(hr, "batch", "show", batch["batch_id"], "--json"))
    assert [m["status"] for m in shown["members"]] == ["arrived", "released"]
    refused(cli(hr, "batch", "release", batch["batch_id"], turned_away, "--reason", "x"),
            "NOT_IN_BATCH")  # fmt: skip
    result = cli(hr, "batch", "release", batch["batch_id"], turned_away)
    assert result.exit_code == 2 and "--reason" in result.output


def test_a_bad_cost_is_refused_before_anything_is_sent(cli):
    stack = Workers()
    result = cli(stack, "batch", "form", "order-1", "--cost", "transport:each:300")
    assert result.exit_code == 2 and "KIND:PER:YUAN" in result.output
    assert stack.calls == []
    result = cli(stack, "batch", "answer", "b", "p", "maybe", "--on", "2026-12-01")
    assert result.exit_code == 2 and stack.calls == []


def test_the_batch_placement_and_degree_commands_are_all_there(cli):
    shown = ok(cli(Workers(), "batch", "--help")).output
    for command in ("form", "invite", "answer", "costs", "approve", "substitute", "advance",
                    "depart", "arrive", "release", "cancel", "show", "list"):  # fmt: skip
        assert command in shown
    shown = ok(cli(Workers(), "placement", "--help")).output
    for command in ("start", "follow-up", "end", "show", "list", "due"):
        assert command in shown
    assert "--by" in ok(cli(Workers(), "degree", "--help")).output
