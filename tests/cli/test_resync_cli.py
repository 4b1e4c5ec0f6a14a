"""`sanbao events resync CONSUMER`: the real services' entrypoints on the test's databases and
broker. It asks every publisher the consumer follows, registry first, for the current state of
its records; the events reach that consumer's queues; what it cannot be asked (an unknown
consumer or event type) is refused before anything is sent; an operator without the
permission gets one line with the code; and it waits long enough for a county's records."""

import json
import threading
import uuid
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from cli_support import Workers
from dispatch.resync import RESYNC_SOURCES as DISPATCH_SOURCES
from dispatch.service import DispatchService
from fund.service import FundService
from messaging_helpers import drain
from registry.resync import RESYNC_SOURCES as REGISTRY_SOURCES
from registry.service import RegistryService
from sanbao_cli.commands.bus import RESYNC_TIMEOUT
from sanbao_cli.session import Session
from sanbao_common.context import Caller
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.messaging.resync import Resyncer
from settlement.service import SettlementService
from testkit import TEST_COUNTY, fake_access, principal


@pytest.fixture
def handles(stack_config):
    made = {
        service: DatabaseHandle(
            create_database_engine(stack_config[service]["DATABASE_URL"]), threading.Lock()
        )
        for service in ("registry", "dispatch", "fund", "settlement")
    }
    yield made
    for handle in made.values():
        handle.engine.dispose()


@pytest.fixture
def stack(handles, stack_config, token_keys):
    """`stack(roles)`: registry, dispatch, the fund and settlement as one caller with `roles`
    reaches them."""
    sources = {
        "registry": REGISTRY_SOURCES, "dispatch": DISPATCH_SOURCES, "fund": {}, "settlement": {}
    }  # fmt: skip

    def make(roles=("county_admin",)):
        context = SimpleNamespace(caller=lambda: Caller(TEST_COUNTY, "cli:admin", "corr-cli"))
        common = {"context": context, "access": fake_access(principal(roles))}
        registrar = {"registrar_keys": token_keys.registrar.keys}
        own = {
            "registry": {"data_key": token_keys.data_key, "token_key": token_keys.private_key,
                         **registrar},
            "dispatch": registrar,
        }  # fmt: skip
        workers = {
            service: worker_factory(
                cls,
                db=handles[service],
                **common,
                **own.get(service, {}),
                resync=Resyncer(
                    handles[service], service, stack_config["AMQP_URI"], sources[service]
                ),
            )  # fmt: skip
            for service, cls in (
                ("registry", RegistryService),
                ("dispatch", DispatchService),
                ("fund", FundService),
                ("settlement", SettlementService),
            )
        }
        return Workers(**workers)

    return make


@pytest.fixture
def people(stack, sample) -> list[str]:
    reply = stack().workers["registry"].register_labourers(
        [{"name": sample.name(), "id_number": sample.id_number(),
          "village_code": "532501001201"} for _ in range(3)], uuid.uuid4().hex,
    )  # fmt: skip
    return [p["person_id"] for p in reply["registered"]]


def test_a_resync_to_dispatch_asks_registry_and_reaches_dispatchs_queue(
    cli, stack, people, stack_config
):
    workers = stack()
    result = cli(workers, "events", "resync", "dispatch")
    assert result.exit_code == 0, result.output
    # registry first; the fund, whose news of batches' advances dispatch consumes, has no source
    # for them (what its outbox keeps can be replayed instead).
    assert workers.calls == [("registry", "resync_events"), ("fund", "resync_events")]
    lines = result.stdout.splitlines()
    (paid,) = [line for line in lines if "dispatch.handle_outflow_paid" in line]
    assert "no resync source" in paid
    (updated,) = [line for line in lines if "dispatch.handle_labourer_updated" in line]
    assert "labourer_updated" in updated and "published" in updated and " 3 " in updated
    (registered,) = [line for line in lines if "dispatch.handle_labourer_registered" in line]
    assert "no resync source" in registered
    assert "sanbao events replay" in result.stdout  # what a queue without a source can do
    (delivered,) = drain(stack_config["AMQP_URI"], "dispatch.handle_labourer_updated")
    states = json.loads(delivered.body)["payload"]["people"]
    assert sorted(s["person_id"] for s in states) == sorted(people)


def test_one_event_type_and_json_for_scripts(cli, stack, people, stack_config):
    workers = stack()
    result = cli(workers, "events", "resync", "dispatch", "--event", "labourer_updated", "--json")
    assert result.exit_code == 0, result.output
    (reply,) = json.loads(result.stdout)
    assert reply["source"] == "registry"
    assert reply["queues"] == [
        {"queue": "dispatch.handle_labourer_updated", "event_type": "labourer_updated",
         "status": "resynced", "records": 3, "events": 1},
    ]  # fmt: skip


def test_a_consumer_of_several_publishers_asks_registry_first(cli, stack):
    """The fund relies on registry's seals to check dispatch's agreements: seals go first; the
    requests settlement will send have no source, and say so."""
    workers = stack()
    result = cli(workers, "events", "resync", "fund", "--json")
    assert result.exit_code == 0, result.output
    assert workers.calls == [
        ("registry", "resync_events"), ("dispatch", "resync_events"),
        ("settlement", "resync_events"),
    ]  # fmt: skip
    replies = json.loads(result.stdout)
    assert [r["source"] for r in replies] == ["registry", "dispatch", "settlement"]
    assert {q["queue"] for r in replies for q in r["queues"]} >= {
        "fund.handle_seal_confirmed", "fund.handle_agreement_sealed",
        "fund.handle_bank_account_changed",
    }  # fmt: skip
    (settlement,) = [r for r in replies if r["source"] == "settlement"]
    assert {q["status"] for q in settlement["queues"]} == {"no_source"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nobody"], "no consumer named nobody: one of dispatch, fund, notify"),
        (["dispatch.handle_labourer_updated"], "no consumer named"),
        (["dispatch", "--event", "seal_submitted"], "dispatch consumes no seal_submitted"),
        (["fund", "--event", "labourer_updated"], "fund consumes no labourer_updated"),
    ],
)
def test_what_nobody_consumes_is_refused_before_anything_is_sent(cli, args, says):
    workers = Workers()
    result = cli(workers, "events", "resync", *args)
    assert result.exit_code == 2 and says in " ".join(result.stderr.split())
    assert workers.calls == []


def test_an_operator_without_the_permission_gets_one_line_with_the_code(cli, stack, stack_config):
    result = cli(stack(("coop_operator",)), "events", "resync", "dispatch")
    assert result.exit_code == 1
    assert "[FORBIDDEN]" in result.stderr
    assert drain(stack_config["AMQP_URI"], "dispatch.handle_labourer_updated") == []


def test_it_waits_long_enough_for_a_county_unless_told_otherwise(cli, stack, monkeypatch):
    waited = []
    real = Session.client

    def client(self, timeout):
        waited.append(timeout)
        return real(self, timeout)

    monkeypatch.setattr(Session, "client", client)
    assert cli(stack(), "events", "resync", "dispatch").exit_code == 0
    assert max(waited) == RESYNC_TIMEOUT == 600
    waited.clear()
    assert cli(stack(), "--timeout", "30", "events", "resync", "dispatch").exit_code == 0
    assert waited == [30]
