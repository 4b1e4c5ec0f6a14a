"""The contract between a batch and the fund, with both services' real code on their own
databases: the `advance_requested` dispatch publishes at approval fits fund_contract.requests
and makes one proposal with one line per seat, on the approver's behalf; what the fund then
publishes (`outflow_proposed`, `outflow_paid` once both organisations signed) reaches the
batch's advance, and departure is refused until it is paid."""

import json

import pytest
from sqlalchemy import select

from batch_support import BatchDesk, cost
from dispatch_support import COUNTY, key
from fund.requests import apply_outflow_requests
from fund_support import Fund
from sanbao_common.db import create_database_engine
from sanbao_common.envelope import parse_envelope
from sanbao_common.errors import DomainError
from sanbao_common.messaging.tables import OUTBOX


@pytest.fixture
def fund(databases, dispatch):
    """The fund's database, knowing the same organisations' seals as dispatch."""
    engine = create_database_engine(databases["fund"])
    made = Fund(engine)
    made.registrar = dispatch.registrar
    made.county.seal, made.hr.seal = dispatch.county.seal, dispatch.hr.seal
    made.confirm_seals()
    yield made
    engine.dispose()


def fund_events(fund, event_type: str) -> list[dict]:
    with fund.db.reader() as uow:
        bodies = uow.connection.execute(
            select(OUTBOX.c.body)
            .where(OUTBOX.c.event_type == event_type)
            .order_by(OUTBOX.c.position)
        ).scalars()
        return [json.loads(body) for body in bodies]


def dispatch_hears(desk, envelope: dict) -> None:
    from dispatch.batches.lifecycle import apply_fund_events

    with desk.dispatch.db.unit_of_work() as uow:
        apply_fund_events(uow, [parse_envelope(envelope, COUNTY)], COUNTY)
        uow.commit()


def test_an_approved_batch_s_advance_is_proposed_signed_and_paid_before_departure(dispatch, fund):
    desk = BatchDesk(dispatch)
    people = desk.people(3)
    order_id = desk.order(head_count=3)
    # The agreement dispatch sealed opens its joint account in the fund, with cash in it.
    (sealed,) = dispatch.events("agreement_sealed")
    (opened,) = fund.deliver(parse_envelope(sealed, COUNTY))
    account_id = sealed["payload"]["agreement_id"]
    fund.register_payees()
    fund.as_(["finance"], user="li.fin").record_inflow(
        account_id, {"kind": "principal_deposit", "amount": "20000.00", "bank_ref": "B-1"}, key()
    )
    fund.certify(fund.county, "sig.county")
    fund.certify(fund.hr, "sig.hr")

    costs = [cost("transport", "person", "300.00"), cost("training", "batch", "100.00")]
    batch = desk.form(order_id, people, costs)
    desk.answer(batch, people)
    approved = desk.approve(batch)
    assert [m["share_fen"] for m in approved["members"]] == [33334, 33333, 33333]

    (request,) = dispatch.events("advance_requested")
    with fund.db.unit_of_work() as uow:
        apply_outflow_requests(uow, [parse_envelope(request, COUNTY)], COUNTY, "dispatch")
        uow.commit()
    assert fund_events(fund, "fund_request_refused") == []
    (proposed,) = fund_events(fund, "outflow_proposed")
    proposal = proposed["payload"]
    assert proposal["request"] == {
        "source": "dispatch",
        "request_key": f"batch:{batch['batch_id']}",
    }
    assert proposal["kind"] == "advance" and proposal["amount_fen"] == 100_000
    assert proposal["proposed_by"] == "li.coop"  # the approver, who cannot sign it
    assert [
        (line["payee"], line["amount_fen"], line["reference"]) for line in proposal["lines"]
    ] == [
        (dispatch.hr.org_id, 33334, f"{batch['batch_id']}/1"),
        (dispatch.hr.org_id, 33333, f"{batch['batch_id']}/2"),
        (dispatch.hr.org_id, 33333, f"{batch['batch_id']}/3"),
    ]

    dispatch_hears(desk, proposed)
    advance = desk.hr.get_batch(batch["batch_id"])["advance"]
    assert (advance["status"], advance["proposal_id"]) == ("proposed", proposal["proposal_id"])
    with pytest.raises(DomainError) as refused:
        desk.depart(batch)
    assert refused.value.code == "ADVANCE_NOT_PAID"

    outflow = fund.as_(["auditor"]).get_outflow(proposal["proposal_id"])
    fund.sign_as(fund.county, "sig.county", outflow)()
    fund.sign_as(fund.hr, "sig.hr", outflow)()
    (paid,) = fund_events(fund, "outflow_paid")
    dispatch_hears(desk, paid)
    assert desk.hr.get_batch(batch["batch_id"])["advance"]["status"] == "paid"
    departed = desk.depart(batch, no_shows=[people[2]])
    assert [m["status"] for m in departed["members"]] == ["departed", "departed", "no_show"]
    assert opened.result == "opened"
