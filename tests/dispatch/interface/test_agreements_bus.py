"""Agreements on the real broker and both databases: a running dispatch takes the parties' seals
from registry's events (a forged confirmation among them changes nothing and is not parked), an
agreement drafted and sealed over RPC reaches the fund's queue as `agreement_sealed`, and a
resync sends its sealed versions to the fund's queue and no other."""

import json
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import select

from dispatch.adapters.agreement_tables import seals
from dispatch.service import DispatchService
from dispatch_support import COUNTY_ORG, HR_ORG, Party, revenue, subsidy, today
from messaging_helpers import drain, publish, queue_depth
from sanbao_common.crypto import new_signing_key, public_key_text
from sanbao_common.db import create_database_engine
from sanbao_common.envelope import new_envelope, parse_envelope
from sanbao_common.messaging.topology import county_topology, dead_queue, events_exchange
from testkit import TEST_COUNTY, eventually

FUND_QUEUE = "fund.handle_agreement_sealed"
SEALS_QUEUE = "dispatch.handle_seal_confirmed"


def key() -> str:
    return uuid.uuid4().hex


def seal_confirmed(registrar, party: Party, registrar_key=None) -> dict:
    """registry's `seal_confirmed`, the confirmation signed by the registrar (or another key)."""
    confirmation, signature = registrar.confirmation(
        party.org_id, party.kind, party.seal, key=registrar_key
    )
    payload = {
        "org_id": party.org_id,
        "org_kind": party.kind,
        "fingerprint": confirmation["fingerprint"],
        "public_key": public_key_text(party.seal),
        "confirmation": confirmation,
        "confirmation_signature": signature,
    }
    return new_envelope(
        "seal_confirmed", source="registry", county=TEST_COUNTY, payload=payload,
        actor="user:cai.registrar", correlation_id="corr-seal", record_id=party.org_id, version=2,
    )  # fmt: skip


@pytest.fixture
def engine(stack_config):
    made = create_database_engine(stack_config["dispatch"]["DATABASE_URL"], pool_size=1)
    yield made
    made.dispose()


def seal_rows(engine) -> dict:
    with engine.connect() as connection:
        return {r.fingerprint: r.status for r in connection.execute(select(seals))}


def others(uri: str) -> dict:
    """Every queue of the county holding a message, but the fund's agreements queue."""
    depths = {q.name: queue_depth(uri, q.name) for q in county_topology().queues}
    return {name: n for name, n in depths.items() if n and name != FUND_QUEUE}


def test_an_agreement_sealed_over_the_bus_reaches_its_consumers_and_a_resync_only_the_fund(
    container_factory, stack_config, token_keys, engine
):
    uri = stack_config["AMQP_URI"]
    container_factory(DispatchService).start()
    county, hr = Party(COUNTY_ORG, "county_coop"), Party(HR_ORG, "hr_company")
    squatter = Party(HR_ORG, "hr_company")
    registrar = token_keys.registrar  # the key the stack's configuration pins
    publish(uri, events_exchange("registry"), "seal_confirmed", [
        seal_confirmed(registrar, squatter, registrar_key=new_signing_key()),
        seal_confirmed(registrar, county),
        seal_confirmed(registrar, hr),
    ])  # fmt: skip
    eventually(lambda: len(seal_rows(engine)) == 2 and queue_depth(uri, SEALS_QUEUE) == 0)
    assert seal_rows(engine) == {
        county.seal_fingerprint: "effective",
        hr.seal_fingerprint: "effective",
    }
    assert queue_depth(uri, dead_queue(SEALS_QUEUE)) == 0  # ignored, not parked
    assert len(drain(uri, "fund.handle_seal_confirmed")) == 3  # no fund running: set aside

    year = today().year
    terms = {
        "reference": "个旧人社劳务〔2026〕5号", "county_cooperative": COUNTY_ORG,
        "hr_company": HR_ORG, "principal": "200000.00", "term_start": f"{year}-01-01",
        "term_end": f"{year + 1}-12-31", "bank_name": "富滇银行个旧支行",
        "bank_account": "1234567890123", "revenue": revenue(),
        "subsidies": {"policy": subsidy(), "employer": subsidy()},
    }  # fmt: skip
    admin = token_keys.mint(["county_admin"])
    with ClusterRpcClient(context_data={"token": admin}, timeout=20) as rpc:
        drafted = rpc.dispatch.draft_agreement(terms, key())
        signed = drafted["versions"][0]["terms"]
        for party in (county, hr):
            rpc.dispatch.seal_agreement(
                drafted["agreement_id"], 1, party.org_id, party.sign(signed), key()
            )
    eventually(lambda: queue_depth(uri, FUND_QUEUE) == 1)
    [published] = [json.loads(m.body) for m in drain(uri, FUND_QUEUE)]
    envelope = parse_envelope(published, TEST_COUNTY)
    assert (envelope.type, envelope.record_id, envelope.version) == (
        "agreement_sealed", drafted["agreement_id"], 1,
    )  # fmt: skip
    assert envelope.payload["terms"] == signed
    # Settlement takes the agreement's rules from the same event, on its own queue.
    assert others(uri) == {"settlement.handle_agreement_sealed": 1}
    drain(uri, "settlement.handle_agreement_sealed")

    with ClusterRpcClient(context_data={"token": admin}, timeout=20) as rpc:
        reply = rpc.dispatch.resync_events({"consumer": "fund"})
    assert [q for q in reply["queues"] if q["queue"] == FUND_QUEUE] == [
        {"queue": FUND_QUEUE, "event_type": "agreement_sealed", "status": "resynced",
         "records": 1, "events": 1},
    ]  # fmt: skip
    [again] = [json.loads(m.body) for m in drain(uri, FUND_QUEUE)]
    assert again["payload"] == published["payload"]
    assert again["event_id"] != published["event_id"]
    assert others(uri) == {}
