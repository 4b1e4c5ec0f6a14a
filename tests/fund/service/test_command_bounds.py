"""The fund's commands take lists only up to their bound (fund.schemas: MAX_VOUCHERS,
MAX_INFLOWS, MAX_LINES), on SQLite and on PostgreSQL: one more is refused with the field named
before the fund-wide lock is taken, and nothing is stored; the bound itself goes on to the usual
checks and is applied."""

import pytest

from fund.schemas import MAX_INFLOWS, MAX_LINES, MAX_VOUCHERS
from fund_support import HR_ORG, in_a_day, key
from sanbao_common.errors import InvalidInput


@pytest.fixture
def account(fund):
    account_id = fund.open_account()
    fund.certify(fund.county, "chen.sign")
    fund.certify(fund.hr, "zhou.sign")
    fund.as_(["finance"], user="li.fin").record_inflow(
        account_id,
        {"kind": "principal_deposit", "amount": "100000.00", "bank_ref": "ICBC-0001"},
        key(),
    )
    return account_id


@pytest.fixture
def finance(fund):
    return fund.as_(["finance"], user="li.fin")


def paid_advance(fund, account_id, amount: str, reference: str) -> None:
    proposal = fund.as_(["finance"], user="li.fin").propose_outflow(
        account_id,
        {
            "kind": "advance",
            "expires_at": in_a_day(),
            "lines": [
                {"payee": HR_ORG, "amount": amount, "purpose": "车票", "reference": reference}
            ],
        },
        key(),
    )
    for party, user in ((fund.county, "chen.sign"), (fund.hr, "zhou.sign")):
        fund.sign_as(party, user, proposal)()


def vouchers(count: int, amount: str = "1.00") -> list[dict]:
    return [
        {"number": f"V-{n:05d}", "date": "2026-03-01", "amount": amount, "kind": "meals"}
        for n in range(count)
    ]


def inflows(count: int) -> list[dict]:
    return [
        {"kind": "service_revenue", "amount": "1.00", "bank_ref": f"ICBC-F-{n:05d}"}
        for n in range(count)
    ]


def lines(count: int) -> list[dict]:
    return [
        {"payee": HR_ORG, "amount": "1.00", "purpose": "交通补助", "reference": "batch-1"}
        for n in range(count)
    ]


def refused(call) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value


def outstanding(fund, account_id) -> dict:
    rows = fund.as_(["auditor"]).aging_report(account_id)
    return {row["reference"]: row["outstanding_fen"] for row in rows}


def test_one_voucher_too_many_is_refused_naming_the_field_and_nothing_is_settled(
    fund, account, finance
):
    paid_advance(fund, account, "3000.00", "batch-1")
    before = outstanding(fund, account)
    error = refused(
        lambda: finance.settle_advance(account, "batch-1", vouchers(MAX_VOUCHERS + 1), key())
    )
    assert list(error.errors) == ["vouchers"]
    assert f"vouchers: Length must be between 1 and {MAX_VOUCHERS}" in str(error)
    for wrong in ([], None, "V-1", {"number": "V-1"}):
        assert (
            "vouchers"
            in refused(
                lambda wrong=wrong: finance.settle_advance(account, "batch-1", wrong, key())
            ).errors
        )
    error = refused(lambda: finance.settle_advance(account, "x" * 101, vouchers(1), key()))
    assert list(error.errors) == ["reference"]
    assert outstanding(fund, account) == before


def test_a_bad_voucher_is_named_by_its_place_in_the_list(fund, account, finance):
    bad = vouchers(3)
    bad[2]["amount"] = "-1"
    error = refused(lambda: finance.settle_advance(account, "batch-1", bad, key()))
    assert "vouchers.2.amount" in str(error)


def test_the_bound_itself_is_settled(fund, account, finance):
    paid_advance(fund, account, "3000.00", "batch-1")
    settled = finance.settle_advance(account, "batch-1", vouchers(MAX_VOUCHERS), key())
    assert settled["settled_fen"] == MAX_VOUCHERS * 100
    assert outstanding(fund, account)["batch-1"] == 300_000 - MAX_VOUCHERS * 100


def test_one_inflow_too_many_is_refused_and_the_bound_is_recorded(fund, account, finance):
    error = refused(lambda: finance.record_inflows(account, inflows(MAX_INFLOWS + 1), key()))
    assert list(error.errors) == ["inflows"]
    assert f"Length must be between 1 and {MAX_INFLOWS}" in str(error)
    assert "inflows" in refused(lambda: finance.record_inflows(account, [], key())).errors
    recorded = finance.record_inflows(account, inflows(MAX_INFLOWS), key())
    assert len(recorded) == MAX_INFLOWS


def test_one_outflow_line_too_many_is_refused_naming_the_field(fund, account, finance):
    proposal = {"kind": "advance", "expires_at": in_a_day(), "lines": lines(MAX_LINES + 1)}
    error = refused(lambda: finance.propose_outflow(account, proposal, key()))
    assert list(error.errors) == ["lines"]
    assert f"Length must be between 1 and {MAX_LINES}" in str(error)
    proposal["lines"] = lines(MAX_LINES)
    assert len(finance.propose_outflow(account, proposal, key())["lines"]) == MAX_LINES
