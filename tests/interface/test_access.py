"""Every role against every operation of every service, on the real broker with real tokens:
allowed where the matrix says so, FORBIDDEN elsewhere; no token, a forged, expired or other
county's token refused everywhere; a lockout that survives a restart of registry."""

import inspect
import uuid

import pytest
from nameko.rpc import Rpc
from nameko.standalone.rpc import ClusterRpcClient

from dispatch.service import DispatchService
from fund.service import FundService
from notify.service import NotifyService
from registry.service import RegistryService
from sanbao_common.access import PERMISSIONS, ROLES
from settlement.service import SettlementService
from testkit import rpc_outcome as call

SERVICES = [RegistryService, DispatchService, FundService, SettlementService, NotifyService]
# The kind of organisation each role's holder belongs to, and their scope.
HOLDER = {
    "county_admin": ("county_coop", "532501"),
    "coop_operator": ("village_coop", "532501001201"),
    "agent": ("village_coop", "532501001201-03"),
    "hr_operator": ("hr_company", "org-hr"),
    "signatory": ("hr_company", "org-hr"),
    "finance": ("county_coop", "532501"),
    "auditor": ("audit_bureau", "org-audit"),
}


def operations():
    for cls in SERVICES:
        for name in dir(cls):
            for entrypoint in getattr(getattr(cls, name), "nameko_entrypoints", ()):
                if isinstance(entrypoint, Rpc):
                    yield cls.name, name, getattr(cls, name).sanbao_permission


OPERATIONS = sorted(set(operations()))


@pytest.fixture
def stack(container_factory, stack_config):
    for cls in SERVICES:
        container_factory(cls).start()


def blank_arguments(service, method):
    cls = next(c for c in SERVICES if c.name == service)
    parameters = list(inspect.signature(getattr(cls, method)).parameters)[1:]
    return [None] * len(parameters)


def test_every_operation_names_a_permission_of_the_matrix():
    for service, method, permission in OPERATIONS:
        assert permission == "public" or permission in PERMISSIONS, (service, method)
    assert [m for _, m, p in OPERATIONS if p == "public"] == ["login"]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_let_in_exactly_where_the_matrix_says(stack, token_keys, role):
    kind, scope = HOLDER[role]
    token = token_keys.mint([role], kind=kind, scope=scope, username=f"u-{role}")
    outcomes = {
        (service, method): call(token, service, method, *blank_arguments(service, method))
        for service, method, permission in OPERATIONS
        if permission != "public"
    }
    for (service, method), outcome in outcomes.items():
        permission = dict(((s, m), p) for s, m, p in OPERATIONS)[(service, method)]
        allowed = role in PERMISSIONS[permission]
        assert (outcome != "FORBIDDEN") is allowed, (service, method, role, outcome)
        assert not outcome.startswith("TOKEN") and outcome != "UNAUTHENTICATED"


def test_no_operation_runs_without_a_token(stack):
    # Every operation against one running stack (a stack per operation cost minutes per backend
    # once the services had a hundred of them); each outcome is still checked on its own.
    outcomes = {
        (service, method): call(None, service, method, *blank_arguments(service, method))
        for service, method, permission in OPERATIONS
        if permission != "public"
    }
    assert {service for service, _ in outcomes} == {cls.name for cls in SERVICES}  # all walked
    let_in = {operation: outcome for operation, outcome in outcomes.items()
              if outcome != "UNAUTHENTICATED"}  # fmt: skip
    assert let_in == {}


@pytest.mark.parametrize("service", [cls.name for cls in SERVICES])
def test_forged_expired_and_other_county_tokens_are_refused_by_every_service(
    stack, token_keys, tmp_path, service
):
    from testkit import TokenKeys

    impostor = TokenKeys(tmp_path)  # a key the county never published
    assert call(impostor.mint(["county_admin"]), service, "health") == "TOKEN_INVALID"
    assert (
        call(token_keys.mint(["county_admin"], ttl_seconds=-1), service, "health")
        == "TOKEN_EXPIRED"
    )
    assert (
        call(token_keys.mint(["county_admin"], county="532528"), service, "health")
        == "TOKEN_WRONG_COUNTY"
    )
    assert call(token_keys.mint(["county_admin"]) + "x", service, "health") == "TOKEN_INVALID"
    assert (
        call(token_keys.mint(["county_admin"], must_change_password=True), service, "health")
        == "PASSWORD_CHANGE_REQUIRED"
    )
    assert call(token_keys.mint(["county_admin"]), service, "health") == "ok"


def test_a_lockout_survives_a_restart_of_registry(container_factory, stack_config, token_keys):
    registry = container_factory(RegistryService)
    registry.start()
    admin = token_keys.mint(["county_admin"])
    with ClusterRpcClient(context_data={"token": admin}, timeout=10) as client:
        county = client.registry.register_organisation(
            {"kind": "county_coop", "name": "个旧市劳务合作联社", "division_code": "532501"},
            uuid.uuid4().hex,
        )
        created = client.registry.create_user(
            {
                "username": "li.op",
                "display_name": "李秀英",
                "org_id": county["org_id"],
                "roles": ["coop_operator"],
            },
            uuid.uuid4().hex,
        )
    for _ in range(4):
        assert call(None, "registry", "login", "li.op", "wrong") == "SIGN_IN_FAILED"
    assert call(None, "registry", "login", "li.op", "wrong") == "ACCOUNT_LOCKED"
    registry.stop()
    restarted = container_factory(RegistryService)
    restarted.start()
    assert (
        call(None, "registry", "login", "li.op", created["one_time_password"]) == "ACCOUNT_LOCKED"
    )
