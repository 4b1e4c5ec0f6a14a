"""registry and dispatch as nameko containers on a real broker and real databases: a labourer
registered by RPC reaches dispatch's candidate pool through `labourer_registered`."""

import uuid

import pytest
import requests
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcClient
from nameko.testing.services import entrypoint_waiter
from prometheus_client import REGISTRY

from dispatch.service import DispatchService
from registry.service import RegistryService
from testkit import eventually


@pytest.fixture
def containers(container_factory, stack_config):
    registry = container_factory(RegistryService)
    dispatch = container_factory(DispatchService)
    registry.start()
    dispatch.start()
    return registry, dispatch


@pytest.fixture
def rpc(stack_config, token_keys):
    token = token_keys.mint(["county_admin", "coop_operator"])
    context = {"token": token, "correlation_id": "corr-slice"}
    with ClusterRpcClient(context_data=context, timeout=10) as client:
        yield client


def test_a_registered_labourer_reaches_the_candidate_pool(containers, rpc, sample):
    _, dispatch = containers
    labels = {"handler": "handle_labourer_registered", "outcome": "applied"}
    handled_before = (
        REGISTRY.get_sample_value("sanbao_dispatch_event_handler_messages_total", labels) or 0
    )
    with entrypoint_waiter(dispatch, "handle_labourer_registered"):
        rpc.registry.register_labourer(
            {
                "name": sample.name(),
                "id_number": sample.id_number(),
                "village_code": "532501001201",
            },
            idempotency_key=uuid.uuid4().hex,
        )
    assert rpc.dispatch.count_candidates() == {"candidates": 1}
    eventually(
        lambda: (
            REGISTRY.get_sample_value("sanbao_dispatch_event_handler_messages_total", labels)
            == handled_before + 1
        )
    )


def test_the_pool_is_kept_in_dispatchs_database(containers, rpc, sample, container_factory):
    registry, dispatch = containers
    for _ in range(3):
        with entrypoint_waiter(dispatch, "handle_labourer_registered"):
            rpc.registry.register_labourer(
                {"name": sample.name(), "id_number": sample.id_number(),
                 "village_code": sample.village_code()}, uuid.uuid4().hex,
            )  # fmt: skip
    dispatch.stop()
    restarted = container_factory(DispatchService)
    restarted.start()
    assert rpc.dispatch.count_candidates() == {"candidates": 3}


def test_a_refusal_reaches_the_caller_with_its_code(containers, rpc, sample):
    data = {"name": sample.name(), "id_number": sample.id_number(), "village_code": "532501001201"}
    rpc.registry.register_labourer(data, uuid.uuid4().hex)
    with pytest.raises(RemoteError) as caught:
        rpc.registry.register_labourer(data, uuid.uuid4().hex)
    assert caught.value.exc_type == "LabourerAlreadyRegistered"
    assert caught.value.value.startswith("[LABOURER_ALREADY_REGISTERED] ")


def test_every_entrypoint_is_measured_by_outcome(containers, rpc, sample, stack_config):
    def count(method, outcome):
        return (
            REGISTRY.get_sample_value(
                "sanbao_registry_rpc_requests_total", {"method": method, "outcome": outcome}
            )
            or 0
        )

    before = {o: count("register_labourer", o) for o in ("success", "refused")}
    data = {"name": sample.name(), "id_number": sample.id_number(), "village_code": "532501001201"}
    rpc.registry.register_labourer(data, uuid.uuid4().hex)
    with pytest.raises(RemoteError):
        rpc.registry.register_labourer(data, uuid.uuid4().hex)
    # Counted when the worker finishes, just after the reply has gone: wait for it.
    eventually(lambda: count("register_labourer", "success") == before["success"] + 1)
    eventually(lambda: count("register_labourer", "refused") == before["refused"] + 1)

    address = stack_config["registry"]["HTTP_ADDRESS"]
    body = requests.get(f"http://{address}/metrics", timeout=5).text
    assert "sanbao_registry_labourers_registered 1.0" in body
    assert 'sanbao_registry_rpc_request_duration_seconds_count{method="register_labourer"}' in body
    assert 'sanbao_registry_service_info{county="532501",version="0.1.0"} 1.0' in body
    requests.get(f"http://{address}/metrics", timeout=5)
    body = requests.get(f"http://{address}/metrics", timeout=5).text
    assert (
        'sanbao_registry_http_requests_total{method="GET",outcome="success",route="/metrics"}'
        in body
    )


def test_health_answers_over_http_and_rpc(containers, rpc, stack_config):
    for service in ("registry", "dispatch"):
        address = stack_config[service]["HTTP_ADDRESS"]
        response = requests.get(f"http://{address}/health", timeout=5)
        assert response.status_code == 200
        assert response.json() == {
            "service": service, "version": "0.1.0", "county": "532501", "status": "ok",
            "checks": {"database": "ok"},
        }  # fmt: skip
    assert rpc.registry.health()["status"] == "ok"


