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
