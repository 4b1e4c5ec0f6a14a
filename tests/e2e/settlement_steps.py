"""Settlement end to end, the steps test_dispatch.py takes before and after its placements
(issue 18). `prepare`: the county's administrator registers the home village's township and
village cooperatives with their bank accounts (the fund pays organisations only there; the
county cooperative's too), an agent of a village group and two operators of the village
cooperative; the agent is 李秀英's before her placement; the county's agents' reward rule and
a policy subsidy rule (the finance bureau pays it). `settle`: runs of the month holding the
follow-ups give the same fen; once it has ended, the county cooperative's operator closes it;
the HR company's statement, line by line per labourer (the agreement's 50.00 a month split
20/30/50 county/township/village), agrees with the village's total and the period's; the HR
company acknowledges it and the fund records the receivable (and the bureau's subsidy claim);
the HR company pays a third, then the rest; each payment's distribution (pro rata, floored; the
rest with the last payment) is signed by one signatory of each organisation; the village's books
hold exactly its share; a use of it too large is refused, the fitting one approved by the other
operator only; the agent's reward statement, as the agent sees it (theirs only; whether the
village has been paid yet), written as CSV and XLSX with text cells; and the totals reconcile
with the fund's."""

from __future__ import annotations

import csv
import json
import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time

from e2e.conftest import table_value
from e2e.joint_account import Parties, value

from dispatch.placements.schedule import add_months
from sanbao_common.clock import COUNTY_TIME
from sanbao_common.sample_villages import sample_villages

HR, COOP, FINANCE = "zhou.sign", "he.coop", "li.fin"
AGENT, RECORDER, APPROVER = "yang.agent", "wu.village", "sun.village"
# The agreement (joint_account.py): 50.00 a month per labourer placed, 20/30/50.
MONTH_FEN = 5000
REWARD_FEN, SUBSIDY_FEN = 3000, 50000  # the county's rules set here
FIRST_PAYMENT_FEN = 3333  # a third of the statement: each payee's share floored
BANKS = {
    "county": ("中国工商银行个旧支行", "个旧市劳务合作总社", "2505030109024560001"),
    "township": ("中国农业银行卡房支行", "卡房镇劳务合作社", "2420010104000012345"),
    "village": ("个旧市农村信用合作联社卡房分社", "大寨村劳务合作社", "6230580000012345678"),
}


def eventually(check, within=30, what="the stack to catch up"):
    """Poll `check` until it returns something (services learn from each other's events)."""
    deadline = time.monotonic() + within
    while (found := check()) is None or found is False:
        assert time.monotonic() < deadline, f"waited {within} s for {what}"
        time.sleep(0.5)
    return found


def noon(day: date) -> datetime:
    return datetime.combine(day, clock_time(12), COUNTY_TIME)


