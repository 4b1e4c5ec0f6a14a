"""registry and dispatch as nameko containers on the real broker and real databases: a change to
a vocabulary imported in registry reaches dispatch's copy through `vocabulary_changed`, and a
copy that lost what it had (an empty table, an old version) is made whole again by `sanbao events
resync dispatch` — the seeded version 1 included, which no event ever carried."""

import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcClient
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import delete, select

from dispatch.adapters.vocabulary_tables import vocabulary_terms, vocabulary_versions
from dispatch.service import DispatchService
from dispatch.vocabulary.queries import known_codes, vocabulary_version
from messaging_helpers import drain, queue_depth
from registry.service import RegistryService
from sanbao_common.db import create_database_engine
from sanbao_common.messaging.subscriptions import find
from sanbao_common.messaging.tables import OUTBOX
from testkit import eventually

QUEUE = find("dispatch", "handle_vocabulary_changed").queue
TILER = {"code": "tiler", "name": "镶贴工", "aliases": ["贴砖工"]}


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def containers(container_factory, stack_config):
    registry = container_factory(RegistryService)
    dispatch = container_factory(DispatchService)
    registry.start()
    dispatch.start()
    return registry, dispatch


@pytest.fixture
def rpc(stack_config, token_keys):
    token = token_keys.mint(["county_admin"])
    with ClusterRpcClient(context_data={"token": token}, timeout=20) as client:
        yield client


@pytest.fixture
def engines(stack_config):
    made = {
        service: create_database_engine(stack_config[service]["DATABASE_URL"], pool_size=1)
        for service in ("registry", "dispatch")
    }
    yield made
    for engine in made.values():
        engine.dispose()


def copy(engine) -> dict:
    with engine.connect() as connection:
        return {
            kind: (vocabulary_version(connection, kind), known_codes(connection, kind, True))
            for kind in ("industry", "skill")
        }


def test_an_imported_change_reaches_dispatchs_copy(containers, rpc, engines):
    _, dispatch = containers
    with entrypoint_waiter(dispatch, "handle_vocabulary_changed"):
        reply = rpc.registry.import_vocabulary("skill", [TILER], key())
    assert reply["version"] == 2
    version, terms = copy(engines["dispatch"])["skill"]
    assert version == 2
    assert terms["tiler"] == dict(TILER, parent=None, retired=False)
    # What dispatch holds is what registry lists.
    listed = rpc.registry.list_vocabulary("skill", True)["terms"]
    assert {t["code"]: t["name"] for t in listed} == {c: t["name"] for c, t in terms.items()}
    assert copy(engines["dispatch"])["industry"][0] == 1


def test_a_resync_makes_a_copy_that_lost_everything_whole(containers, rpc, engines, stack_config):
    _, dispatch = containers
    with entrypoint_waiter(dispatch, "handle_vocabulary_changed"):
        rpc.registry.import_vocabulary("industry", [{"code": "E49", "name": "建筑安装业"}], key())
    whole = copy(engines["dispatch"])
    # The copy is gone, the events with it (the queue drained, registry's outbox pruned).
    drain(stack_config["AMQP_URI"], QUEUE)
    with engines["dispatch"].begin() as connection:
        connection.execute(delete(vocabulary_terms))
        connection.execute(delete(vocabulary_versions))
    with engines["registry"].begin() as connection:
        connection.execute(delete(OUTBOX))
    assert copy(engines["dispatch"]) == {"industry": (None, {}), "skill": (None, {})}
    request = {"consumer": "dispatch", "event_types": ["vocabulary_changed"]}
    reply = rpc.registry.resync_events(request)
    (queue,) = reply["queues"]
    assert (queue["queue"], queue["status"], queue["records"]) == (QUEUE, "resynced", 2)
    eventually(lambda: copy(engines["dispatch"]) == whole)
    assert whole["industry"][0] == 2 and whole["skill"][0] == 1  # the seeded list, too
    # Again: the same versions, nothing changes; and no event was written to the outbox.
    rpc.registry.resync_events(request)
    eventually(lambda: queue_depth(stack_config["AMQP_URI"], QUEUE) == 0)
    assert copy(engines["dispatch"]) == whole
    with engines["registry"].connect() as connection:
        assert connection.execute(select(OUTBOX.c.event_id)).all() == []
