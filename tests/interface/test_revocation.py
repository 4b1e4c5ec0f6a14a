"""A sign-in withdrawn in registry stops working in every service, on the real broker with real
tokens: deactivation, a removed role, a reset or changed password and a deactivated organisation
void the tokens already issued, registry's at once and the other services' as soon as
the event reaches them (well within the minute the docs promise); a role granted voids nothing.

From the attacker's side: the person whose access is withdrawn keeps every token they were ever
issued and tries each of them against every service."""

import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcClient

from dispatch.service import DispatchService
from fund.service import FundService
from notify.service import NotifyService
from registry.service import RegistryService
from settlement.service import SettlementService
from testkit import eventually
from testkit import rpc_outcome as call

SERVICES = [RegistryService, DispatchService, FundService, SettlementService, NotifyService]
NAMES = [cls.name for cls in SERVICES]
PASSWORD = "红河州-劳务输出-2026"
# The minute the docs promise, as a deadline for waiting: never a measure of speed.
WITHIN = 60


@pytest.fixture
def stack(container_factory, stack_config):
    for cls in SERVICES:
        container_factory(cls).start()


def key() -> str:
    return uuid.uuid4().hex


class County:
    """The county's administrator (a minted token) and what it sets up."""

    def __init__(self, token_keys):
        self.admin = token_keys.mint(["county_admin"])
        with self.client() as client:
            self.coop = client.registry.register_organisation(
                {"kind": "county_coop", "name": "个旧市劳务合作联社", "division_code": "532501"},
                key(),
            )
            self.bureau = client.registry.register_organisation(
                {"kind": "audit_bureau", "name": "个旧市审计局", "division_code": "532501"}, key()
            )

    def client(self, token=None):
        return ClusterRpcClient(context_data={"token": token or self.admin}, timeout=10)

    def person(self, username: str, roles, org) -> tuple[str, str]:
        """A user who has changed their one-time password: (user id, a fresh token)."""
        with self.client() as client:
            created = client.registry.create_user(
                {
                    "username": username,
                    "display_name": "王建国",
                    "org_id": org["org_id"],
                    "roles": list(roles),
                },
                key(),
            )
        with self.client(token="") as anyone:
            first = anyone.registry.login(username, created["one_time_password"])["token"]
        with self.client(token=first) as client:
            client.registry.change_password(created["one_time_password"], PASSWORD)
        return created["user_id"], self.sign_in(username)

    def sign_in(self, username: str) -> str:
        with self.client(token="") as anyone:
            return anyone.registry.login(username, PASSWORD)["token"]


def outcomes(token) -> dict[str, str]:
    return {service: call(token, service, "health") for service in NAMES}


def refused_everywhere(tokens: list[str]) -> bool:
    return all(call(token, service, "health") == "TOKEN_REVOKED" for token in tokens
               for service in NAMES)  # fmt: skip


def test_withdrawn_sign_ins_stop_working_in_every_service(stack, token_keys):
    county = County(token_keys)
    cases = {
        "deactivated": ("zhao.op", ["coop_operator"], county.coop),
        "role_removed": ("qian.op", ["coop_operator", "finance"], county.coop),
        "password_reset": ("sun.op", ["coop_operator"], county.coop),
        "password_changed": ("li.op", ["coop_operator"], county.coop),
        "role_granted": ("zhou.op", ["coop_operator"], county.coop),
        "organisation_deactivated": ("wu.audit", ["auditor"], county.bureau),
    }
    people, tokens = {}, {}
    for case, (username, roles, org) in cases.items():
        people[case], first = county.person(username, roles, org)
        # The attacker keeps every token they were ever issued.
        tokens[case] = [first, county.sign_in(username)]
    for held in tokens.values():
        assert all(outcome == "ok" for token in held for outcome in outcomes(token).values())

    with county.client() as client:
        client.registry.set_user_active(people["deactivated"], False, key())
        client.registry.change_user_roles(people["role_removed"], ["coop_operator"], None, key())
        client.registry.reset_user_password(people["password_reset"], key())
        client.registry.change_user_roles(
            people["role_granted"], ["coop_operator", "finance"], None, key()
        )
        client.registry.deactivate_organisation(county.bureau["org_id"], "撤销机构", key())
    with county.client(token=tokens["password_changed"][0]) as client:
        client.registry.change_password(PASSWORD, PASSWORD + "-新")

    withdrawn = [t for case, held in tokens.items() if case != "role_granted" for t in held]
    # registry recorded each revocation with the change itself: refused there at once.
    assert {call(token, "registry", "health") for token in withdrawn} == {"TOKEN_REVOKED"}
    eventually(lambda: refused_everywhere(withdrawn), within=WITHIN, interval=0.2)
    # Every event above has reached every service: a role granted withdrew nothing.
    for token in tokens["role_granted"]:
        assert set(outcomes(token).values()) == {"ok"}
    # A fresh sign-in after the change works everywhere, with what the account now holds; the
    # people of a deactivated organisation cannot sign in again.
    fresh = county.sign_in("qian.op")
    assert set(outcomes(fresh).values()) == {"ok"}
    assert call(None, "registry", "login", "wu.audit", PASSWORD) == "SIGN_IN_FAILED"


def test_a_deactivated_administrator_cannot_act_with_the_token_in_hand(stack, token_keys):
    """The administrator being removed tries, with the token they still hold, to restore
    themselves and to create an account to come back with."""
    county = County(token_keys)
    rogue_id, rogue = county.person("zheng.admin", ["county_admin", "coop_operator"], county.coop)
    with county.client() as client:
        client.registry.set_user_active(rogue_id, False, key())
    assert call(rogue, "registry", "set_user_active", rogue_id, True, key()) == "TOKEN_REVOKED"
    backdoor = {
        "username": "zheng.backdoor",
        "display_name": "郑某",
        "org_id": county.coop["org_id"],
        "roles": ["county_admin"],
    }
    assert call(rogue, "registry", "create_user", backdoor, key()) == "TOKEN_REVOKED"
    with county.client() as client:
        assert "zheng.backdoor" not in {u["username"] for u in client.registry.list_users()}
        assert client.registry.get_user(rogue_id)["active"] is False