@dataclass
class Settlement:
    """What the settlement steps share: the parties, the cooperatives and people made here."""

    parties: Parties
    orgs: dict = field(default_factory=dict)  # county|township|village|bureau -> org id
    users: dict = field(default_factory=dict)  # username -> user id

    def text(self, *args, home: str | None = None) -> str:
        return self.parties.ok(*args, home=self.parties.home(home))

    def js(self, *args, home: str | None = None) -> dict:
        return json.loads(self.text(*args, "--json", home=home))

    def refused(self, code: str, *args, home: str | None = None) -> str:
        result = self.parties.run(*args, home=self.parties.home(home))
        assert result.returncode == 1, result.stdout + result.stderr
        assert result.stderr.startswith(f"error [{code}] "), result.stderr
        assert "Traceback" not in result.stderr
        return result.stderr

    # -- before the placements -----------------------------------------------------------------

    def prepare(self, day0: date) -> Settlement:
        """The directory's cooperatives of the home village (with bank accounts), the village's
        agent and operators, the county's reward and subsidy rules."""
        code, self.orgs["county"] = sample_villages()[0]["code"], self.parties.orgs["county"]
        for kind, party, parent, name, division in (
            ("township_coop", "township", "county", "卡房镇劳务合作社", code[:9]),
            ("village_coop", "village", "township", "大寨村劳务合作社", code),
        ):  # fmt: skip
            registered = self.js("org", "register", "--kind", kind, "--name", name, "--code",
                                 division, "--parent", self.orgs[parent])  # fmt: skip
            self.orgs[party] = registered["org_id"]
        for party, (bank, name, number) in BANKS.items():
            self.parties.ok("org", "bank-account", self.orgs[party], "--bank-name", bank,
                            "--account-name", name, "--account-number", number, "--reason",
                            "收益分配账户")  # fmt: skip
        group = self.js("group", "register", "--village", self.orgs["village"], "--number", "3",
                        "--name", "第三村民小组")  # fmt: skip
        self.person(AGENT, "agent", "杨光明", "--group", group["group_code"])
        self.person(RECORDER, "coop_operator", "吴建华")
        self.person(APPROVER, "coop_operator", "孙丽萍")
        self.orgs["bureau"] = self.parties.stack.registrar_org  # the county's finance bureau
        self.rules(day0)
        return self

    def person(self, username: str, role: str, name: str, *extra: str) -> None:
        """A person of the village cooperative, signed in with a home of their own (as
        `RunningStack.person`, which has no --group for an agent)."""
        stack = self.parties.stack
        created = stack.ok_as(None, "user", "create", "--username", username, "--name", name,
                              "--org", self.orgs["village"], "--role", role, *extra)  # fmt: skip
        home = str(stack.logs / "homes" / username)
        os.makedirs(home)
        one_time, password = table_value(created, "one_time_password"), f"{username} long secret"
        self.users[username] = table_value(created, "user_id")
        stack.homes[username] = (home, password, self.users[username])
        stack.ok_as(username, "login", username, "--password-stdin", stdin=one_time)
        stack.ok_as(username, "password", "change", "--stdin", stdin=f"{one_time}\n{password}\n")
        stack.sign_in(username)

    def rules(self, day0: date) -> None:
        """The county's reward rule (30.00 per labourer still at work a month on) and a
        per-head subsidy the bureau pays for each registered-poor labourer placed a month."""
        reward = self.js("settlement", "reward-rule", "set", "--per-labourer", "30.00",
                         "--after-months", "1", "--from", day0.isoformat())  # fmt: skip
        assert (reward["per_labourer_fen"], reward["village_code"]) == (REWARD_FEN, None)
        month = (add_months(day0, 1) - day0).days  # due with the month's follow-up
        subsidy = self.js("settlement", "subsidy-rule", "set", "--payer", self.orgs["bureau"],
                          "--payer-name", "个旧市财政局", "--per-head", "500.00",
                          "--qualifying-days", str(month), "--from",
                          day0.isoformat())  # fmt: skip
        assert subsidy["per_head_fen"] == SUBSIDY_FEN

    def assign_agent(self, person_id: str) -> None:
        """李秀英 is the agent's: registry's roster names the agent by username."""
        self.parties.ok("labourer", "update", person_id, "--set", "village_group=3", "--set",
                        f"agent={AGENT}")  # fmt: skip

    # -- after the placements ------------------------------------------------------------------

    def expected_lines(self) -> list[tuple]:
        """(name, kind, party, fen, payee) of every line the month holds, counted by hand: each
        labourer's first month (50.00: 20/30/50), 李秀英's subsidy (registered-poor: 500.00,
        60/40 cooperatives/HR company, the cooperatives' 300.00 by 30/30/40) and her agent's
        reward."""
        payee = {**self.orgs, "hr_company": self.parties.orgs["hr"], "agent": self.users[AGENT]}
        month = {"county": 1000, "township": 1500, "village": 2500}
        subsidy = {"county": 9000, "township": 9000, "village": 12000, "hr_company": 20000}
        lines = [(name, "service_revenue", party, fen, payee[party])
                 for name in ("李秀英", "王芳") for party, fen in month.items()]  # fmt: skip
        lines += [("李秀英", "policy_subsidy", p, fen, payee[p]) for p, fen in subsidy.items()]
        return [*lines, ("李秀英", "agent_reward", "agent", REWARD_FEN, payee["agent"])]

    def settle(self, placements: dict, day1: date) -> None:
        """The month holding the follow-ups closed, its statement acknowledged and paid in two
        credits, each distributed and dual-signed, the village's income used."""
        assert placements["李秀英"]["agent_id"] == self.users[AGENT]  # the pool's, at the start
        period = day1.strftime("%Y-%m")
        expected = self.expected_lines()
        closed = self.close(period, expected)
        statement = self.check_statement(period, expected, day1, closed)
        self.agent_statement(period, received=0)
        receivable = self.acknowledge(period, statement)
        paid = self.pay(statement, receivable, 0, FIRST_PAYMENT_FEN, f"CCB-{period}-101")
        paid += self.pay(statement, receivable, FIRST_PAYMENT_FEN,
                         2 * MONTH_FEN - FIRST_PAYMENT_FEN, f"CCB-{period}-102")  # fmt: skip
        assert paid == 2 * MONTH_FEN  # the distributions add up to what the HR company paid
        village_income = sum(
            f for _, k, p, f, _ in expected if (k, p) == ("service_revenue", "village")
        )
        self.use_the_income(period, village_income)
        self.agent_statement(period, received=village_income)
        self.reconcile(period, statement, receivable)

    def close(self, period: str, expected: list) -> dict:
        """Run while the month lasts (the same fen each run; not closable yet), then closed by
        the county cooperative's operator once it has ended."""

        def ran():
            found = self.js("settlement", "run", period, home=COOP)
            return found if found["rows"] == len(expected) else None

        first = eventually(ran, what="settlement to learn of the placements")
        again = self.text("settlement", "run", period, home=COOP)
        assert value(again, "runs") == str(first["runs"] + 1)  # the same fen again
        assert value(again, "total (yuan)") == f"{first['total_fen'] / 100:,.2f}"
        self.refused("PERIOD_NOT_ENDED", "settlement", "close", period, home=COOP)
        later = add_months(date.fromisoformat(f"{period}-01"), 1)
        self.refused("PERIOD_IN_FUTURE", "settlement", "run", later.strftime("%Y-%m"), home=COOP)
        self.parties.stack.set_clock(noon(later))  # the month has ended
        closed = self.js("settlement", "close", period, home=COOP)
        assert closed["status"] == "closed" and closed["closed_by"]["username"] == COOP
        self.refused("PERIOD_CLOSED", "settlement", "run", period, home=COOP)
        by_party: dict = {}
        for _, _, party, fen, _ in expected:
            by_party[party] = by_party.get(party, 0) + fen
        assert closed["totals"]["by_party"] == by_party
        assert closed["totals"]["by_kind"] == {
            "service_revenue": 2 * MONTH_FEN, "policy_subsidy": SUBSIDY_FEN,
            "agent_reward": REWARD_FEN,
        }  # fmt: skip
        assert closed["total_fen"] == sum(fen for *_, fen, _ in expected)
        assert closed["pending"]["count"] == 0 and closed["deferred"] == []
        return closed

    def check_statement(self, period: str, expected: list, day1: date, closed: dict) -> str:
        """The HR company sees one statement, its labourers' lines as the agreement splits
        them; the labourers' lines, the village's total and the period's agree: its id."""
        listed = self.js("settlement", "statements", "--period", period, home=HR)["statements"]
        assert [(s["kind"], s["status"], s["total_fen"]) for s in listed] == [
            ("service_revenue", "issued", 2 * MONTH_FEN)
        ]  # the bureau's subsidy statement is not the HR company's
        statement = self.js("settlement", "statement", listed[0]["statement_id"], home=HR)
        lines = sorted(
            (who["name"], line["item_key"].split(":")[-1], line["party"], line["amount_fen"],
             line["payee_id"], line["due_on"], line["follow_up_month"], line["rule_version"])
            for who in statement["labourers"]
            for line in who["lines"]
        )  # fmt: skip
        assert lines == sorted(
            (name, "m1", party, fen, payee, day1.isoformat(), 1 if name == "李秀英" else None, 1)
            for name, kind, party, fen, payee in expected
            if kind == "service_revenue"
        )  # 王芳 came home: her first month earned, no follow-up recorded
        for who in statement["labourers"]:
            assert who["amount_fen"] == sum(line["amount_fen"] for line in who["lines"])
            assert who["amount_fen"] == MONTH_FEN and "*" in who["id_number_masked"]
        assert statement["shown_fen"] == statement["total_fen"] == 2 * MONTH_FEN
        village = self.js("settlement", "statement-of", "cooperative", self.orgs["village"],
                          "--period", period, home=RECORDER)  # fmt: skip
        assert village["totals_by_kind"] == {
            kind: sum(f for _, k, p, f, _ in expected if (k, p) == (kind, "village"))
            for kind in ("service_revenue", "policy_subsidy")
        }
        assert village["total_fen"] == sum(f for _, _, p, f, _ in expected if p == "village")
        assert {s["kind"]: s["total_fen"] for s in closed["statements"]} == {
            "service_revenue": statement["total_fen"], "policy_subsidy": SUBSIDY_FEN,
        }  # fmt: skip
        return statement["statement_id"]

    def acknowledge(self, period: str, statement: str) -> dict:
        """The HR company acknowledges, once; the fund records the receivable, once, beside the
        bureau's subsidy claimed at close: the receivable."""
        acknowledged = self.js("settlement", "acknowledge", statement, home=HR)
        assert (acknowledged["status"], acknowledged["acknowledged_fen"]) == (
            "acknowledged", 2 * MONTH_FEN,
        )  # fmt: skip
        self.refused("STATEMENT_ALREADY_ACKNOWLEDGED", "settlement", "acknowledge", statement,
                     home=HR)  # fmt: skip
        account = self.parties.account

        def recorded():
            found = self.js("fund", "receivables", account, "--period", period, home=FINANCE)
            by_kind = {r["kind"]: r for r in found["receivables"]}
            return by_kind if len(found["receivables"]) == len(by_kind) == 2 else None

        by_kind = eventually(recorded, what="the fund to record both receivables")
        owed, claimed = by_kind["service_revenue"], by_kind["policy_subsidy"]
        assert (owed["statement_ref"], owed["amount_fen"], owed["status"]) == (
            statement, 2 * MONTH_FEN, "open",
        )  # fmt: skip
        assert (claimed["amount_fen"], claimed["counterparty_name"]) == (
            SUBSIDY_FEN,
            "个旧市财政局",
        )
        return owed

    def pay(self, statement: str, receivable: dict, before: int, fen: int, bank_ref: str) -> int:
        """A bank credit from the HR company paying the receivable; settlement asks the fund to
        distribute it pro rata (each payee's cumulative share floored; all of it once paid in
        full); the signatories see each payee's bank account and sign: what was distributed."""
        self.parties.ok("fund", "inflow", self.parties.account, "--kind", "service_revenue",
                        "--amount", f"{fen / 100:.2f}", "--bank-ref", bank_ref, "--pays",
                        receivable["receivable_id"], home=self.parties.home(FINANCE))  # fmt: skip

        def proposed():
            found = self.js("settlement", "distribution", "list", "--statement", statement,
                            home=COOP)["distributions"]  # fmt: skip
            latest = [d for d in found if d["status"] != "paid"]
            return latest[0] if latest and latest[0]["proposal_id"] else None

        asked = eventually(proposed, what="the distribution's proposal")
        total, now = asked["receivable_fen"], asked["paid_fen"]
        assert (total, now) == (2 * MONTH_FEN, before + fen)
        whole = {party: sum(f for _, k, p, f, _ in self.expected_lines()
                            if (k, p) == ("service_revenue", party))
                 for party in ("county", "township", "village")}  # fmt: skip
        owed = {p: t * now // total - t * before // total for p, t in whole.items()}
        assert {line["payee_id"]: line["amount_fen"] for line in asked["lines"]} == {
            self.orgs[p]: owed[p] for p in owed
        }
        assert asked["amount_fen"] == sum(owed.values()) and asked["proposer"]["username"] == COOP
        signed = self.parties.sign(asked["proposal_id"], "chen.sign")
        assert signed.returncode == 0, signed.stderr
        assert BANKS["village"][2] in signed.stdout  # where the village's share goes
        signed = self.parties.sign(asked["proposal_id"], "zhou.sign")
        assert signed.returncode == 0 and "paid" in signed.stdout, signed.stderr

        def paid():
            shown = self.js("settlement", "distribution", "show", asked["distribution_id"],
                            home=COOP)  # fmt: skip
            return shown if shown["status"] == "paid" and shown["income_posted"] else None

        eventually(paid, what="settlement to learn the distribution was paid")
        if before:  # as the county cooperative reads it: payees by name
            shown = self.text("settlement", "distribution", "show", asked["distribution_id"],
                              home=COOP)  # fmt: skip
            assert "大寨村劳务合作社" in shown and value(shown, "status") == "paid"
        return asked["amount_fen"]

    def use_the_income(self, period: str, income: int) -> None:
        """The village's books hold exactly its share; one operator records the agent's reward
        (more than the bank holds is refused), only the other approves it."""
        village = self.orgs["village"]

        def books():
            found = self.js("settlement", "village-books", "show", village, home=RECORDER)
            return found if found["bank_fen"] == income else None

        found = eventually(books, what="the village's income")
        assert found["balances"]["distribution_income"] == income
        assert [e["kind"] for e in found["entries"]] == ["income", "income"]  # one per payment
        reward = ("settlement", "village-books", "record", "--use", "agent_rewards", "--reference",
                  f"大寨村委〔{period[:4]}〕2号", "--agent", self.users[AGENT], "--period", period,
                  "--amount")  # fmt: skip
        self.refused("VILLAGE_BALANCE_SHORT", *reward, f"{(income + 1) / 100:.2f}",
                     home=RECORDER)  # fmt: skip
        use = self.js(*reward, f"{REWARD_FEN / 100:.2f}", home=RECORDER)
        assert use["status"] == "pending"
        self.refused("VILLAGE_USE_SELF_APPROVAL", "settlement", "village-books", "approve",
                     use["use_id"], home=RECORDER)  # fmt: skip
        approved = self.js("settlement", "village-books", "approve", use["use_id"],
                           home=APPROVER)  # fmt: skip
        assert (approved["status"], approved["decided_by"]) == ("posted", f"user:{APPROVER}")
        after = self.text("settlement", "village-books", "show", village, home=APPROVER)
        assert value(after, "bank (yuan)") == f"{(income - REWARD_FEN) / 100:.2f}"
        assert "agent_rewards" in after and "posted" in after

    def agent_statement(self, period: str, received: int) -> None:
        """The agent's reward statement, as the agent reads it (theirs only): 李秀英 behind the
        30.00, whether the village has been paid yet; as CSV and XLSX, every cell text."""
        agent, of = self.users[AGENT], ("settlement", "statement-of", "agent")
        if not received:
            shown = self.text(*of, agent, "--period", period, home=AGENT)
            assert "李秀英" in shown and "30.00" in shown and "not yet distributed" in shown
            self.refused("OUT_OF_SCOPE", *of, self.users[RECORDER], "--period", period,
                         home=AGENT)  # fmt: skip
            return
        found = self.js(*of, agent, "--period", period, home=AGENT)
        assert (found["total_fen"], found["totals_by_kind"]) == (
            REWARD_FEN, {"agent_reward": REWARD_FEN},
        )  # fmt: skip
        assert [(w["name"], w["amount_fen"]) for w in found["labourers"]] == [("李秀英", 3000)]
        [village] = found["villages"]
        assert (village["village_org_id"], village["income_received_fen"]) == (
            self.orgs["village"], received,
        )  # fmt: skip
        assert village["rewards_paid_fen"] == REWARD_FEN
        out = self.parties.tmp_path / "agent-reward.csv"
        self.text(*of, agent, "--period", period, "--out", str(out), home=AGENT)
        rows = list(csv.reader(out.open(encoding="utf-8-sig")))
        assert ["total", "30.00"] in rows
        assert any("李秀英" in row and "30.00" in row and "agent" in row for row in rows)
        workbook = out.with_suffix(".xlsx")
        self.text(*of, agent, "--period", period, "--out", str(workbook), home=AGENT)
        from openpyxl import load_workbook

        cells = [c for row in load_workbook(workbook).active.iter_rows() for c in row]
        assert {c.data_type for c in cells if c.value not in (None, "")} == {"s"}
        assert "30.00" in [c.value for c in cells] and agent in [c.value for c in cells]

    def reconcile(self, period: str, statement: str, receivable: dict) -> None:
        """The statement's acknowledged total is the fund's receivable, paid in full; what was
        distributed is what was paid, by the same period reference."""
        found = self.js("fund", "receivables", self.parties.account, "--period", period,
                        home=FINANCE)["receivables"]  # fmt: skip
        owed = next(r for r in found if r["receivable_id"] == receivable["receivable_id"])
        assert (owed["amount_fen"], owed["paid_fen"], owed["status"]) == (
            2 * MONTH_FEN, 2 * MONTH_FEN, "paid",
        )  # fmt: skip
        shown = self.text("settlement", "statement", statement, home=HR)
        for label in ("total (yuan)", "acknowledged", "paid"):  # as the statement says
            assert value(shown, label) == f"{owed['amount_fen'] / 100:.2f}", label
        assert "李秀英" in shown and "王芳" in shown
        fund = self.text("fund", "show", self.parties.account, home=FINANCE)
        assert value(fund, "available (income)") == "0.00"  # every yuan paid was distributed
        listed = self.js("settlement", "distribution", "list", "--period", period, home=COOP)
        assert listed["total_fen"] == listed["paid_fen"] == owed["paid_fen"]
        assert {line["reference"] for d in listed["distributions"] for line in d["lines"]} == {
            f"{period}/{statement}"
        }