def test_a_bug_is_counted_as_an_error_not_a_refusal(containers, rpc):
    before = (
        REGISTRY.get_sample_value(
            "sanbao_registry_rpc_requests_total", {"method": "get_labourer", "outcome": "error"}
        )
        or 0
    )
    with pytest.raises(RemoteError):
        rpc.registry.get_labourer({"unhashable": "argument"})
    eventually(
        lambda: (
            REGISTRY.get_sample_value(
                "sanbao_registry_rpc_requests_total", {"method": "get_labourer", "outcome": "error"}
            )
            == before + 1
        )
    )


def pool_rows(stack_config) -> dict:
    from sqlalchemy import select

    from dispatch.adapters.tables import candidates
    from sanbao_common.db import create_database_engine

    engine = create_database_engine(stack_config["dispatch"]["DATABASE_URL"], pool_size=1)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(candidates)).all()
            return {row.person_id: row for row in rows}
    finally:
        engine.dispose()


def test_updates_poverty_and_merges_reach_the_pool(containers, rpc, stack_config, sample):
    def person(**fields):
        return {
            "name": sample.name(),
            "id_number": sample.id_number(),
            "village_code": "532501001201",
        } | fields

    head = person(household_number="H-9", relation_to_head="户主", poor="否")
    spouse = person(household_number="H-9", relation_to_head="配偶")
    reply = rpc.registry.register_labourers([head, spouse], idempotency_key=uuid.uuid4().hex)
    head_id, spouse_id = (p["person_id"] for p in reply["registered"])
    rpc.registry.update_labourer(
        head_id,
        {"employment_status": "失业", "intention_regions": "广东省"},
        idempotency_key=uuid.uuid4().hex,
    )
    # The household becomes registered poor: both members' states carry it.
    rpc.registry.update_labourer(
        head_id,
        {"household_number": "H-9", "relation_to_head": "户主", "poor": "是",
         "poverty_file_number": "YN0000000009"},
        idempotency_key=uuid.uuid4().hex,
    )  # fmt: skip
    duplicate = rpc.registry.register_labourer(person(), idempotency_key=uuid.uuid4().hex)
    rpc.registry.merge_labourers(
        spouse_id, duplicate["person_id"], "同一人", idempotency_key=uuid.uuid4().hex
    )

    def settled():
        rows = pool_rows(stack_config)
        return (
            len(rows) == 3
            and rows[head_id].willing_to_go
            and rows[head_id].poor
            and rows[spouse_id].poor
            and rows[duplicate["person_id"]].status == "merged"
        )

    eventually(settled, within=20)
    rows = pool_rows(stack_config)
    assert rows[head_id].employment_status == "unemployed"
    assert rows[head_id].intention_regions == ["广东省"]
    assert rpc.dispatch.count_candidates() == {"candidates": 2}  # the merged one is no candidate


def test_a_roster_imported_by_rpc_is_applied_in_the_background_and_reaches_the_pool(
    containers, rpc, stack_config
):
    import base64

    from sanbao_common.sample_rosters import generate_roster_rows, roster_bytes

    content = roster_bytes(generate_roster_rows(1500, seed=17, bad_fraction=0.02), "xlsx")
    status = rpc.registry.start_roster_import(
        "花名册.xlsx", base64.b64encode(content).decode(), idempotency_key=uuid.uuid4().hex
    )
    assert status["status"] == "validating"
    # registry answers while it works through the file
    assert rpc.registry.health()["status"] == "ok"
    done = eventually(
        lambda: (
            (s := rpc.registry.roster_import_status(status["import_id"]))["status"] == "done" and s
        ),
        within=120,
        interval=0.5,
    )
    assert (done["total_rows"], done["registered"], done["refused_rows"]) == (1500, 1470, 30)
    eventually(lambda: rpc.dispatch.count_candidates() == {"candidates": 1470}, within=30)


def test_registry_answers_while_it_writes_a_large_export(containers, rpc, token_keys):
    import base64

    import eventlet

    from sanbao_common.sample_rosters import generate_roster_rows, roster_bytes

    content = roster_bytes(generate_roster_rows(8000, seed=19), "csv")
    status = rpc.registry.start_roster_import(
        "花名册.csv", base64.b64encode(content).decode(), idempotency_key=uuid.uuid4().hex
    )
    eventually(
        lambda: rpc.registry.roster_import_status(status["import_id"])["status"] == "done",
        within=120,
        interval=0.5,
    )
    finished = []

    def export():
        context = {"token": token_keys.mint(["coop_operator"])}
        with ClusterRpcClient(context_data=context, timeout=60) as exporter:
            exported = exporter.registry.export_labourers({}, "xlsx")
        finished.append(("export", exported["rows"]))

    exporting = eventlet.spawn(export)
    # The export is under way after its client connects (≈0.1 s) and runs for about two seconds
    # here; health is asked in between, and must not wait for the workbook.
    eventlet.sleep(0.3)
    assert rpc.registry.health()["status"] == "ok"
    finished.append(("health", None))
    exporting.wait()
    assert finished == [("health", None), ("export", 8000)]
