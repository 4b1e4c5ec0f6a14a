"""The fund's real code beside settlement's, each on its own database (tests of the contract
between them): the fund with its payees and a joint account, what it published, what it hears
of settlement's requests, an HR company's payment and both organisations' signatures."""

import json
from contextlib import contextmanager

from sqlalchemy import select

from fund.requests import apply_outflow_requests
from fund_support import Fund
from sanbao_common.db import create_database_engine
from sanbao_common.envelope import parse_envelope
from sanbao_common.messaging.tables import OUTBOX
from settlement_support import COUNTY, key

TOWNSHIP_ORG = "org-township-001"  # known to settlement; the fund has no bank account for it


@contextmanager
def fund_on(databases):
    """The fund's service on its own test database, every payee of `fund_support.PAYEES`
    known to it."""
    engine = create_database_engine(databases["fund"])
    made = Fund(engine)
    made.register_payees()
    try:
        yield made
    finally:
        engine.dispose()


def funded_account(fund) -> str:
    """A joint account both organisations sealed (their signatories certified), its
    principal deposited: its id (the agreement's)."""
    account_id = fund.open_account()
    fund.certify(fund.county, "chen.sign")
    fund.certify(fund.hr, "zhou.sign")
    fund.as_(["finance"], user="li.fin").record_inflow(
        account_id,
        {"kind": "principal_deposit", "amount": "100000.00", "bank_ref": "ICBC-0001"},
        key(),
    )
    return account_id


def fund_events(fund, event_type: str) -> list[dict]:
    with fund.db.reader() as uow:
        bodies = uow.connection.execute(
            select(OUTBOX.c.body)
            .where(OUTBOX.c.event_type == event_type)
            .order_by(OUTBOX.c.position)
        ).scalars()
        return [json.loads(body) for body in bodies]


def fund_hears(fund, body: dict, apply=apply_outflow_requests) -> None:
    with fund.db.unit_of_work() as uow:
        apply(uow, [parse_envelope(body, COUNTY)], COUNTY, "settlement")
        uow.commit()


def pay(fund, account_id: str, amount: str, bank_ref: str) -> None:
    credit = {"kind": "service_revenue", "amount": amount, "bank_ref": bank_ref,
              "pays": "oldest_first"}  # fmt: skip
    fund.as_(["finance"], fund.hr, user="hr.fin").record_inflow(account_id, credit, key())


def sign_both(fund, proposal_id: str) -> None:
    outflow = fund.as_(["auditor"]).get_outflow(proposal_id)
    fund.sign_as(fund.county, "chen.sign", outflow)()
    fund.sign_as(fund.hr, "zhou.sign", outflow)()
