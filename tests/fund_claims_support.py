"""A batch's advance as dispatch asks for it (`advance_requested`, one line per seat) and its
departure (`batch_departed`, the batch's whole state), delivered to the fund's handlers as its
consumers apply them; for the fund's claims tests and `sanbao fund claims`."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from fund.claims import apply_departures
from fund.requests import apply_outflow_requests
from fund_support import COUNTY, COUNTY_ORG, HR_ORG, in_a_day

APPROVER = "wang.coop"  # the county cooperative's person who approved the batch
SHARES = (40_000, 35_000, 35_000)  # each seat's share of the batch's costs, in fen
PEOPLE = (("p-1", "李四"), ("p-2", "王五"), ("p-3", "赵六"))


def advance_requested(account_id: str, batch_id: str, shares=SHARES, **changes):
    """dispatch's `advance_requested` at a batch's approval: one line per seat."""
    payload = {
        "request_key": f"batch:{batch_id}",
        "account_id": account_id,
        "lines": [
            {
                "payee": HR_ORG,
                "amount_fen": share,
                "purpose": f"输送批次预支：{PEOPLE[seat - 1][1]}",
                "reference": f"{batch_id}/{seat}",
            }
            for seat, share in enumerate(shares, start=1)
        ],
        "expires_at": in_a_day(),
        "proposer": {"user_id": APPROVER, "username": APPROVER, "organisation_id": COUNTY_ORG},
        "replaces": None,
    }
    return SimpleNamespace(
        type="advance_requested",
        event_id=uuid.uuid4(),
        actor=f"user:{APPROVER}",
        correlation_id="corr",
        record_id=None,
        version=None,
        payload=dict(payload, **changes),
    )


def batch_state(account_id: str, batch_id: str, no_shows=(), version=7, shares=SHARES, **changes):
    """The batch's state at departure (dispatch_contract.batches): seats 1..n, those in
    `no_shows` did not show up."""
    members = [
        {
            "person_id": person_id,
            "name": name,
            "id_number_masked": "5325**********123X",
            "village_code": "532501100201",
            "agent_id": "agent-1",
            "status": "no_show" if seat in no_shows else "departed",
            "seat": seat,
            "share_fen": share,
            "invited_on": "2026-11-20",
            "responded_on": "2026-11-21",
        }
        for seat, ((person_id, name), share) in enumerate(zip(PEOPLE, shares, strict=True), start=1)
    ]
    state = {
        "batch_id": batch_id,
        "order_id": "order-1",
        "agreement_id": account_id,
        "hr_company": HR_ORG,
        "employer_id": "emp-1",
        "employer_name": "中山市富盛电子有限公司",
        "place_scope": "省外",
        "place": "广东省中山市",
        "title": "电子厂普工",
        "status": "departed",
        "costs": [{"kind": "transport", "per": "person", "amount_fen": 35_000}],
        "advance_fen": sum(shares),
        "advance": {"status": "paid", "request_key": f"batch:{batch_id}", "proposal_id": "x",
                    "reason": None, "expires_at": in_a_day()},
        "members": members,
        "substitutions": [],
        "formed_at": "2026-11-20T02:00:00+00:00",
        "formed_by": "user:hr.op",
        "approved_at": "2026-11-22T02:00:00+00:00",
        "approved_by": f"user:{APPROVER}",
        "departed_on": "2026-11-25",
        "arrived_on": None,
        "cancelled_reason": None,
        "version": version,
    }  # fmt: skip
    return dict(state, **changes)


def batch_departed(account_id: str, batch_id: str, no_shows=(), record_id=None, **changes):
    state = batch_state(account_id, batch_id, no_shows, **changes)
    return SimpleNamespace(
        type="batch_departed",
        event_id=uuid.uuid4(),
        actor="user:hr.op",
        correlation_id="corr",
        record_id=batch_id if record_id is None else record_id,
        version=state["version"],
        payload=state,
    )


def deliver_requests(fund, *events) -> None:
    with fund.db.unit_of_work() as uow:
        apply_outflow_requests(uow, list(events), COUNTY, "dispatch")
        uow.commit()


def deliver_departures(fund, *events) -> None:
    with fund.db.unit_of_work() as uow:
        apply_departures(uow, list(events), COUNTY)
        uow.commit()


def paid_batch_advance(fund, account_id: str, batch_id: str, shares=SHARES) -> dict:
    """The batch's advance asked for by dispatch and signed by one signatory of each party
    (chen.sign and zhou.sign, certified already): the proposal as paid."""
    deliver_requests(fund, advance_requested(account_id, batch_id, shares))
    auditor = fund.as_(["auditor"])
    (made,) = [
        r for r in auditor.list_fund_requests(account_id) if r["request_key"] == f"batch:{batch_id}"
    ]
    proposal = auditor.get_outflow(made["record_id"])
    fund.sign_as(fund.county, "chen.sign", proposal)()
    return fund.sign_as(fund.hr, "zhou.sign", proposal)()
