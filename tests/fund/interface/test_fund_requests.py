"""Requests to the fund by event (fund_contract.requests) on the real broker and both databases:
dispatch's `advance_requested` delivered twice, and asked again under the same request key in
another event, makes one proposal, whose `outflow_proposed` names the request; settlement's
`receivable_requested` likewise records one receivable (and one for each account the same
statement is for); a request the fund cannot act on (a payee without a bank account, a recorded
receivable asked for with another amount) is refused with `fund_request_refused`, neither
retried nor parked in a dead-letter queue.

One container per backend: the joint accounts are opened on the fund's database before it
starts (fund_support), and everything after that reaches the fund through the broker."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import entrypoint_waiter
from prometheus_client import REGISTRY

from fund.schemas import derived_id
from fund.service import FundService
from fund_support import COUNTY_ORG, HR_ORG, VILLAGE_ORG, Fund, key
from messaging_helpers import drain, publish, queue_depth
from sanbao_common.db import create_database_engine
from sanbao_common.envelope import new_envelope
from sanbao_common.messaging import topology as topology_module
from sanbao_common.messaging.admin import connect
from sanbao_common.messaging.subscriptions import find
from sanbao_common.messaging.topology import events_exchange
from testkit import TEST_COUNTY, eventually

OUTFLOWS = "handle_advance_requested"
RECEIVABLES = "handle_receivable_requested"
HEARD = "test.fund-events"  # a queue of this test's own on the fund's exchange
STATEMENT = "个旧劳务结算〔2026〕3号"
PROPOSER = {"user_id": "u-zhou-dd", "username": "zhou.dd", "organisation_id": COUNTY_ORG}


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    """Backoff of 0.2/0.4/0.6 s instead of 1/10/60 s: a retry would show within the test."""
    monkeypatch.setattr(topology_module, "RETRY_DELAYS_SECONDS", (0.2, 0.4, 0.6))


@pytest.fixture
def fund(stack_config):
    """The fund's database as the container will find it, set up before it starts."""
    engine = create_database_engine(stack_config["fund"]["DATABASE_URL"])
    yield Fund(engine)
    engine.dispose()


def counted(handler: str, outcome: str) -> float:
    labels = {"handler": handler, "outcome": outcome}
    return REGISTRY.get_sample_value("sanbao_fund_event_handler_messages_total", labels) or 0.0


def taken(handler: str) -> float:
    """Messages the handler took off its queue for good: applied or dropped as duplicates."""
    return counted(handler, "applied") + counted(handler, "duplicate")


def listen(uri: str) -> None:
    """Bind this test's queue to the fund's events it looks for."""
    connection = connect(uri)
    try:
        channel = connection.channel()
        channel.queue_declare(HEARD, durable=True, auto_delete=False)
        for event_type in ("outflow_proposed", "receivable_recorded", "fund_request_refused"):
            channel.queue_bind(HEARD, events_exchange("fund"), event_type)
    finally:
        connection.close()


class Heard:
    """What the fund published, as this test's queue received it."""

    def __init__(self, uri: str):
        self.uri, self.events = uri, []

    def of(self, event_type: str) -> list[dict]:
        self.events += [json.loads(m.body) for m in drain(self.uri, HEARD)]
        return [e for e in self.events if e["type"] == event_type]


def bank_account_changed(fund: Fund, org_id: str) -> dict:
    """registry's `organisation_bank_account_changed` for one of fund_support's PAYEES."""
    payload = fund.bank_event(org_id).payload
    return new_envelope("organisation_bank_account_changed", source="registry",
                        county=TEST_COUNTY, payload=payload, actor="user:county.admin",
                        correlation_id="corr-bank", record_id=org_id, version=1)  # fmt: skip


