"""Property-based: random sequences of commands, retries and rejections on joint accounts; after
every step the books balance, no cash or available cash is below zero, no advance is given up,
settled or recovered beyond what was advanced (whatever write-offs wait, and whichever key is
revoked between two signatures), a retried command takes effect once, every payment carries two
valid signatures of the two organisations, and the audit chain verifies. Plus real concurrency
on PostgreSQL: many connections racing for the last yuan."""

import eventlet
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from fund.exceptions import AdvanceRejected, InsufficientFunds, ProposalClosed
from fund_support import Fund, in_a_day, key
from sanbao_common.crypto import fingerprint
from sanbao_common.db import create_database_engine
from sanbao_common.money import format_yuan

AMOUNTS = st.integers(min_value=1, max_value=5_000_000)  # fen
REFERENCES = st.sampled_from(["b1", "b2", "b3"])


def test_random_command_sequences_keep_the_books_safe(databases):
    engine = create_database_engine(databases["fund"])
    # One fund (one checkpoint key) for every example: they share the database, so each sees
    # the checkpoints the others' payments took.
    fund = Fund(engine)

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
                line = {"payee": "客运站", "amount": "3000.00", "purpose": "车票"}
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
                        "payee": "客运站",
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

    Books.TestCase.settings = settings(
        max_examples=15,
        stateful_step_count=12,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    try:
        Books.TestCase().runTest()
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
        "lines": [{{"payee": "p", "amount": "1000.00", "purpose": "x", "reference": "b"}}]}}, key())
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
