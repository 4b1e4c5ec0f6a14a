"""Dispatch part 2 end to end, through `sanbao` on a running stack, after the steps of
test_fund.py (seals, signatories, the sealed agreement and its joint account: `joint_account`):
labourers registered; the HR company opens an order and forms a batch; each labourer's answer
recorded by the cooperative; the county cooperative's operator approves it (registry checks the
ages); departure refused until the advance the fund proposed on the approver's behalf is signed
by one signatory of each organisation; departure with a no-show, whose share becomes a claim in
the fund; arrival and placements; the business clock moved a month on (every service reads it
from the file SANBAO_CLOCK_FILE names); the 1-month follow-up due and recorded; a return; and
the degree of organisation `sanbao degree` reports, against a count made here by hand from the
people this test created. Then settlement (settlement_steps.py: the village's cooperatives, agent
and rules prepared before the placements): the month closed, the HR company's statement
acknowledged and paid in two credits, each distributed and dual-signed, the village's income and
its agent's reward."""

from __future__ import annotations

import json
import re
import time
from datetime import date, datetime
from datetime import time as clock_time

import pytest
import requests
from e2e.joint_account import Parties, retried, value
from e2e.settlement_steps import Settlement

from dispatch.placements.schedule import add_months
from sanbao_common.clock import COUNTY_TIME
from sanbao_common.sample_villages import sample_villages

pytestmark = pytest.mark.e2e

HR, COOP, FINANCE = "zhou.sign", "he.coop", "li.fin"  # he.coop approves: not a signatory
# name -> poor, where they work now (the four clears), what becomes of them here
PEOPLE = {
    "李秀英": (True, "在家务农", "placed"),  # followed up at 1 month, still there
    "王芳": (False, "在家务农", "returned"),  # placed, then comes home
    "张建国": (True, "在家务农", "no_show"),  # confirmed and approved, never left
    "赵丽": (False, "在家务农", "declined"),
    "刘洋": (False, "省外务工", "self_arranged"),  # works in Guangdong on their own
}
TRANSPORT_FEN, MEALS_FEN = 35000, 10000  # per person; per batch (split among the seats)


def noon(day: date) -> datetime:
    return datetime.combine(day, clock_time(12), COUNTY_TIME)


def eventually(check, within=30, what="the stack to catch up"):
    """Services learn from each other's events: poll `check` until it returns something."""
    deadline = time.monotonic() + within
    while (found := check()) is None or found is False:
        assert time.monotonic() < deadline, f"waited {within} s for {what}"
        time.sleep(0.5)
    return found


