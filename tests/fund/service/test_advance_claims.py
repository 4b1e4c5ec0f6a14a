"""A batch's advance per labourer, and the claims its no-shows leave: dispatch's
`advance_requested` (one line per seat) makes one proposal whatever is redelivered, paid it is
outstanding per seat; `batch_departed` records one claim per no-show's seat for what is
outstanding on it (never what the event says), once, whatever is replayed; recoveries,
settlements and write-offs close it; only the account's parties (and the county's auditors) see
the claims; a crafted departure makes no money and no claim beyond what is outstanding."""

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from fund.adapters.repository import Books
from fund.adapters.tables import advance_claims, audit_log, journal_entries
from fund.queries import gauge_figures
from fund_claims_support import (
    SHARES,
    advance_requested,
    batch_departed,
    deliver_departures,
    deliver_requests,
    paid_batch_advance,
)
from fund_support import HR_ORG, Party, in_a_day, key
from sanbao_common.access import OutOfScope
from sanbao_common.errors import InvalidInput

BATCH = "6f1c2a9e-7b4d-4e8a-9c61-5d2f0b8e4a17"


@pytest.fixture
def account(fund):
    """An open account with 100,000.00 of principal and a signatory on each side."""
    account_id = fund.open_account()
    fund.certify(fund.county, "chen.sign")
    fund.certify(fund.hr, "zhou.sign")
    finance(fund).record_inflow(
        account_id,
        {"kind": "principal_deposit", "amount": "100000.00", "bank_ref": "ICBC-0001"},
        key(),
    )
    return account_id


def finance(fund):
    return fund.as_(["finance"], user="li.fin")


def auditor(fund):
    return fund.as_(["auditor"])


def claims(fund, account_id, open_only=False) -> dict:
    return auditor(fund).list_advance_claims(account_id, open_only)


def counts(fund) -> tuple[int, int, int]:
    """(claims, audit records, journal entries)."""
    with fund.db.reader() as uow:
        return tuple(
            uow.connection.execute(select(func.count()).select_from(table)).scalar()
            for table in (advance_claims, audit_log, journal_entries)
        )


def outstanding(fund, account_id) -> dict:
    return {
        row["reference"]: row["outstanding_fen"] for row in auditor(fund).aging_report(account_id)
    }


def test_a_batch_advance_is_one_proposal_outstanding_per_seat_whatever_is_redelivered(
    fund, account
):
    asked = advance_requested(account, BATCH)
    deliver_requests(fund, asked, asked)  # the same event twice
    deliver_requests(fund, advance_requested(account, BATCH))  # again, under the same key
    (made,) = auditor(fund).list_fund_requests(account)
    proposal = auditor(fund).get_outflow(made["record_id"])
    assert (proposal["kind"], proposal["amount_fen"]) == ("advance", sum(SHARES))
    assert [(x["payee"], x["amount_fen"], x["reference"]) for x in proposal["lines"]] == [
        (HR_ORG, share, f"{BATCH}/{seat}") for seat, share in enumerate(SHARES, start=1)
    ]
    fund.sign_as(fund.county, "chen.sign", proposal)()
    assert fund.sign_as(fund.hr, "zhou.sign", proposal)()["status"] == "paid"
    deliver_requests(fund, advance_requested(account, BATCH))  # paid: asking again makes nothing
    assert len(auditor(fund).list_fund_requests(account)) == 1
    assert outstanding(fund, account) == {
        f"{BATCH}/{seat}": share for seat, share in enumerate(SHARES, start=1)
    }
    assert claims(fund, account)["claims"] == []  # nobody has failed to show up yet


