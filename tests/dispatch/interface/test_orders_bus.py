"""Job orders on the real broker and both databases: a running dispatch takes an HR operator's
order over RPC under its sealed agreement (its token says who and for which company), refuses
callers without the permission or of another company, and its relay publishes the order's
events (no queue subscribes to them yet: they are kept for replay, and no queue of the county
gets anything)."""

import json
import uuid
from datetime import timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import select

from dispatch.adapters.agreement_tables import seals
from dispatch.service import DispatchService
from dispatch_support import COUNTY_ORG, HR_ORG, Party, revenue, subsidy, today
from messaging_helpers import publish, queue_depth
from sanbao_common.crypto import public_key_text
from sanbao_common.db import create_database_engine
from sanbao_common.envelope import new_envelope, parse_envelope
from sanbao_common.messaging.tables import OUTBOX
from sanbao_common.messaging.topology import county_topology, events_exchange
from testkit import TEST_COUNTY, eventually, rpc_outcome


def key() -> str:
    return uuid.uuid4().hex


def seal_confirmed(registrar, party: Party) -> dict:
    confirmation, signature = registrar.confirmation(party.org_id, party.kind, party.seal)
    payload = {
        "org_id": party.org_id, "org_kind": party.kind,
        "fingerprint": confirmation["fingerprint"], "public_key": public_key_text(party.seal),
        "confirmation": confirmation, "confirmation_signature": signature,
    }  # fmt: skip
    return new_envelope(
        "seal_confirmed", source="registry", county=TEST_COUNTY, payload=payload,
        actor="user:cai.registrar", correlation_id="corr-seal", record_id=party.org_id, version=2,
    )  # fmt: skip


@pytest.fixture
def engine(stack_config):
    made = create_database_engine(stack_config["dispatch"]["DATABASE_URL"], pool_size=1)
    yield made
    made.dispose()


def outbox(engine) -> list[tuple[str, bool]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(OUTBOX.c.event_type, OUTBOX.c.published_at, OUTBOX.c.body).order_by(
                OUTBOX.c.position
            )
        )
        return [(r.event_type, r.published_at is not None, r.body) for r in rows]


def sealed_agreement(uri, token_keys, engine) -> str:
    county, hr = Party(COUNTY_ORG, "county_coop"), Party(HR_ORG, "hr_company")
    publish(uri, events_exchange("registry"), "seal_confirmed",
            [seal_confirmed(token_keys.registrar, p) for p in (county, hr)])  # fmt: skip
    year = today().year
    terms = {
        "reference": "个旧人社劳务〔2026〕9号", "county_cooperative": COUNTY_ORG,
        "hr_company": HR_ORG, "principal": "200000.00", "term_start": f"{year}-01-01",
        "term_end": f"{year + 1}-12-31", "bank_name": "富滇银行个旧支行",
        "bank_account": "1234567890123", "revenue": revenue(),
        "subsidies": {"policy": subsidy(), "employer": subsidy()},
    }  # fmt: skip
    admin = token_keys.mint(["county_admin"])
    eventually(lambda: len(seal_rows(engine)) == 2)  # the seals arrive by the bus
    with ClusterRpcClient(context_data={"token": admin}, timeout=20) as rpc:
        drafted = rpc.dispatch.draft_agreement(terms, key())
        signed = drafted["versions"][0]["terms"]
        for party in (county, hr):
            rpc.dispatch.seal_agreement(
                drafted["agreement_id"], 1, party.org_id, party.sign(signed), key()
            )
    return drafted["agreement_id"]


def seal_rows(engine) -> list:
    with engine.connect() as connection:
        return connection.execute(select(seals.c.fingerprint)).all()


def test_an_order_opened_over_the_bus_is_published_and_refused_to_others(
    container_factory, stack_config, token_keys, engine
):
    uri = stack_config["AMQP_URI"]
    container_factory(DispatchService).start()
    agreement_id = sealed_agreement(uri, token_keys, engine)
    depths_before = {q.name: queue_depth(uri, q.name) for q in county_topology().queues}

    hr = token_keys.mint(["hr_operator"], kind="hr_company", org_id=HR_ORG, scope=HR_ORG,
                         username="zhou.hr")  # fmt: skip
    employer = {
        "name": "东莞市长安电子科技有限公司", "credit_code": "91350100M000100Y43",
        "place_scope": "outside_province", "place": "广东省东莞市", "industry": "C39",
    }  # fmt: skip
    order = {
        "agreement_id": agreement_id, "title": "电子厂普工", "head_count": 8,
        "wage_min": "4500.00", "wage_max": "6000.00", "skills": ["assembler"],
        "starts_on": (today() + timedelta(days=10)).isoformat(),
    }  # fmt: skip
    with ClusterRpcClient(context_data={"token": hr}, timeout=20) as rpc:
        order["employer_id"] = rpc.dispatch.register_employer(employer, key())["employer_id"]
        opened = rpc.dispatch.open_job_order(order, key())
        assert rpc.dispatch.get_job_order(opened["order_id"]) == opened
    assert (opened["hr_company"], opened["opened_by"]) == (HR_ORG, "user:zhou.hr")

    # Who else may not: a cooperative's operator (no permission), another company's operator.
    coop = token_keys.mint(["coop_operator"])
    rival = token_keys.mint(["hr_operator"], kind="hr_company", org_id="org-hr-rival",
                            scope="org-hr-rival", username="rival.hr")  # fmt: skip
    assert rpc_outcome(coop, "dispatch", "open_job_order", order, key()) == "FORBIDDEN"
    assert rpc_outcome(rival, "dispatch", "open_job_order", order, key()) == "OUT_OF_SCOPE"
    assert rpc_outcome(rival, "dispatch", "close_job_order", opened["order_id"], "cancelled",
                       "抢单", key()) == "OUT_OF_SCOPE"  # fmt: skip
    assert rpc_outcome(None, "dispatch", "list_job_orders") == "UNAUTHENTICATED"

    with ClusterRpcClient(context_data={"token": hr}, timeout=20) as rpc:
        ended = rpc.dispatch.close_job_order(opened["order_id"], "filled", None, key())
    # Both events published by the relay (the broker confirmed them), in order, nowhere queued.
    eventually(lambda: [(t, p) for t, p, _ in outbox(engine) if t.startswith("job_order_")]
               == [("job_order_opened", True), ("job_order_closed", True)])  # fmt: skip
    bodies = [b for t, _, b in outbox(engine) if t.startswith("job_order_")]
    opened_event, closed_event = (parse_envelope(json.loads(b), TEST_COUNTY) for b in bodies)
    assert (opened_event.payload, closed_event.payload) == (opened, ended)
    assert {q.name: queue_depth(uri, q.name) for q in county_topology().queues} == depths_before
