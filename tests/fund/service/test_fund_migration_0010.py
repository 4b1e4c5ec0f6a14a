"""fund migration 0010 on both backends: service revenue the retired `record_receivable` booked
(income earned when recorded, one journal entry per period) becomes one receivable row each,
basis "accrued", with what the books show paid of them allocated oldest first; `verify` still
holds the books; and a credit paying what is still open posts the retired receipt rule (the
income was earned already) and clears it."""

import uuid

import pytest
from alembic import command

from fund.adapters.repository import Books
from fund.audit_trail import audit
from fund.domain.posting_rules import movement_entry
from fund.exceptions import ReceivablesOpen
from fund_support import COUNTY, HR_ORG, Fund, key
from sanbao_common.context import Caller
from sanbao_common.db import create_database_engine
from sanbao_common.migrations import alembic_config, upgrade
from testkit import service_dir

# The retired command's receivables, oldest first: (period, amount in fen); and what the HR
# company paid against them before the upgrade (all of the first, part of the second).
LEGACY = (("2026-Q1", 300_000), ("2026-Q2", 200_000))
PAID_BEFORE = 350_000


@pytest.fixture
def empty_database(db_backend, database_templates, tmp_path):
    if db_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return database_templates.create_postgres(f"sanbao_m_{uuid.uuid4().hex[:12]}")


def legacy_books(fund: Fund, account_id: str) -> list[str]:
    """What the fund before 0010 posted: a `receivable` entry per period (earned as recorded),
    and one service revenue credit against them, each bound into the audit chain as the
    retired commands did. Returns the receivables' entry ids."""
    entry_ids = []
    with fund.db.unit_of_work() as uow:
        books = Books(uow.connection)
        for period, amount_fen in LEGACY:
            entry_id = str(uuid.uuid4())
            entry = movement_entry("receivable", amount_fen)
            books.post(account_id, entry_id, "receivable", entry, by="user:li.fin", source=period)
            detail = {"period": period, "amount_fen": amount_fen, "entry_id": entry_id}
            audit(
                books, Caller(COUNTY, "user:li.fin", "c"), "record_receivable", account_id, detail
            )
            entry_ids.append(entry_id)
        paid_id = str(uuid.uuid4())
        entry = movement_entry("receipt_accrued:service_revenue", PAID_BEFORE)
        books.add_bank_references(account_id, [("CCB-2026-0001", paid_id)])
        books.post_many(
            account_id, [(paid_id, "inflow:service_revenue", entry, "CCB-2026-0001")],
            by="user:hr.fin",
        )  # fmt: skip
        audit(books, Caller(COUNTY, "user:hr.fin", "c"), "record_inflows", account_id, {})
        uow.commit()
    return entry_ids


def carried_over(fund: Fund, account_id: str) -> list[tuple]:
    with fund.db.reader() as uow:
        books = Books(uow.connection)
        rows = [
            (r.receivable_id, r.seq, r.kind, r.period, r.counterparty_id, r.counterparty_kind,
             r.statement_ref, r.amount_fen, r.paid_fen, r.basis, r.entry_id, r.recorded_by)
            for r in books.receivables(account_id)
        ]  # fmt: skip
        matches = [
            (m["receivable_id"], m["amount_fen"], m["source"], m["bank_ref"], m["entry_id"])
            for m in books.matches(account_id)
        ]
    return rows, sorted(matches)


def test_fund_0010_carries_legacy_receivables_over_and_a_later_credit_clears_them(
    empty_database,
):
    url = empty_database
    upgrade(service_dir("fund"), url, "0009")
    engine = create_database_engine(url, pool_size=1)
    try:
        fund = Fund(engine)
        account_id = fund.open_account()
        untouched = fund.open_account("50000.00")  # no receivable ever recorded
        first, second = legacy_books(fund, account_id)
        upgrade(service_dir("fund"), url)

        rows, matches = carried_over(fund, account_id)
        assert rows == [
            (first, 1, "service_revenue", "2026-Q1", HR_ORG, "hr_company", f"legacy:{first}",
             300_000, 300_000, "accrued", first, "user:li.fin"),
            (second, 2, "service_revenue", "2026-Q2", HR_ORG, "hr_company", f"legacy:{second}",
             200_000, 50_000, "accrued", second, "user:li.fin"),
        ]  # fmt: skip
        assert matches == sorted(
            [(first, 300_000, "legacy", None, None), (second, 50_000, "legacy", None, None)]
        )
        assert carried_over(fund, untouched) == ([], [])
        auditor = fund.as_(["auditor"])
        report = auditor.verify_books()
        assert report["ok"], report
        listed = auditor.list_receivables(account_id)
        assert [(r["status"], r["open_fen"]) for r in listed["receivables"]] == [
            ("paid", 0), ("open", 150_000)
        ]  # fmt: skip

        # After the upgrade: what is still open is paid as any receivable, by the retired rule.
        hr_finance = fund.as_(["finance"], fund.hr, user="hr.fin")
        income = {"kind": "service_revenue", "amount": "1600.00", "bank_ref": "CCB-2026-0002"}
        with pytest.raises(ReceivablesOpen):
            hr_finance.record_inflow(account_id, income, key())
        paid = hr_finance.record_inflow(account_id, dict(income, pays="oldest_first"), key())
        assert paid["matches"] == [{"receivable_id": second, "amount_fen": 150_000}]
        assert paid["credit_fen"] == 10_000
        assert paid["postings"][:2] == [
            {"account": "cash_income", "amount_fen": 150_000, "reference": None},
            {"account": "revenue_receivable", "amount_fen": -150_000, "reference": None},
        ]
        balances = auditor.get_joint_account(account_id)["balances_fen"]
        assert balances["revenue_receivable"] == 0
        assert balances["income_service_revenue"] == -500_000  # earned when recorded, not again
        assert balances["cash_income"] == 500_000 and balances["cash_held"] == 10_000
        assert balances.get("revenue_uncollected", 0) == 0
        rows, _ = carried_over(fund, account_id)
        assert [(row[8], row[9]) for row in rows] == [(300_000, "accrued"), (200_000, "accrued")]
        report = auditor.verify_books()
        assert report["ok"], report

        # Downgraded and upgraded again: the rows are carried over anew from the books.
        command.downgrade(alembic_config(service_dir("fund"), url), "0009")
        upgrade(service_dir("fund"), url)
        rows, matches = carried_over(fund, account_id)
        assert [(row[0], row[7], row[8]) for row in rows] == [
            (first, 300_000, 300_000), (second, 200_000, 200_000)
        ]  # fmt: skip
        assert {m[2] for m in matches} == {"legacy"}
        assert auditor.verify_books()["ok"]
    finally:
        engine.dispose()
