"""An advance is given up, settled or recovered once: a pending write-off claims what it gives
up, as a pending payment reserves its cash; a payment never rests on a signature whose key was
revoked since it signed; and `verify` names an advance given up more than there was."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from fund.adapters.repository import Books
from fund.adapters.tables import audit_log, proposals, signatories
from fund.audit_trail import audit
from fund.exceptions import AdvanceRejected, SignatureRejected
from fund_support import COUNTY, HR_ORG, in_a_day, key
from sanbao_common import ledger
from sanbao_common.context import Caller
from sanbao_common.crypto import fingerprint
from sanbao_common.envelope import parse_envelope
from sanbao_common.messaging.tables import OUTBOX


@pytest.fixture
def account(fund):
    """An account with 100,000.00 in and an advance of 3,000.00 paid against batch b1."""
    account_id = fund.open_account()
    fund.certify(fund.county, "chen.sign")
    fund.certify(fund.hr, "zhou.sign")
    finance = fund.as_(["finance"], user="li.fin")
    finance.record_inflow(
        account_id, {"kind": "principal_deposit", "amount": "100000.00", "bank_ref": "B-0"}, key()
    )
    paid = sign_both(fund, propose(fund, account_id, "advance", "3000.00"))
    assert paid["status"] == "paid"
    return account_id


def propose(fund, account_id, kind, amount, reference="b1"):
    line = {"payee": HR_ORG, "amount": amount, "purpose": "车票", "reference": reference}
    return fund.as_(["finance"], user="li.fin").propose_outflow(
        account_id, {"kind": kind, "expires_at": in_a_day(), "lines": [line]}, key()
    )


def sign_both(fund, proposal):
    fund.sign_as(fund.county, "chen.sign", proposal)()
    return fund.sign_as(fund.hr, "zhou.sign", proposal)()


def vouchers(amount):
    return [{"number": key(), "date": "2026-03-01", "amount": amount, "kind": "meals"}]


def recovery(amount):
    return {"kind": "advance_recovery", "amount": amount, "bank_ref": key(), "reference": "b1"}


def balances(fund, account_id):
    return fund.as_(["auditor"]).get_joint_account(account_id)["balances_fen"]


def test_a_pending_write_off_claims_its_part_of_the_advance(fund, account):
    finance = fund.as_(["finance"], user="li.fin")
    first = propose(fund, account, "write_off", "2000.00")
    # Only the 1,000.00 no write-off claims is left, for anything that takes from the advance.
    with pytest.raises(AdvanceRejected, match="beyond pending write-offs"):
        propose(fund, account, "write_off", "1000.01")
    with pytest.raises(AdvanceRejected):
        finance.settle_advance(account, "b1", vouchers("1000.01"), key())
    with pytest.raises(AdvanceRejected, match="beyond pending write-offs"):
        finance.record_inflow(account, recovery("1000.01"), key())
    second = propose(fund, account, "write_off", "600.00")
    finance.settle_advance(account, "b1", vouchers("300.00"), key())
    finance.record_inflow(account, recovery("100.00"), key())
    with pytest.raises(AdvanceRejected):
        finance.settle_advance(account, "b1", vouchers("0.01"), key())
    assert sign_both(fund, second)["status"] == "paid"
    assert sign_both(fund, first)["status"] == "paid"
    after = balances(fund, account)
    assert after["advances_outstanding"] == 0
    # Charged to the HR company once: 2,600.00 given up and 300.00 spent on vouchers.
    assert after["shortfall_receivable"] == 2_900_00
    assert fund.as_(["auditor"]).verify_books()["ok"]


def test_a_rejected_write_off_gives_its_claim_back(fund, account):
    whole = propose(fund, account, "write_off", "3000.00")
    with pytest.raises(AdvanceRejected):
        propose(fund, account, "write_off", "0.01")
    fund.as_(["signatory"], fund.hr, user="zhou.sign").reject_outflow(
        whole["proposal_id"], "先报账", key()
    )
    fund.as_(["finance"], user="li.fin").settle_advance(account, "b1", vouchers("3000.00"), key())
    assert balances(fund, account)["advances_outstanding"] == 0


def test_a_write_off_is_not_paid_once_what_it_gives_up_is_gone(fund, account):
    """Two write-offs of the whole advance, as could be proposed before claims were reserved:
    the first paid, the second is refused at payment and writes nothing."""
    stale = propose(fund, account, "write_off", "3000.00")
    with fund.engine.begin() as connection:  # its claim lapses for a moment, as in those days
        expires_at = connection.execute(
            select(proposals.c.expires_at).where(proposals.c.proposal_id == stale["proposal_id"])
        ).scalar_one()
        connection.execute(
            update(proposals)
            .where(proposals.c.proposal_id == stale["proposal_id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert sign_both(fund, propose(fund, account, "write_off", "3000.00"))["status"] == "paid"
    with fund.engine.begin() as connection:
        connection.execute(
            update(proposals)
            .where(proposals.c.proposal_id == stale["proposal_id"])
            .values(expires_at=expires_at)
        )
    fund.sign_as(fund.county, "chen.sign", stale)()
    before, records = balances(fund, account), audit_records(fund)
    with pytest.raises(AdvanceRejected, match="less is outstanding"):
        fund.sign_as(fund.hr, "zhou.sign", stale)()
    assert balances(fund, account) == before and audit_records(fund) == records
    outflow = fund.as_(["auditor"]).get_outflow(stale["proposal_id"])
    assert outflow["status"] == "pending"
    assert before["advances_outstanding"] == 0 and before["shortfall_receivable"] == 3_000_00
    assert fund.as_(["auditor"]).verify_books()["ok"]


def audit_records(fund) -> int:
    with fund.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(audit_log)).scalar_one()


def test_verify_names_an_advance_given_up_more_than_there_was(fund, account):
    assert sign_both(fund, propose(fund, account, "write_off", "3000.00"))["status"] == "paid"
    # The same advance written off again, straight into the books (and the chain), as the code
    # before claims were reserved could.
    caller = Caller(COUNTY, "user:li.fin", "corr")
    with fund.db.unit_of_work() as uow:
        books = Books(uow.connection)
        entry = ledger.entry(
            ledger.Posting("write_offs", 3_000_00),
            ledger.Posting("advances_outstanding", -3_000_00, "b1"),
            ledger.Posting("shortfall_receivable", 3_000_00),
            ledger.Posting("charged_to_hr", -3_000_00),
        )
        books.post(account, key(), "outflow:write_off", entry, by=caller.actor, source="again")
        audit(books, caller, "sign_outflow", account, {"proposal_id": "again"})
        uow.commit()
    report = fund.as_(["auditor"]).verify_books()
    assert not report["ok"]
    assert f"account {account}: advance b1 outstanding below zero" in report["problems"], report


def dropped_events(fund) -> list:
    with fund.db.reader() as uow:
        bodies = uow.connection.execute(
            select(OUTBOX.c.body).where(OUTBOX.c.event_type == "outflow_signature_dropped")
        ).scalars()
        return [parse_envelope(json.loads(body), COUNTY) for body in bodies]


def test_a_revoked_keys_signature_leaves_the_proposals_not_yet_paid(fund, account):
    proposal = propose(fund, account, "advance", "500.00", reference="b2")
    chen = fingerprint(fund.county.signatories["chen.sign"])
    fund.sign_as(fund.county, "chen.sign", proposal)()
    fund.revoke(chen)
    auditor = fund.as_(["auditor"])
    assert auditor.get_outflow(proposal["proposal_id"])["signed_by"] == []
    (event,) = dropped_events(fund)
    assert event.record_id == proposal["proposal_id"] and event.version == 3
    assert event.payload["key"] == chen and event.payload["signed_by"] == []
    assert event.payload["waiting_for"] == [fund.county.org_id, fund.hr.org_id]
    with fund.engine.connect() as connection:
        record = connection.execute(
            select(audit_log).where(audit_log.c.command == "signature_dropped")
        ).one()
    assert json.loads(record.detail)["proposal_id"] == proposal["proposal_id"]
    # The HR company's signature alone pays nothing; the county signs again with a valid key.
    assert fund.sign_as(fund.hr, "zhou.sign", proposal)()["status"] == "pending"
    fund.certify(fund.county, "chen.sign")
    assert fund.sign_as(fund.county, "chen.sign", proposal)()["status"] == "paid"
    assert auditor.verify_books()["ok"]


def test_a_signature_by_a_key_revoked_since_never_pays(fund, account):
    """A revocation that reached the fund without dropping the signature (recorded before that
    was done) still keeps it from counting."""
    proposal = propose(fund, account, "advance", "500.00", reference="b2")
    fund.sign_as(fund.county, "chen.sign", proposal)()
    with fund.engine.begin() as connection:
        connection.execute(
            update(signatories)
            .where(signatories.c.fingerprint == fingerprint(fund.county.signatories["chen.sign"]))
            .values(revoked_at=datetime.now(UTC))
        )
    before = balances(fund, account)
    with pytest.raises(SignatureRejected, match="revoked since it signed"):
        fund.sign_as(fund.hr, "zhou.sign", proposal)()
    assert balances(fund, account) == before
    assert fund.as_(["auditor"]).get_outflow(proposal["proposal_id"])["status"] == "pending"