def test_a_no_show_leaves_one_claim_which_recoveries_close(fund, account):
    paid_batch_advance(fund, account, BATCH)
    departed = batch_departed(account, BATCH, no_shows=(2,))
    deliver_departures(fund, departed)
    before = counts(fund)
    deliver_departures(fund, departed)  # redelivered
    deliver_departures(fund, batch_departed(account, BATCH, no_shows=(2,)))  # replayed
    deliver_departures(fund, batch_departed(account, BATCH, no_shows=(2, 3), version=6))  # older
    assert counts(fund) == before
    report = claims(fund, account)
    (claim,) = report["claims"]
    assert (claim["reference"], claim["batch_id"], claim["seat"]) == (f"{BATCH}/2", BATCH, 2)
    assert (claim["person_id"], claim["name"]) == ("p-2", "王五")
    assert (claim["claimed_fen"], claim["outstanding_fen"], claim["status"]) == (
        SHARES[1], SHARES[1], "open"
    )  # fmt: skip
    assert claim["recorded_by"] == "system:fund for user:hr.op"
    assert (report["claimed_fen"], report["open_fen"]) == (SHARES[1], SHARES[1])

    recovery = {"kind": "advance_recovery", "amount": "150.00", "bank_ref": "CCB-R1",
                "reference": f"{BATCH}/2"}  # fmt: skip
    finance(fund).record_inflow(account, recovery, key())
    (claim,) = claims(fund, account)["claims"]
    assert (claim["recovered_fen"], claim["outstanding_fen"], claim["status"]) == (
        15_000, SHARES[1] - 15_000, "open"
    )  # fmt: skip
    rest = dict(recovery, amount="200.00", bank_ref="CCB-R2")
    finance(fund).record_inflow(account, rest, key())
    (claim,) = claims(fund, account)["claims"]
    assert (claim["recovered_fen"], claim["outstanding_fen"], claim["status"]) == (
        SHARES[1], 0, "recovered"
    )  # fmt: skip
    assert claims(fund, account, open_only=True) == {
        "account_id": account, "claims": [], "claimed_fen": 0, "open_fen": 0,
    }  # fmt: skip
    assert outstanding(fund, account) == {f"{BATCH}/1": SHARES[0], f"{BATCH}/3": SHARES[2]}
    assert auditor(fund).verify_books()["ok"]


def test_claims_settled_and_written_off_and_in_the_statement_and_gauge(fund, account):
    paid_batch_advance(fund, account, BATCH)
    deliver_departures(fund, batch_departed(account, BATCH, no_shows=(1, 3)))
    with fund.db.reader() as uow:
        (figures,) = gauge_figures(Books(uow.connection))["accounts"]
    assert figures["advance_claims_open_fen"] == SHARES[0] + SHARES[2]
    auditor(fund).refresh_gauges()
    labels = {"account": account, "agreement": figures["agreement_ref"]}
    gauge = "sanbao_fund_advance_claims_open_fen"
    assert REGISTRY.get_sample_value(gauge, labels) == SHARES[0] + SHARES[2]
    voucher = {"number": "FP-1", "date": "2026-11-25", "amount": "400.00", "kind": "transport"}
    finance(fund).settle_advance(account, f"{BATCH}/1", [voucher], key())
    line = {
        "payee": HR_ORG,
        "amount": "350.00",
        "purpose": "未出行，核销",
        "reference": f"{BATCH}/3",
    }
    write_off = finance(fund).propose_outflow(
        account, {"kind": "write_off", "expires_at": in_a_day(), "lines": [line]}, key()
    )
    (_, pending) = claims(fund, account)["claims"]
    assert (pending["pending_write_off_fen"], pending["status"]) == (SHARES[2], "open")
    fund.sign_as(fund.county, "chen.sign", write_off)()
    assert fund.sign_as(fund.hr, "zhou.sign", write_off)()["status"] == "paid"
    settled, written_off = claims(fund, account)["claims"]
    assert (settled["seat"], settled["settled_fen"], settled["status"]) == (1, SHARES[0], "settled")
    assert (written_off["seat"], written_off["written_off_fen"], written_off["status"]) == (
        3, SHARES[2], "written_off"
    )  # fmt: skip
    assert claims(fund, account)["open_fen"] == 0
    statement = auditor(fund).export_statement(account, "2026-01-01", "2099-12-31")
    assert [(c["seat"], c["status"]) for c in statement["advance_claims"]] == [
        (1, "settled"), (3, "written_off")
    ]  # fmt: skip
    early = auditor(fund).export_statement(account, "2020-01-01", "2020-12-31")
    assert early["advance_claims"] == []  # recorded after that period
    with fund.db.reader() as uow:
        (figures,) = gauge_figures(Books(uow.connection))["accounts"]
    assert figures["advance_claims_open_fen"] == 0
    assert auditor(fund).verify_books()["ok"]


def test_a_newer_version_adds_only_the_seats_not_claimed(fund, account):
    paid_batch_advance(fund, account, BATCH)
    deliver_departures(fund, batch_departed(account, BATCH, no_shows=(2,), version=7))
    deliver_departures(fund, batch_departed(account, BATCH, no_shows=(2, 3), version=8))
    assert [c["seat"] for c in claims(fund, account)["claims"]] == [2, 3]