def refused(parties: Parties, code: str, *args, home=None) -> str:
    """`sanbao ARGS` fails with one line `error [CODE] ...` and exit code 1, no traceback."""
    result = parties.run(*args, home=home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith(f"error [{code}] "), result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_a_batch_is_sent_placed_followed_up_and_counted(signed_in_stack, sample, tmp_path):
    stack = signed_in_stack
    day0 = datetime.now(COUNTY_TIME).date()
    stack.set_clock(noon(day0))
    parties = Parties(stack, tmp_path).set_up()
    stack.person(COOP, parties.orgs["county"], "coop_operator", name="何丽华")
    settlement = Settlement(parties).prepare(day0)

    def js(*args, home=None) -> dict:
        return json.loads(parties.ok(*args, "--json", home=parties.home(home)))

    people, villages = register_people(parties, sample)
    settlement.assign_agent(people["李秀英"])
    order = open_order(parties, day0)
    batch = form_answer_and_approve(parties, js, order, people, day0)
    pay_the_advance(parties, js, batch, day0)
    depart_and_arrive(parties, js, batch, people, day0)
    placements = {
        name: js("placement", "start", batch, people[name], "--start", day0.isoformat(),
                 "--wage", "5000.00", home=HR)
        for name, (_, _, fate) in PEOPLE.items() if fate in ("placed", "returned")
    }  # fmt: skip
    placed = placements["李秀英"]
    assert (placed["agreement_version"], placed["poor"], placed["status"]) == (1, True, "active")
    assert placed["township_code"] == villages["李秀英"][:9]
    refused(parties, "NOT_IN_BATCH", "placement", "start", batch, people["张建国"], "--start",
            day0.isoformat(), "--wage", "5000.00", home=parties.home(HR))  # fmt: skip

    day1 = add_months(day0, 1)
    stack.set_clock(noon(day1))  # a month on, for every service
    follow_up_and_return(parties, js, placements, day1)
    check_the_degree(parties, js, people, villages, day1)
    settlement.settle(placements, day1)


def register_people(parties: Parties, sample) -> tuple[dict, dict]:
    """PEOPLE registered by the county's administrator: name -> person id, name -> village
    (刘洋 in another township)."""
    villages = sample_villages()
    home = villages[0]["code"]
    away = next(v["code"] for v in villages if v["code"][:9] != home[:9])
    people, where = {}, {}
    for n, (name, (poor, employment, _)) in enumerate(PEOPLE.items(), start=1):
        where[name] = away if name == "刘洋" else home
        registered = parties.ok("labourer", "register", "--name", name, "--id-number",
                                sample.id_number(birth_year_range=(1985, 2000)), "--village",
                                where[name])  # fmt: skip
        people[name] = value(registered, "person id")
        place = ["--set", "employment_place=广东省"] if employment == "省外务工" else []
        parties.ok("labourer", "update", people[name], "--set", f"poor={'是' if poor else '否'}",
                   "--set", f"household_number={n:03d}", "--set", "relation_to_head=户主",
                   *place, "--set", f"employment_status={employment}", "--set",
                   "intention_scope=省外", "--set", "intention_industries=电子")  # fmt: skip
    return people, where


def open_order(parties: Parties, day0: date) -> str:
    """The HR company's order for four, 18 to 50 years old, outside the province."""
    home = parties.home(HR)
    employer = parties.ok("employer", "add", "--name", "东莞市长安电子科技有限公司",
                          "--credit-code", "91350100M000100Y43", "--scope", "省外", "--place",
                          "广东省东莞市", "--industry", "C39", home=home)  # fmt: skip
    opened = parties.ok("order", "open", "--agreement", parties.account, "--employer",
                        value(employer, "employer_id"), "--title", "电子厂普工",
                        "--head-count", "4", "--wage-min", "4500", "--wage-max", "6000",
                        "--age-min", "18", "--age-max", "50", "--starts-on",
                        day0.isoformat(), home=home)  # fmt: skip
    return value(opened, "order_id")


def form_answer_and_approve(parties, js, order: str, people: dict, day0: date) -> str:
    """The HR company forms the batch (once the pool has the people) and invites one more; the
    cooperative records the answers; the HR company may not approve; the cooperative does."""
    invited = [people[n] for n, (_, _, fate) in PEOPLE.items() if fate != "self_arranged"]
    forming = ("batch", "form", order, *(f"--person={p}" for p in invited[:3]), "--cost",
               f"transport:person:{TRANSPORT_FEN / 100:.2f}", "--cost",
               f"meals:batch:{MEALS_FEN / 100:.2f}", "--json")  # fmt: skip
    formed = retried(lambda: parties.run(*forming, home=parties.home(HR)))
    assert formed.returncode == 0, formed.stderr  # the pool learns of people by event
    batch = json.loads(formed.stdout)["batch_id"]
    js("batch", "invite", batch, "--person", invited[3], home=HR)
    refused(parties, "ALREADY_BOOKED", "batch", "form", order, "--person", invited[0],
            home=parties.home(HR))  # fmt: skip
    for name, (_, _, fate) in PEOPLE.items():
        if fate != "self_arranged":
            answer = "declined" if fate == "declined" else "confirmed"
            js("batch", "answer", batch, people[name], answer, "--on", day0.isoformat(),
               home=COOP)  # fmt: skip
    refused(parties, "FORBIDDEN", "batch", "approve", batch, home=parties.home(HR))
    approved = js("batch", "approve", batch, home=COOP)
    assert approved["status"] == "approved"
    seats = {m["person_id"]: m for m in approved["members"] if m["seat"] is not None}
    assert [seats[p]["seat"] for p in invited[:3]] == [1, 2, 3]
    assert approved["advance_fen"] == 3 * TRANSPORT_FEN + MEALS_FEN
    assert sum(m["share_fen"] for m in seats.values()) == approved["advance_fen"]
    shown = parties.ok("batch", "show", batch, home=parties.home(HR))
    assert "赵丽" in shown and "declined" in shown and "1,150.00" in shown
    return batch


def pay_the_advance(parties: Parties, js, batch: str, day0: date) -> None:
    """Departure waits for the advance; the fund proposed it on the approver's behalf; one
    signatory of each organisation signs it; dispatch learns it was paid."""
    refused(parties, "ADVANCE_NOT_PAID", "batch", "depart", batch, "--on", day0.isoformat(),
            home=parties.home(HR))  # fmt: skip

    def proposed():
        advance = js("batch", "show", batch, home=HR)["advance"] or {}
        return advance.get("proposal_id")

    proposal = eventually(proposed, what="the fund's proposal of the advance")
    for signatory in ("chen.sign", "zhou.sign"):
        signed = parties.sign(proposal, signatory)
        assert signed.returncode == 0, signed.stderr
    assert "paid" in signed.stdout
    eventually(lambda: (js("batch", "show", batch, home=HR)["advance"] or {}).get("status")
               == "paid", what="dispatch to learn the advance was paid")  # fmt: skip


def depart_and_arrive(parties: Parties, js, batch: str, people: dict, day0: date) -> None:
    """The batch leaves without 张建国, whose share of the advance the fund then claims back."""
    no_show = people["张建国"]
    departed = js("batch", "depart", batch, "--on", day0.isoformat(), "--no-show", no_show,
                  home=HR)  # fmt: skip
    statuses = {m["person_id"]: m["status"] for m in departed["members"]}
    assert statuses[no_show] == "no_show" and statuses[people["李秀英"]] == "departed"
    share = next(m["share_fen"] for m in departed["members"] if m["person_id"] == no_show)

    def claimed():
        found = js("fund", "claims", parties.account, home=FINANCE)["claims"]
        return next((c for c in found if c["person_id"] == no_show), None)

    claim = eventually(claimed, what="the fund's claim on the no-show's share")
    assert (claim["outstanding_fen"], claim["status"]) == (share, "open")
    assert "张建国" in parties.ok("fund", "claims", parties.account, "--open",
                                  home=parties.home(FINANCE))  # fmt: skip
    arrived = js("batch", "arrive", batch, "--on", day0.isoformat(), home=HR)
    assert arrived["status"] == "arrived"


def follow_up_and_return(parties: Parties, js, placements: dict, day1: date) -> None:
    """A month on, both follow-ups are due; 李秀英 is reached at work, 王芳 has come home."""
    due = js("placement", "due", home=HR)["follow_ups"]
    assert sorted((f["name"], f["month"], f["due_on"]) for f in due) == [
        ("李秀英", 1, day1.isoformat()), ("王芳", 1, day1.isoformat()),
    ]  # fmt: skip
    followed = js("placement", "follow-up", placements["李秀英"]["placement_id"], "--month", "1",
                  "--outcome", "employed", "--wage", "5200.00", "--on", day1.isoformat(),
                  home=HR)  # fmt: skip
    assert followed["current_wage_fen"] == 520000
    returned = placements["王芳"]["placement_id"]
    ended = js("placement", "end", returned, "--on", day1.isoformat(), "--reason", "returned",
               home=COOP)  # fmt: skip
    assert (ended["status"], ended["end_reason"]) == ("ended", "returned")
    refused(parties, "PLACEMENT_ENDED", "placement", "follow-up", returned, "--month", "1",
            "--outcome", "not_reached", "--on", day1.isoformat(),
            home=parties.home(HR))  # fmt: skip
    assert js("placement", "due", home=HR)["follow_ups"] == []


def hand_count(people: dict, villages: dict, area) -> dict:
    """area -> {"overall"|"poor" -> counts}, counted from what this test did to each person:
    organised away = still placed (outside the province); self-arranged away = working away by
    the four clears; each person once."""
    found: dict = {}
    for name, (poor, employment, fate) in PEOPLE.items():
        organised = fate == "placed"
        self_arranged = not organised and employment == "省外务工"
        groups = found.setdefault(area(villages[name]), {"overall": {}, "poor": {}})
        for group in ("overall", "poor") if poor else ("overall",):
            counts = groups[group]
            for field, add in (("labourers", 1), ("organised_away", organised),
                               ("self_arranged_away", self_arranged),
                               ("away", organised or self_arranged)):  # fmt: skip
                counts[field] = counts.get(field, 0) + int(add)
    return found


def figures(area: dict) -> dict:
    return {
        group: {
            k: area[group][k] for k in ("labourers", "organised_away", "self_arranged_away", "away")
        }  # fmt: skip
        for group in ("overall", "poor")
    }


def check_the_degree(parties: Parties, js, people: dict, villages: dict, day1: date) -> None:
    """`sanbao degree` as of the clock's today, by county and by township, equals the count by
    hand (once registry set 王芳's four clears back and dispatch learnt of it)."""
    county = parties.stack.env["COUNTY"]
    expected = figures_of(hand_count(people, villages, lambda village: county)[county])

    def matches():
        reply = js("degree", home=HR)
        return reply if figures(reply["total"]) == expected else None

    reply = eventually(matches, what="the degree to count what happened")
    total = reply["total"]["overall"]
    assert reply["as_of"] == day1.isoformat()
    assert total["degree_percent"] == f"{100 * total['organised_away'] / total['away']:.2f}"
    assert total["organised_in_county"] == 0
    assert reply["total"]["poor"]["degree_percent"] == "100.00"  # 李秀英; 张建国 stayed home
    by_township = js("degree", "--by", "township", home=COOP)
    by_hand = hand_count(people, villages, lambda village: village[:9])
    assert {a["code"]: figures(a) for a in by_township["areas"]} == {
        code: figures_of(counts) for code, counts in by_hand.items()
    }
    shown = parties.ok("degree", "--by", "township", home=parties.home(COOP))
    assert f"{total['degree_percent']}%" in shown and "(total)" in shown
    # The same figures as Prometheus gauges, refreshed at each scrape.
    scraped = requests.get(parties.stack.url("dispatch", "/metrics"), timeout=5).text
    for name in ("organised_away", "self_arranged_away"):
        found = gauge(scraped, f"sanbao_dispatch_{name}_labourers", level="county", area=county,
                      group="overall")  # fmt: skip
        assert found == total[name], (name, found)
    assert parties.stack.metric("dispatch", "sanbao_dispatch_placements_active") == 1


def gauge(scraped: str, name: str, **labels) -> float | None:
    """The value of the gauge `name` with exactly `labels` in a Prometheus scrape."""
    for line in scraped.splitlines():
        found = re.fullmatch(r"([a-z_]+)\{(.*)\} (\S+)", line)
        if found and found[1] == name and dict(re.findall(r'(\w+)="([^"]*)"', found[2])) == labels:
            return float(found[3])
    return None


def figures_of(counts: dict) -> dict:
    empty = {"labourers": 0, "organised_away": 0, "self_arranged_away": 0, "away": 0}
    return {group: {**empty, **counts.get(group, {})} for group in ("overall", "poor")}
