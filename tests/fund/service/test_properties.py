"""Property-based: random sequences of commands, retries and rejections on joint accounts; after
every step the books balance, no cash or available cash is below zero, no advance is given up,
settled or recovered beyond what was advanced (whatever write-offs wait, and whichever key is
revoked between two signatures), a retried command takes effect once, every payment carries two
valid signatures of the two organisations, and the audit chain verifies. Plus real concurrency
on PostgreSQL: many connections racing for the last yuan.

The income side (`Income`): receivables recorded by RPC or by settlement's request (sometimes a
business key asked for again, with its amount or another), bank credits paying them oldest
first, by name or not at all, short, exact or over, and retries; after every step the books
agree with the test's own account of what it did: each kind's income is the paid part of its
receivables plus what was earned with nothing owed, each receivable paid what the test paid it,
the payers' credits are what was overpaid less what their later receivables took, and all the
income cash received is in `cash_income` or `cash_held`; after every example the books verify
(the whole database: once per example keeps the cost flat)."""

import uuid
from dataclasses import dataclass
from types import SimpleNamespace

import eventlet
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from fund.domain.ledger import RECEIVABLE_ACCOUNTS
from fund.exceptions import (
    AdvanceRejected,
    BankReferenceUsed,
    InsufficientFunds,
    ProposalClosed,
    ReceivableRejected,
    ReceivablesOpen,
)
from fund.requests import apply_receivable_requests
from fund_contract.requests import PAYS_NOTHING, PAYS_OLDEST_FIRST
from fund_support import COUNTY, HR_ORG, Fund, in_a_day, key
from sanbao_common.crypto import fingerprint
from sanbao_common.db import create_database_engine
from sanbao_common.money import format_yuan