def advance_requested(account: str, request_key: str, payee: str) -> dict:
    """dispatch's request for an advance to a batch's payee, on behalf of the dispatcher whose
    approval caused it."""
    payload = {
        "request_key": request_key,
        "account_id": account,
        "lines": [
            {
                "payee": payee,
                "amount_fen": 300_000,
                "purpose": "车票及体检费",
                "reference": "个旧-2026-批次-007",
            },
        ],  # fmt: skip
        "expires_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        "proposer": PROPOSER,
        "replaces": None,
    }
    return new_envelope("advance_requested", source="dispatch", county=TEST_COUNTY,
                        payload=payload, actor=f"user:{PROPOSER['username']}",
                        correlation_id="corr-batch", record_id=request_key, version=1)  # fmt: skip


def receivable_requested(account: str, amount_fen: int) -> dict:
    """settlement's request for March's service revenue the HR company owes on `account`."""
    payload = {
        "account_id": account,
        "kind": "service_revenue",
        "period": "2026-03",
        "counterparty_id": HR_ORG,
        "counterparty_kind": "hr_company",
        "counterparty_name": "红河人力资源服务有限公司",
        "statement_ref": STATEMENT,
        "amount_fen": amount_fen,
    }
    return new_envelope("receivable_requested", source="settlement", county=TEST_COUNTY,
                        payload=payload, actor="user:yang.settle", correlation_id="corr-stmt",
                        record_id=f"{account}:2026-03", version=1)  # fmt: skip


def again(envelope: dict) -> dict:
    """The same request in another event (a new event id): a replay, a resend after a crash."""
    return dict(envelope, event_id=str(uuid.uuid4()))


