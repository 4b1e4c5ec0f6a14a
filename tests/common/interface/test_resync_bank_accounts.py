"""Organisations' bank accounts resynced from registry to the fund, on the real broker and both
databases: each organisation's current account, as its last event carried it, reaches the
fund's queue and no other, and nothing is written to registry's outbox."""

import json
import threading
import uuid
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import func, select

from messaging_helpers import drain, queue_depth
from registry.resync import RESYNC_SOURCES
from registry.service import RegistryService
from sanbao_common.context import Caller
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.envelope import parse_envelope
from sanbao_common.messaging.resync import Resyncer
from sanbao_common.messaging.tables import OUTBOX
from sanbao_common.messaging.topology import county_topology
from testkit import TEST_COUNTY, fake_access, principal

EVENT = "organisation_bank_account_changed"
QUEUE = "fund.handle_bank_account_changed"
OPERATOR = Caller(TEST_COUNTY, "cli:admin", "corr-resync")


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def registry_db(stack_config):
    engine = create_database_engine(stack_config["registry"]["DATABASE_URL"])
    yield DatabaseHandle(engine, threading.Lock())
    engine.dispose()


def published(db) -> list[dict]:
    with db.reader() as uow:
        bodies = uow.connection.execute(
            select(OUTBOX.c.body).where(OUTBOX.c.event_type == EVENT).order_by(OUTBOX.c.position)
        )
        return [json.loads(body) for body in bodies.scalars()]


def outbox_size(db) -> int:
    with db.reader() as uow:
        return uow.connection.execute(select(func.count()).select_from(OUTBOX)).scalar()


def test_each_organisations_current_account_reaches_the_fund_only(
    registry_db, token_keys, stack_config
):
    context = SimpleNamespace(caller=lambda: Caller(TEST_COUNTY, "user:wang.admin", "c"))
    admin = worker_factory(
        RegistryService, db=registry_db, context=context,
        access=fake_access(principal(["county_admin"], username="wang.admin")),
        token_key=token_keys.private_key, registrar_keys=token_keys.registrar.keys,
        data_key=token_keys.data_key,
    )  # fmt: skip
    coop = admin.register_organisation(
        {"kind": "county_coop", "name": "个旧市劳务合作联社", "division_code": TEST_COUNTY}, key()
    )
    hr = admin.register_organisation(
        {"kind": "hr_company", "name": "红河人力资源有限公司", "credit_code": "91532501MA6K2XQ93P"},
        key(),
    )
    admin.register_organisation(  # an organisation without an account sends nothing
        {"kind": "finance_bureau", "name": "个旧市财政局", "division_code": TEST_COUNTY}, key()
    )
    admin.set_bank_account(
        coop["org_id"],
        {"bank_name": "中国农业银行个旧支行", "account_name": "个旧市劳务合作联社",
         "account_number": "24050101040012345"},
        "开立基本存款账户", key(),
    )  # fmt: skip
    for number, reason in (("53050163630800000123", "开户"), ("2000123456789012", "变更开户行")):
        admin.set_bank_account(
            hr["org_id"],
            {"bank_name": "中国建设银行红河分行", "account_name": "红河人力资源有限公司",
             "account_number": number},
            reason, key(),
        )  # fmt: skip
    latest = {event["record_id"]: event for event in published(registry_db)}
    before = outbox_size(registry_db)

    resyncer = Resyncer(registry_db, "registry", stack_config["AMQP_URI"], RESYNC_SOURCES)
    reply = resyncer.to_consumer({"consumer": "fund", "event_types": [EVENT]}, OPERATOR)

    assert reply["queues"] == [
        {"queue": QUEUE, "event_type": EVENT, "status": "resynced", "records": 2, "events": 2}
    ]
    uri = stack_config["AMQP_URI"]
    delivered = [parse_envelope(json.loads(m.body), TEST_COUNTY) for m in drain(uri, QUEUE)]
    assert sorted(e.record_id for e in delivered) == sorted([coop["org_id"], hr["org_id"]])
    for envelope in delivered:
        last = latest[envelope.record_id]
        assert (envelope.version, envelope.payload) == (last["version"], last["payload"])
        assert (envelope.actor, envelope.correlation_id) == ("cli:admin", "corr-resync")
    assert {e.record_id: e.version for e in delivered}[hr["org_id"]] == 2
    others = {q.name: queue_depth(uri, q.name) for q in county_topology().queues}
    assert {name: depth for name, depth in others.items() if depth} == {}
    assert outbox_size(registry_db) == before  # a resync is a copy of state, not news