# Each machine: a few examples of a dozen steps, every step checked against the databases.
MACHINE_SETTINGS = settings(
    max_examples=15,
    stateful_step_count=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
AMOUNTS = st.integers(min_value=1, max_value=5_000_000)  # fen
REFERENCES = st.sampled_from(["b1", "b2", "b3"])


def test_random_command_sequences_keep_the_books_safe(databases):
    engine = create_database_engine(databases["fund"])
    # One fund (one checkpoint key) for every example: they share the database, so each sees
    # the checkpoints the others' payments took.
    fund = Fund(engine)
    fund.register_payees()

    class Books(RuleBasedStateMachine):
        @initialize()
        def open(self):
            self.fund = fund
            self.account = self.fund.open_account("50000.00")
            self.fund.certify(self.fund.county, "chen.sign")
            self.fund.certify(self.fund.hr, "zhou.sign")
            self.finance = self.fund.as_(["finance"], user="li.fin")
            self.pending: list[dict] = []
            self.last = None
            # Money in and two advances out, so that every move has something to act on.
            self.finance.record_inflow(
                self.account,
                {"kind": "principal_deposit", "amount": "20000.00", "bank_ref": key()},
                key(),
            )
            self.deposited = 2_000_000
            for reference in ("b1", "b2"):
                line = {"payee": HR_ORG, "amount": "3000.00", "purpose": "车票"}
                proposal = self.finance.propose_outflow(
                    self.account,
                    {
                        "kind": "advance",
                        "expires_at": in_a_day(),
                        "lines": [dict(line, reference=reference)],
                    },
                    key(),
                )
                self.fund.sign_as(self.fund.county, "chen.sign", proposal)()
                self.fund.sign_as(self.fund.hr, "zhou.sign", proposal)()

        def _remember(self, call):
            self.last = call
            return call()

        @rule(amount=AMOUNTS)
        def deposit(self, amount):
            if self.deposited + amount > 5_000_000:
                return
            inflow = {"kind": "principal_deposit", "amount": format_yuan(amount), "bank_ref": key()}
            k = key()
            self._remember(lambda: self.finance.record_inflow(self.account, inflow, k))
            self.deposited += amount

        @rule(amount=AMOUNTS, reference=st.sampled_from(["b1", "b2", "b3"]))
        def propose_advance(self, amount, reference):
            proposal = {
                "kind": "advance",
                "expires_at": in_a_day(),
                "lines": [
                    {
                        "payee": HR_ORG,
                        "amount": format_yuan(amount),
                        "purpose": "车票",
                        "reference": reference,
                    }
                ],
            }
            k = key()
            try:
                self.pending.append(
                    self._remember(lambda: self.finance.propose_outflow(self.account, proposal, k))
                )
            except InsufficientFunds:
                pass

        @rule(data=st.data())
        def sign_both(self, data):
            if not self.pending:
                return
            proposal = data.draw(st.sampled_from(self.pending))
            try:
                self.fund.sign_as(self.fund.county, "chen.sign", proposal)()
                self.fund.sign_as(self.fund.hr, "zhou.sign", proposal)()
            except ProposalClosed:
                pass
            self.pending.remove(proposal)

        @rule(data=st.data())
        def reject(self, data):
            if not self.pending:
                return
            proposal = data.draw(st.sampled_from(self.pending))
            self.fund.as_(["signatory"], self.fund.hr, user="zhou.sign").reject_outflow(
                proposal["proposal_id"], "不予批准", key()
            )
            self.pending.remove(proposal)

        @rule(reference=st.sampled_from(["b1", "b2", "b3"]), share=st.integers(1, 100))
        def settle(self, reference, share):
            outstanding = self.view()["balances_fen"].get("advances_outstanding", 0)
            aging = {
                r["reference"]: r["outstanding_fen"]
                for r in self.fund.as_(["auditor"]).aging_report(self.account)
            }
            amount = aging.get(reference, 0) * share // 100
            if amount <= 0 or outstanding <= 0:
                return
            k, number = key(), key()
            vouchers = [
                {
                    "number": number,
                    "date": "2026-05-01",
                    "amount": format_yuan(amount),
                    "kind": "meals",
                }
            ]
            try:
                self._remember(
                    lambda: self.finance.settle_advance(self.account, reference, vouchers, k)
                )
            except AdvanceRejected:  # pending write-offs claim that part of the advance
                pass

        def outstanding(self) -> dict[str, int]:
            return {
                r["reference"]: r["outstanding_fen"]
                for r in self.fund.as_(["auditor"]).aging_report(self.account)
            }

        def write_off(self, reference, amount):
            proposal = {
                "kind": "write_off",
                "expires_at": in_a_day(),
                "lines": [
                    {
                        "payee": "-",
                        "amount": format_yuan(amount),
                        "purpose": "无法追回",
                        "reference": reference,
                    }
                ],
            }
            k = key()
            return self._remember(lambda: self.finance.propose_outflow(self.account, proposal, k))

        @rule(reference=REFERENCES, share=st.integers(1, 100), twice=st.booleans())
        def propose_write_off(self, reference, share, twice):
            """Part of an advance given up; `twice`: then all of it again, which the first
            write-off's claim (or an earlier one's) leaves no room for."""
            outstanding = self.outstanding().get(reference, 0)
            if outstanding * share // 100 <= 0:
                return
            try:
                self.pending.append(self.write_off(reference, outstanding * share // 100))
            except AdvanceRejected:  # earlier write-offs claim it already
                pass
            if twice:
                with pytest.raises(AdvanceRejected):
                    self.write_off(reference, outstanding)

        @rule(reference=REFERENCES, share=st.integers(1, 100))
        def recover(self, reference, share):
            amount = self.outstanding().get(reference, 0) * share // 100
            if amount <= 0:
                return
            inflow = {
                "kind": "advance_recovery",
                "amount": format_yuan(amount),
                "bank_ref": key(),
                "reference": reference,
            }
            k = key()
            try:
                self._remember(lambda: self.finance.record_inflow(self.account, inflow, k))
            except AdvanceRejected:  # pending write-offs claim that part of the advance
                pass

        @rule(data=st.data(), county_first=st.booleans())
        def revoke_between_signatures(self, data, county_first):
            """One party signs, its key is revoked, the other signs: nothing is paid until the
            first party signs again with a new key."""
            if not self.pending:
                return
            proposal = data.draw(st.sampled_from(self.pending))
            fund = self.fund
            first, second = (
                ((fund.county, "chen.sign"), (fund.hr, "zhou.sign"))
                if county_first
                else ((fund.hr, "zhou.sign"), (fund.county, "chen.sign"))
            )
            fund.sign_as(*first, proposal)()
            fund.revoke(fingerprint(first[0].signatories[first[1]]))
            fund.certify(*first)
            assert fund.sign_as(*second, proposal)()["status"] == "pending"
            assert fund.sign_as(*first, proposal)()["status"] == "paid"
            self.pending.remove(proposal)

        @rule()
        def retry_the_last_command(self):
            if self.last is None:
                return
            before = self.view()["balances_fen"]
            try:
                self.last()
            except Exception:  # a refusal the first time is a refusal again; nothing changes
                pass
            assert self.view()["balances_fen"] == before

        def view(self):
            return self.fund.as_(["auditor"]).get_joint_account(self.account)

        @invariant()
        def books_are_safe(self):
            if not hasattr(self, "fund"):
                return
            view = self.view()
            balances = view["balances_fen"]
            assert sum(balances.values()) == 0
            for cash in ("cash_principal", "cash_income"):
                assert balances.get(cash, 0) >= 0
                assert view["available_fen"][cash] >= 0
            assert all(amount > 0 for amount in self.outstanding().values()), self.outstanding()
            report = self.fund.as_(["auditor"]).verify_books()
            assert report["ok"], report

    Books.TestCase.settings = MACHINE_SETTINGS
    try:
        Books.TestCase().runTest()
    finally:
        engine.dispose()


# -- the income side ----------------------------------------------------------------------------

# Who owes the joint account what: payer id -> (the kind it owes, its kind, its name).
PAYERS = {
    HR_ORG: ("service_revenue", "hr_company", "红河人力资源服务有限公司"),
    "org-gejiu-hrss": ("policy_subsidy", "bureau", "个旧市人力资源和社会保障局"),
    "org-honghe-hrss": ("policy_subsidy", "bureau", "红河州人力资源和社会保障局"),
    "emp-zhongshan-fusheng": ("employer_subsidy", "employer", "中山市富盛电子有限公司"),
}
PAYER_IDS = st.sampled_from(sorted(PAYERS))
PERIODS = st.sampled_from(["2026-01", "2026-02", "2026-03"])
STATEMENTS = st.sampled_from(["个旧劳务结算〔2026〕1号", "个旧劳务结算〔2026〕2号"])
INCOME_AMOUNTS = st.integers(min_value=1, max_value=300_000)  # fen
SIZES = st.sampled_from(["short", "exact", "over"])  # a credit against what it pays


@dataclass
class Owed:
    """One receivable as the test recorded and paid it."""

    receivable_id: str
    kind: str
    payer: str
    amount: int
    paid: int = 0

    @property
    def open(self) -> int:
        return self.amount - self.paid


class Income(RuleBasedStateMachine):
    """Receivables and the bank credits paying them, checked against the test's own account of
    what it recorded, paid, overpaid and earned."""

    fund: Fund  # one fund (one database) for every example, set by the test
    everywhere: list[str]  # receivable ids of every example's account

    @initialize()
    def open(self):
        self.account = self.fund.open_account("50000.00")
        self.finance = self.fund.as_(["finance"], user="li.fin")
        self.auditor = self.fund.as_(["auditor"])
        self.owed: list[Owed] = []  # in the order recorded
        self.by_key: dict[tuple, Owed] = {}  # (kind, period, payer, statement) -> receivable
        self.earned = dict.fromkeys(RECEIVABLE_ACCOUNTS, 0)  # income with nothing owed
        self.credits: dict[str, int] = {}  # payer -> credit held
        self.overpaid = self.applied = self.cash_in = 0
        self.last = None  # (the last command that took effect, its reply)
        self.last_inflow = None
        # From the start: something owed by the HR company and a bureau, and a credit the HR
        # company holds (January overpaid, February and March still open).
        statement = "个旧劳务结算〔2026〕1号"
        self.ask(HR_ORG, "2026-01", statement, 120_000, by_request=False)
        self.ask(HR_ORG, "2026-02", statement, 90_000, by_request=True)
        self.ask(HR_ORG, "2026-03", statement, 60_000, by_request=False)
        self.ask("org-gejiu-hrss", "2026-01", statement, 80_000, by_request=True)
        january = self.owed[0]
        self.pay(HR_ORG, [january.receivable_id], [january], 150_000, say_payer=False)

    # -- receivables ------------------------------------------------------------------------

    @rule(
        payer=PAYER_IDS,
        period=PERIODS,
        statement=STATEMENTS,
        amount=INCOME_AMOUNTS,
        by_request=st.booleans(),
    )
    def record(self, payer, period, statement, amount, by_request):
        self.ask(payer, period, statement, amount, by_request)

    @rule(
        data=st.data(),
        period=PERIODS,
        statement=STATEMENTS,
        amount=INCOME_AMOUNTS,
        by_request=st.booleans(),
    )
    def owe_a_payer_in_credit(self, data, period, statement, amount, by_request):
        """A receivable of a payer holding a credit: paid from it first."""
        in_credit = sorted(payer for payer, held in self.credits.items() if held)
        if in_credit:
            payer = data.draw(st.sampled_from(in_credit))
            self.ask(payer, period, statement, amount, by_request)

    @rule(data=st.data(), same=st.booleans(), other=INCOME_AMOUNTS, by_request=st.booleans())
    def ask_again(self, data, same, other, by_request):
        """A business key recorded already, asked for again with its amount (nothing new) or
        another (refused)."""
        if not self.by_key:
            return
        _, period, payer, statement = data.draw(st.sampled_from(sorted(self.by_key)))
        owed = self.by_key[(PAYERS[payer][0], period, payer, statement)]
        amount = owed.amount if same else other if other != owed.amount else other + 1
        self.ask(payer, period, statement, amount, by_request)

    def ask(self, payer, period, statement, amount, by_request):
        """Record a receivable by RPC or by settlement's request; check what the fund made of it
        against what the test knows of the key."""
        kind, counterparty_kind, name = PAYERS[payer]
        business_key = (kind, period, payer, statement)
        known = self.by_key.get(business_key)
        refused = known is not None and known.amount != amount
        receivable = {
            "kind": kind,
            "period": period,
            "counterparty_id": payer,
            "counterparty_kind": counterparty_kind,
            "counterparty_name": name,
            "statement_ref": statement,
            "amount": format_yuan(amount),
        }
        if by_request:
            row = self.request(receivable, amount)
            if refused:  # what an earlier request of the key made stays made; else nothing was
                assert row["reason"] == "RECEIVABLE_REJECTED", row
                assert (row["state"], row["record_id"]) in (
                    ("refused", None),
                    ("made", known.receivable_id),
                ), row
                return
            assert row["state"] == "made", row
            receivable_id, reply = row["record_id"], None
        else:
            k = key()
            call = lambda: self.finance.record_receivable(self.account, receivable, k)  # noqa: E731
            if refused:
                with pytest.raises(ReceivableRejected):
                    call()
                return
            reply = call()
            receivable_id = reply["receivable_id"]
        if known is not None:
            assert receivable_id == known.receivable_id  # the one recorded: nothing new
        else:
            self.by_key[business_key] = self.recorded(kind, payer, amount, receivable_id)
        if reply is not None:
            owed = self.by_key[business_key]
            assert (reply["amount_fen"], reply["paid_fen"]) == (owed.amount, owed.paid), reply
            self.last = (call, reply)

    def recorded(self, kind, payer, amount, receivable_id) -> Owed:
        """A new receivable, paid first from what its payer holds as credit."""
        owed = Owed(receivable_id, kind, payer, amount)
        owed.paid = min(self.credits.get(payer, 0), amount)
        self.credits[payer] = self.credits.get(payer, 0) - owed.paid
        self.applied += owed.paid
        self.owed.append(owed)
        self.everywhere.append(receivable_id)
        return owed

    def request(self, receivable: dict, amount: int) -> dict:
        """settlement's `receivable_requested`, applied as the fund's consumer applies it: the
        request's row in `list_fund_requests`."""
        payload = {k: v for k, v in receivable.items() if k != "amount"}
        payload.update(account_id=self.account, amount_fen=amount)
        event = SimpleNamespace(
            type="receivable_requested",
            event_id=uuid.uuid4(),
            actor="user:yang.settle",
            correlation_id="corr",
            payload=payload,
        )
        with self.fund.db.unit_of_work() as uow:
            apply_receivable_requests(uow, [event], COUNTY, "settlement")
            uow.commit()
        rows = self.auditor.list_fund_requests(self.account)
        (row,) = [r for r in rows if r["event_id"] == str(event.event_id)]
        return row

    # -- bank credits -----------------------------------------------------------------------

    def payable(self, payer: str) -> list[Owed]:
        """`payer`'s open receivables of its kind, oldest (first recorded) first."""
        return [o for o in self.owed if o.payer == payer and o.kind == PAYERS[payer][0] and o.open]

    def payer_owing(self, data) -> str:
        """A payer with something open, when there is one (else any)."""
        owing = sorted({o.payer for o in self.owed if o.open}) or sorted(PAYERS)
        return data.draw(st.sampled_from(owing))

    def amount(self, data, size, targets: list[Owed]) -> int:
        """Short of what `targets` still owe, exactly it, or over it."""
        total = sum(o.open for o in targets)
        if size == "short" and total > 1:
            return data.draw(st.integers(1, total - 1))
        if size == "exact" and total > 0:
            return total
        return total + data.draw(INCOME_AMOUNTS)

    @rule(data=st.data(), size=SIZES, say_payer=st.booleans())
    def pay_oldest_first(self, data, size, say_payer):
        payer = self.payer_owing(data)
        payable = self.payable(payer)
        amount = self.amount(data, size, payable)
        self.pay(payer, PAYS_OLDEST_FIRST, payable, amount, say_payer)

    @rule(data=st.data(), size=SIZES, say_payer=st.booleans())
    def pay_named(self, data, size, say_payer):
        """Some of the payer's open receivables by id, in a drawn order."""
        payer = self.payer_owing(data)
        payable = data.draw(st.permutations(self.payable(payer)))
        if payable:
            named = payable[: data.draw(st.integers(1, len(payable)))]
            amount = self.amount(data, size, named)
            self.pay(payer, [o.receivable_id for o in named], named, amount, say_payer)

    @rule(payer=PAYER_IDS, amount=INCOME_AMOUNTS, say_what=st.booleans(), say_payer=st.booleans())
    def pay_nothing(self, payer, amount, say_what, say_payer):
        """Income nothing was owed for: said (`nothing`), or not said, which is refused while
        receivables of the kind are open."""
        self.pay(payer, PAYS_NOTHING if say_what else None, [], amount, say_payer)

    def pay(self, payer, pays, targets: list[Owed], amount: int, say_payer: bool):
        """A bank credit of `amount` of `payer`'s kind paying `targets` (what `pays` names, None:
        not said), checked against what the test expects of it."""
        kind = PAYERS[payer][0]
        inflow = {"kind": kind, "amount": format_yuan(amount), "bank_ref": key()}
        if say_payer:
            inflow["payer"] = payer
        if pays is not None:
            inflow["pays"] = pays
        k = key()
        call = lambda: self.finance.record_inflow(self.account, inflow, k)  # noqa: E731
        if pays is None and any(o.kind == kind and o.open for o in self.owed):
            with pytest.raises(ReceivablesOpen):
                call()
            return
        if pays == PAYS_OLDEST_FIRST and not say_payer and kind != "service_revenue":
            with pytest.raises(ReceivableRejected):  # whose receivables? it does not say
                call()
            return
        reply = call()
        left, matched = amount, []
        for owed in targets:
            part = min(left, owed.open)
            if part:
                matched.append((owed, part))
                left -= part
        held = 0 if pays in (None, PAYS_NOTHING) else left  # else earned on receipt
        named = isinstance(pays, list)
        implied = payer if say_payer or named or kind == "service_revenue" else None
        assert reply["matches"] == [
            {"receivable_id": o.receivable_id, "amount_fen": part} for o, part in matched
        ], reply
        assert (reply["credit_fen"], reply["payer"]) == (held, implied), reply
        for owed, part in matched:
            owed.paid += part
        self.credits[payer] = self.credits.get(payer, 0) + held
        self.overpaid += held
        self.earned[kind] += left - held
        self.cash_in += amount
        self.last, self.last_inflow = (call, reply), inflow

    @rule(data=st.data(), how=st.sampled_from(["twice", "other_kind", "elsewhere", "paid"]))
    def name_what_it_cannot_pay(self, data, how):
        """A credit naming a receivable twice, one of another kind, one of another account (or
        none at all), or one paid already: refused, nothing changes."""
        if not self.owed:
            return
        owed = data.draw(st.sampled_from(self.owed))
        kind, pays = owed.kind, [owed.receivable_id]
        if how == "twice":
            pays = pays * 2
        elif how == "other_kind":
            kind = next(k for k in RECEIVABLE_ACCOUNTS if k != owed.kind)
        elif how == "elsewhere":
            mine = {o.receivable_id for o in self.owed}
            pays = [next((i for i in self.everywhere if i not in mine), str(uuid.uuid4()))]
        elif owed.open:
            return
        inflow = {"kind": kind, "amount": "1.00", "bank_ref": key(), "payer": owed.payer}
        with pytest.raises(ReceivableRejected):
            self.finance.record_inflow(self.account, dict(inflow, pays=pays), key())

    # -- retries ----------------------------------------------------------------------------

    @rule()
    def retry_the_last_command(self):
        """The same command under the same key: the reply it had, nothing done again."""
        if self.last is not None:
            call, reply = self.last
            assert call() == reply

    @rule()
    def the_same_bank_credit_under_a_new_key(self):
        if self.last_inflow is not None:
            with pytest.raises(BankReferenceUsed):
                self.finance.record_inflow(self.account, self.last_inflow, key())

    # -- after every step ------------------------------------------------------------------

    @invariant()
    def the_books_say_what_was_done(self):
        if not hasattr(self, "account"):
            return
        balances = self.auditor.get_joint_account(self.account)["balances_fen"]
        report = self.auditor.list_receivables(self.account)
        assert sum(balances.values()) == 0
        for kind, (receivable, uncollected, income) in RECEIVABLE_ACCOUNTS.items():
            mine = [o for o in self.owed if o.kind == kind]
            paid, still_open = sum(o.paid for o in mine), sum(o.open for o in mine)
            assert -balances.get(income, 0) == paid + self.earned[kind], (kind, balances)
            assert balances.get(receivable, 0) == still_open == -balances.get(uncollected, 0)
        recorded = {
            r["receivable_id"]: (r["amount_fen"], r["paid_fen"]) for r in report["receivables"]
        }
        assert recorded == {o.receivable_id: (o.amount, o.paid) for o in self.owed}
        assert all(0 <= paid <= amount for amount, paid in recorded.values())
        held = self.overpaid - self.applied
        assert report["credits_fen"] == {p: c for p, c in self.credits.items() if c}
        assert sum(self.credits.values()) == held
        assert -balances.get("payer_credits", 0) == balances.get("cash_held", 0) == held
        assert balances.get("cash_income", 0) + balances.get("cash_held", 0) == self.cash_in

    def teardown(self):
        """The whole database verified once per example (every example's account is in it, so
        doing it after every step would cost more each time): the chain, the trial balances,
        the receivable rows against the books."""
        if hasattr(self, "account"):
            verified = self.auditor.verify_books()
            assert verified["ok"], verified


def test_random_income_sequences_keep_to_what_was_owed_and_paid(databases):
    engine = create_database_engine(databases["fund"])
    Income.fund, Income.everywhere = Fund(engine), []
    Income.TestCase.settings = MACHINE_SETTINGS
    try:
        Income.TestCase().runTest()
    finally:
        engine.dispose()


RACER = """
import sys, time, os
sys.path.insert(0, {tests!r})
from fund_support import Fund, in_a_day, key
from sanbao_common.db import create_database_engine
from fund.exceptions import InsufficientFunds
engine = create_database_engine({url!r}, pool_size=1)
fund = Fund(engine)
while not os.path.exists({go!r}):
    time.sleep(0.001)
try:
    fund.as_(["finance"], user="racer").propose_outflow({account!r}, {{
        "kind": "advance", "expires_at": in_a_day(),
        "lines": [{{"payee": "org-hr-company", "amount": "1000.00", "purpose": "x",
                    "reference": "b"}}]}}, key())
    print("accepted")
except InsufficientFunds:
    print("refused")
"""


@pytest.mark.postgresql_only
def test_racing_processes_cannot_together_spend_more_than_there_is(databases, tmp_path):
    """Eight processes, each its own connection, propose the whole cash at the same moment: one
    proposal is accepted, and the books never promise more than they hold."""
    import subprocess
    import sys
    from pathlib import Path

    engine = create_database_engine(databases["fund"])
    fund = Fund(engine)
    fund.register_payees()
    account = fund.open_account("1000.00")
    fund.as_(["finance"], user="li.fin").record_inflow(
        account, {"kind": "principal_deposit", "amount": "1000.00", "bank_ref": "B-1"}, key()
    )
    # Widen the race: every proposal insert now takes 200 ms inside its transaction, after its
    # racer has read the balance; without the books' lock every racer would read "1000.00 free".
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE FUNCTION slow_insert() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(0.2); "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER slow_proposals BEFORE INSERT ON proposals FOR EACH ROW "
            "EXECUTE FUNCTION slow_insert()"
        )
    go = tmp_path / "go"
    script = RACER.format(
        tests=str(Path(__file__).resolve().parents[2]),
        url=databases["fund"],
        go=str(go),
        account=account,
    )
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    eventlet.sleep(3)  # every racer connected and waiting
    go.touch()
    results = [racer.communicate(timeout=120) for racer in racers]
    outcomes = sorted(out.strip() for out, _ in results)
    assert outcomes == ["accepted"] + ["refused"] * 7, [err[-500:] for _, err in results]
    view = fund.as_(["auditor"]).get_joint_account(account)
    assert view["available_fen"]["cash_principal"] == 0
    assert fund.as_(["auditor"]).verify_books()["ok"]
    engine.dispose()