def test_requests_make_one_proposal_and_one_receivable_and_refusals_are_announced(
    container_factory, stack_config, fund
):
    uri = stack_config["AMQP_URI"]
    account, other_account = fund.open_account("50000.00"), fund.open_account("30000.00")
    fund.as_(["finance"], user="li.fin").record_inflow(
        account, {"kind": "principal_deposit", "amount": "20000.00", "bank_ref": "B-0001"}, key()
    )
    auditor = fund.as_(["auditor"])
    listen(uri)
    heard = Heard(uri)
    container = container_factory(FundService)
    container.start()
    # The HR company's bank account reaches the fund; the village cooperative's never does.
    with entrypoint_waiter(container, "handle_bank_account_changed"):
        publish(uri, events_exchange("registry"), "organisation_bank_account_changed",
                [bank_account_changed(fund, HR_ORG)])  # fmt: skip

    # An advance asked for: delivered twice, and asked again under its key in another event.
    request_key = f"batch:{uuid.uuid4()}:advance"
    advance = advance_requested(account, request_key, HR_ORG)
    before = taken(OUTFLOWS)
    publish(uri, events_exchange("dispatch"), "advance_requested", [advance, advance])
    publish(uri, events_exchange("dispatch"), "advance_requested", [again(advance)])
    eventually(lambda: taken(OUTFLOWS) == before + 3)
    (pending,) = auditor.get_joint_account(account)["pending_outflows"]
    proposal = auditor.get_outflow(pending["proposal_id"])
    assert (proposal["kind"], proposal["amount_fen"]) == ("advance", 300_000)
    (line,) = proposal["lines"]
    assert (line["payee"], line["payee_kind"], line["bank_account"]) == (
        HR_ORG, "organisation", "53050163754100000123",
    )  # fmt: skip
    (row,) = auditor.list_fund_requests(account)
    assert (row["source"], row["request_key"], row["kind"], row["state"], row["record_id"]) == (
        "dispatch", request_key, "outflow", "made", pending["proposal_id"],
    )  # fmt: skip
    (proposed,) = eventually(lambda: heard.of("outflow_proposed"))
    assert proposed["record_id"] == pending["proposal_id"]
    assert proposed["payload"]["request"] == {"source": "dispatch", "request_key": request_key}
    assert proposed["payload"]["proposed_by"] == PROPOSER["user_id"]
    assert proposed["payload"]["lines"] == proposal["lines"]

    # March's service revenue asked for: delivered twice, again in another event, and for the
    # other account (the same statement covers both agreements with the HR company).
    owed = receivable_requested(account, 150_000)
    before = taken(RECEIVABLES)
    publish(uri, events_exchange("settlement"), "receivable_requested", [owed, owed])
    publish(uri, events_exchange("settlement"), "receivable_requested",
            [again(owed), receivable_requested(other_account, 90_000)])  # fmt: skip
    eventually(lambda: taken(RECEIVABLES) == before + 4)
    (receivable,) = auditor.list_receivables(account)["receivables"]
    assert (receivable["amount_fen"], receivable["paid_fen"], receivable["period"]) == (
        150_000, 0, "2026-03",
    )  # fmt: skip
    assert receivable["requested_by"] == "settlement"
    (elsewhere,) = auditor.list_receivables(other_account)["receivables"]
    assert elsewhere["amount_fen"] == 90_000
    eventually(lambda: len(heard.of("receivable_recorded")) == 2)
    assert sorted(e["record_id"] for e in heard.of("receivable_recorded")) == sorted(
        [receivable["receivable_id"], elsewhere["receivable_id"]]
    )
    # What each account lists as asked of it by event, checked at the end (see there).
    listed = {
        account_id: [
            (r["source"], r["state"], r["record_id"])
            for r in auditor.list_fund_requests(account_id)
            if r["kind"] == "receivable"
        ]
        for account_id in (account, other_account)
    }

    # Refused: an advance to a payee the fund knows no bank account of, and the recorded
    # receivable asked for with another amount. Announced, kept off the queues for good.
    refused_key = f"batch:{uuid.uuid4()}:advance"
    retried = counted(OUTFLOWS, "retried") + counted(RECEIVABLES, "retried")
    before_outflows, before_receivables = taken(OUTFLOWS), taken(RECEIVABLES)
    publish(uri, events_exchange("dispatch"), "advance_requested",
            [advance_requested(account, refused_key, VILLAGE_ORG)])  # fmt: skip
    publish(uri, events_exchange("settlement"), "receivable_requested",
            [receivable_requested(account, 160_000)])  # fmt: skip
    eventually(lambda: taken(OUTFLOWS) == before_outflows + 1)
    eventually(lambda: taken(RECEIVABLES) == before_receivables + 1)
    eventually(lambda: len(heard.of("fund_request_refused")) == 2)
    why = {e["record_id"]: e["payload"] for e in heard.of("fund_request_refused")}
    assert why[derived_id("dispatch", refused_key)]["reason"]["code"] == "PAYEE_REJECTED"
    (on_receivable,) = [p for p in why.values() if p["source"] == "settlement"]
    assert on_receivable["reason"]["code"] == "RECEIVABLE_REJECTED"
    assert on_receivable["reason"]["details"]["recorded_fen"] == 150_000
    rows = {r["request_key"]: r for r in auditor.list_fund_requests(account)}
    refused_row = rows[refused_key]
    assert (refused_row["state"], refused_row["reason"], refused_row["record_id"]) == (
        "refused", "PAYEE_REJECTED", None,
    )  # fmt: skip
    assert len(auditor.get_joint_account(account)["pending_outflows"]) == 1  # nothing new
    (unchanged,) = auditor.list_receivables(account)["receivables"]
    assert (unchanged["receivable_id"], unchanged["amount_fen"]) == (
        receivable["receivable_id"], 150_000,
    )  # fmt: skip
    for handler in (OUTFLOWS, RECEIVABLES):
        queue = find("fund", handler).queue
        eventually(lambda queue=queue: queue_depth(uri, queue) == 0)
        assert queue_depth(uri, topology_module.dead_queue(queue)) == 0
    assert counted(OUTFLOWS, "retried") + counted(RECEIVABLES, "retried") == retried

    # Nothing was made twice, nor for a refused request.
    assert len(heard.of("outflow_proposed")) == 1
    assert len(heard.of("receivable_recorded")) == 2

    # Each account lists the request that recorded its receivable: a receivable's business key
    # includes its account (fund_contract.requests.RECEIVABLE_KEY_FIELDS), so the same
    # statement asked for two accounts is two requests, each listed under its own account.
    assert listed == {
        account: [("settlement", "made", receivable["receivable_id"])],
        other_account: [("settlement", "made", elsewhere["receivable_id"])],
    }
