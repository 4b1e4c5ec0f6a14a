"""dispatch's `batch_departed` on the real broker and both databases: a batch whose advance the
fund paid per seat departs with a no-show; the departure delivered twice and replayed in another
event makes one claim, and a departure the fund cannot read is dropped for good (logged), neither
retried nor parked in a dead-letter queue."""

import uuid

import pytest
from prometheus_client import REGISTRY

from fund.service import FundService
from fund_claims_support import SHARES, batch_departed, paid_batch_advance
from fund_support import Fund, key
from messaging_helpers import publish, queue_depth
from sanbao_common.db import create_database_engine
from sanbao_common.envelope import new_envelope
from sanbao_common.messaging import topology as topology_module
from sanbao_common.messaging.subscriptions import find
from sanbao_common.messaging.topology import events_exchange
from testkit import TEST_COUNTY, eventually

HANDLER = "handle_batch_departed"
BATCH = "b-2026-12-007"


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setattr(topology_module, "RETRY_DELAYS_SECONDS", (0.2, 0.4, 0.6))


@pytest.fixture
def fund(stack_config):
    engine = create_database_engine(stack_config["fund"]["DATABASE_URL"])
    yield Fund(engine)
    engine.dispose()


def counted(outcome: str) -> float:
    labels = {"handler": HANDLER, "outcome": outcome}
    return REGISTRY.get_sample_value("sanbao_fund_event_handler_messages_total", labels) or 0.0


def envelope(event) -> dict:
    """The departure as dispatch publishes it."""
    return new_envelope("batch_departed", source="dispatch", county=TEST_COUNTY,
                        payload=event.payload, actor=event.actor, correlation_id="corr-batch",
                        record_id=event.record_id, version=event.version)  # fmt: skip


def test_a_departure_makes_one_claim_per_no_show_whatever_is_redelivered(
    container_factory, stack_config, fund
):
    uri = stack_config["AMQP_URI"]
    account = fund.open_account("50000.00")
    fund.register_payees()
    fund.certify(fund.county, "chen.sign")
    fund.certify(fund.hr, "zhou.sign")
    fund.as_(["finance"], user="li.fin").record_inflow(
        account, {"kind": "principal_deposit", "amount": "20000.00", "bank_ref": "B-1"}, key()
    )
    paid_batch_advance(fund, account, BATCH)
    container = container_factory(FundService)
    container.start()

    departed = envelope(batch_departed(account, BATCH, no_shows=(2,)))
    unreadable = batch_departed(account, "b-other", no_shows=(1,))
    unreadable.payload["members"][0]["seat"] = "1"
    before = counted("applied") + counted("duplicate")
    retried = counted("retried")
    publish(uri, events_exchange("dispatch"), "batch_departed", [departed, departed])
    publish(uri, events_exchange("dispatch"), "batch_departed",
            [dict(departed, event_id=str(uuid.uuid4())), envelope(unreadable)])  # fmt: skip
    eventually(lambda: counted("applied") + counted("duplicate") == before + 4)

    auditor = fund.as_(["auditor"])
    (claim,) = auditor.list_advance_claims(account)["claims"]
    assert (claim["reference"], claim["claimed_fen"], claim["status"]) == (
        f"{BATCH}/2", SHARES[1], "open"
    )  # fmt: skip
    queue = find("fund", HANDLER).queue
    eventually(lambda: queue_depth(uri, queue) == 0)
    assert queue_depth(uri, topology_module.dead_queue(queue)) == 0
    assert counted("retried") == retried
    assert auditor.verify_books()["ok"]