def test_a_seat_with_nothing_outstanding_or_an_unknown_account_makes_no_claim(fund, account):
    paid_batch_advance(fund, account, BATCH)
    voucher = {"number": "FP-9", "date": "2026-11-25", "amount": "400.00", "kind": "meals"}
    finance(fund).settle_advance(account, f"{BATCH}/1", [voucher], key())  # seat 1 accounted for
    before = counts(fund)
    deliver_departures(
        fund,
        batch_departed(account, BATCH, no_shows=(1,)),
        batch_departed("a0000000-0000-0000-0000-000000000000", BATCH, no_shows=(2,)),
        batch_departed("unknown", "another-batch", no_shows=(1,)),
    )
    assert counts(fund) == before
    # No advance at all (a batch with no costs): nothing to claim either.
    deliver_departures(fund, batch_departed(account, "no-costs", no_shows=(1, 2)))
    assert counts(fund) == before


@pytest.mark.parametrize(
    "changes",
    [
        {"record_id": "another-batch"},  # the state is not the event's record
        {"hr_company": "org-other-company"},  # not the account's HR company
        {"status": "approved"},  # not departed
        {"version": "7"},
        {"members": "all"},
        {"members": [{"status": "no_show", "seat": "2", "person_id": "p-2", "name": "王五"}]},
        {"members": [{"status": "no_show", "seat": 2, "person_id": "p-2", "name": "王五"}] * 2},
        {"members": [{"status": "no_show", "seat": 2, "person_id": "", "name": "王五"}]},
        {"batch_id": None},
    ],
)
def test_an_unreadable_departure_makes_nothing_and_does_not_fail(fund, account, changes):
    paid_batch_advance(fund, account, BATCH)
    before = counts(fund)
    departed = batch_departed(account, BATCH, no_shows=(2,))
    for field, value in changes.items():
        if field == "record_id":
            departed.record_id = value
        else:
            departed.payload[field] = value
    deliver_departures(fund, departed)
    assert counts(fund) == before


def test_a_crafted_departure_claims_no_more_than_is_outstanding_on_that_batchs_advance(
    fund, account
):
    paid_batch_advance(fund, account, BATCH)
    second = fund.open_account("50000.00")
    # An advance proposed by hand under a batch-like reference is not a batch's advance.
    line = {"payee": HR_ORG, "amount": "500.00", "purpose": "车票", "reference": "hand-made/1"}
    by_hand = finance(fund).propose_outflow(
        account, {"kind": "advance", "expires_at": in_a_day(), "lines": [line]}, key()
    )
    fund.sign_as(fund.county, "chen.sign", by_hand)()
    fund.sign_as(fund.hr, "zhou.sign", by_hand)()
    before = counts(fund)
    crafted = [
        # the batch on another account (its agreement): that account paid no advance for it
        batch_departed(second, BATCH, no_shows=(1, 2, 3)),
        # a batch with no advance request, on the account of the real one
        batch_departed(account, "hand-made", no_shows=(1,)),
    ]
    deliver_departures(fund, *crafted)
    assert counts(fund) == before
    # The real batch, with shares a hundred times larger and a seat that never was: the claim is
    # what the books say is outstanding on the seat, and the seat beyond the advance makes none.
    huge = tuple(share * 100 for share in SHARES)
    inflated = batch_departed(account, BATCH, no_shows=(1,), shares=huge)
    inflated.payload["members"].append(
        dict(inflated.payload["members"][0], seat=9, person_id="p-9", status="no_show")
    )
    deliver_departures(fund, inflated)
    (claim,) = claims(fund, account)["claims"]
    assert (claim["seat"], claim["claimed_fen"]) == (1, SHARES[0])
    assert counts(fund)[2] == before[2]  # no money moved: no journal entry
    assert auditor(fund).get_joint_account(account)["balances_fen"]["advances_outstanding"] == (
        sum(SHARES) + 50_000
    )
    assert auditor(fund).verify_books()["ok"]


def test_only_the_accounts_parties_and_the_countys_auditors_see_the_claims(fund, account):
    paid_batch_advance(fund, account, BATCH)
    deliver_departures(fund, batch_departed(account, BATCH, no_shows=(2,)))
    hr_operator = fund.as_(["hr_operator"], fund.hr, user="hr.op")
    assert len(hr_operator.list_advance_claims(account)["claims"]) == 1
    assert len(finance(fund).list_advance_claims(account, True)["claims"]) == 1
    outsider = fund.as_(["hr_operator"], Party("org-other-company", "hr_company"), user="mallory")
    with pytest.raises(OutOfScope):
        outsider.list_advance_claims(account)
    with pytest.raises(InvalidInput):
        auditor(fund).list_advance_claims(account, open_only="yes")
