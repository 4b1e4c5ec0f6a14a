"""`sanbao placement` and `sanbao degree` against dispatch's real entrypoints on the test's own
database, the business clock moved by the kit's clock: two arrived labourers placed; the
follow-up refused before it falls due, listed as due a month on, recorded; a return; the degree
of organisation as a table and as JSON; refusals as one line with the service's code."""

from __future__ import annotations

import json
from datetime import datetime, time
from types import SimpleNamespace

import pytest

from batch_support import BatchDesk
from cli_support import Workers
from dispatch.placements.schedule import add_months
from dispatch_support import HR_ORG, Dispatch, today
from sanbao_common import clock
from sanbao_common.db import create_database_engine

DIRECTORY = [{"org_id": HR_ORG, "name": "红河人力资源有限公司"}]


def as_(worker) -> Workers:
    registry = SimpleNamespace(list_organisations=lambda kind=None, under=None: DIRECTORY)
    return Workers(dispatch=worker, registry=registry)


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def reply(result) -> dict:
    return json.loads(ok(result).output)


def refused(result, code: str) -> None:
    assert result.exit_code == 1, result.output
    assert f"error [{code}] " in result.output and "Traceback" not in result.output


@pytest.fixture
def desk(databases):
    clock.set(datetime.combine(today(), time(12), clock.COUNTY_TIME))
    engine = create_database_engine(databases["dispatch"])
    yield BatchDesk(Dispatch(engine))
    engine.dispose()


def test_two_placements_followed_up_a_return_and_the_degree(cli, desk):
    hr, coop = as_(desk.hr), as_(desk.coop)
    batch = desk.arrived_batch(2)
    kept, going_home = (m["person_id"] for m in batch["members"])
    day0 = today()

    placed = reply(cli(hr, "placement", "start", batch["batch_id"], kept, "--start",
                       day0.isoformat(), "--wage", "5,000", "--json"))  # fmt: skip
    assert (placed["wage_fen"], placed["status"], placed["agreement_version"]) == (
        500000, "active", 1,
    )  # fmt: skip
    shown = ok(cli(hr, "placement", "start", batch["batch_id"], going_home, "--start",
                   day0.isoformat(), "--wage", "4800.00")).output  # fmt: skip
    assert "placement started" in shown and "4,800.00" in shown
    due_on = add_months(day0, 1).isoformat()
    assert due_on in shown  # the follow-up schedule
    other = next(line for line in shown.splitlines() if "placement_id" in line)
    returning = other.split("│")[2].strip()

    follow_up = ("placement", "follow-up", placed["placement_id"], "--month", "1", "--outcome",
                 "employed", "--wage", "5200.00")  # fmt: skip
    refused(cli(hr, *follow_up, "--on", day0.isoformat()), "FOLLOW_UP_NOT_DUE")
    assert reply(cli(hr, "placement", "due", "--json"))["follow_ups"] == []

    clock.set(datetime.combine(add_months(day0, 1), time(12), clock.COUNTY_TIME))
    due = ok(cli(hr, "placement", "due")).output
    assert f"follow-ups due on {due_on} (2)" in due
    assert len([row for row in due.splitlines() if "│" in row and due_on in row]) == 2
    assert reply(cli(hr, "placement", "due", "--overdue", "--json"))["follow_ups"] == []
    followed = reply(cli(hr, *follow_up, "--on", due_on, "--note", "电话回访", "--json"))
    assert followed["current_wage_fen"] == 520000
    assert followed["follow_ups"][0]["note"] == "电话回访"

    ended = ok(cli(coop, "placement", "end", returning, "--on", due_on, "--reason", "returned",
                   "--note", "回乡照顾老人")).output  # fmt: skip
    assert "placement ended: returned" in ended and "回乡照顾老人" in ended
    refused(cli(hr, "placement", "follow-up", returning, "--month", "1", "--outcome",
                "not_reached", "--on", due_on), "PLACEMENT_ENDED")  # fmt: skip
    refused(cli(hr, "placement", "show", "no-such-placement"), "PLACEMENT_NOT_FOUND")

    listed = ok(cli(hr, "placement", "list", "--status", "active")).output
    assert placed["placement_id"] in listed and returning not in listed
    assert len(reply(cli(hr, "placement", "list", "--batch", batch["batch_id"], "--json"))[
        "placements"]) == 2  # fmt: skip

    degree = reply(cli(hr, "degree", "--json"))
    assert degree["as_of"] == due_on
    overall = degree["total"]["overall"]
    assert (overall["labourers"], overall["away"], overall["organised_away"]) == (2, 1, 1)
    table = ok(cli(hr, "degree", "--by", "village")).output
    assert "100.00%" in table and "(total)" in table
    before = reply(cli(hr, "degree", "--as-of", day0.isoformat(), "--json"))["total"]
    assert before["overall"]["organised_away"] == 2


def test_bad_arguments_are_refused_before_anything_is_sent(cli):
    stack = Workers()
    for args in (
        ("placement", "follow-up", "p", "--month", "2", "--outcome", "employed", "--on",
         "2026-12-01"),
        ("placement", "end", "p", "--on", "2026-12-01", "--reason", "bored"),
        ("placement", "start", "b", "p", "--start", "1 December", "--wage", "5000"),
        ("degree", "--by", "province"),
    ):  # fmt: skip
        result = cli(stack, *args)
        assert result.exit_code == 2, result.output
    assert stack.calls == []
