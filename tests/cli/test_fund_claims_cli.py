"""`sanbao fund claims` against the fund's real entrypoints: the claims a batch's no-shows left
on their seats' advances, with what was recovered and what is outstanding, --open for what is
still owed, and nothing for someone outside the account."""

import json
from types import SimpleNamespace

import pytest

from cli_support import Workers, key
from fund_claims_support import (
    APPROVER,
    SHARES,
    advance_requested,
    batch_departed,
    deliver_departures,
    deliver_requests,
    paid_batch_advance,
)
from fund_support import Fund, Party
from sanbao_common.db import create_database_engine

BATCH = "b-2026-11-001"


@pytest.fixture
def fund(databases):
    """An open joint account with 100,000.00 of principal, a batch's advance paid for three
    seats and the batch departed without the labourers of seats 1 and 3."""
    engine = create_database_engine(databases["fund"])
    fund = Fund(engine)
    fund.account = fund.open_account("100000.00")
    fund.register_payees()
    fund.certify(fund.county, "chen.sign")
    fund.certify(fund.hr, "zhou.sign")
    inflow = {"kind": "principal_deposit", "amount": "100000.00", "bank_ref": "ICBC-1",
              "reference": None}  # fmt: skip
    fund.as_(["finance"], user="li.fin").record_inflow(fund.account, inflow, key())
    paid_batch_advance(fund, fund.account, BATCH)
    deliver_departures(fund, batch_departed(fund.account, BATCH, no_shows=(1, 3)))
    yield fund
    engine.dispose()


def stack(fund, roles, party=None, user="li.fin"):
    registry = SimpleNamespace(list_organisations=lambda kind=None, under=None: [])
    return Workers(fund=fund.as_(roles, party, user=user), registry=registry)


def test_claims_are_listed_with_what_is_outstanding_and_open_ones_alone(fund, cli):
    li = stack(fund, ["finance"])
    recovery = {"kind": "advance_recovery", "amount": "400.00", "bank_ref": "CCB-R1",
                "reference": f"{BATCH}/1"}  # fmt: skip
    fund.as_(["finance"], user="li.fin").record_inflow(fund.account, recovery, key())

    table = cli(li, "fund", "claims", fund.account)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    first = next(line for line in lines if "李四" in line)
    for cell in (BATCH, "p-1", "400.00", "recovered"):
        assert cell in first, first
    third = next(line for line in lines if "赵六" in line)
    for cell in (BATCH, "p-3", "350.00", "open"):
        assert cell in third, third
    assert "王五" not in table.stdout  # seat 2 went

    still_open = cli(li, "fund", "claims", fund.account, "--open", "--json")
    assert still_open.exit_code == 0, still_open.output
    report = json.loads(still_open.stdout)
    assert [(c["seat"], c["outstanding_fen"]) for c in report["claims"]] == [(3, SHARES[2])]
    assert report["open_fen"] == SHARES[2]


def test_someone_outside_the_account_sees_no_claims(fund, cli):
    outsider = stack(fund, ["hr_operator"], Party("org-other-company", "hr_company"), "mallory")
    refused = cli(outsider, "fund", "claims", fund.account)
    assert refused.exit_code == 1, refused.output
    assert "李四" not in refused.stdout + refused.stderr


def test_an_advance_dispatch_asked_for_shows_who_proposed_it_and_the_request(fund, cli):
    deliver_requests(fund, advance_requested(fund.account, "b-2026-11-002", shares=(12_345,)))
    shown = cli(stack(fund, ["signatory"], fund.hr, user="zhou.sign"), "fund", "show",
                fund.account)  # fmt: skip
    assert shown.exit_code == 0, shown.output
    waiting = next(line for line in shown.stdout.splitlines() if "123.45" in line)
    assert APPROVER in waiting and "asked by dispatch: batch:b-2026-11-002" in waiting, waiting
