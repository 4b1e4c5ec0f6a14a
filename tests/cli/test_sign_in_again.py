"""A permission granted after someone signed in: the services decide from the roles their token
carries (those they had when they signed in), so the refusal of their next call says to sign in
again, naming the roles the sign-in carries; signed in again, the same command works. End to end:
registry running on the test's broker, `sanbao` signing in and calling it as a person would."""

import json

import pytest
from nameko import config as nameko_config
from nameko.standalone.rpc import ClusterRpcClient

from cli_support import key
from registry.service import RegistryService

PASSWORD = "李秀英的长密码-2026"


@pytest.fixture
def registry(container_factory, stack_config):
    container_factory(RegistryService).start()


@pytest.fixture
def li(registry, token_keys, cli):
    """li.op, a cooperative operator, signed in through `sanbao` (password changed)."""
    admin = token_keys.mint(["county_admin"])
    with ClusterRpcClient(context_data={"token": admin}, timeout=10) as client:
        coop = client.registry.register_organisation(
            {"kind": "county_coop", "name": "个旧市劳务合作联社", "division_code": "532501"}, key()
        )
        created = client.registry.create_user(
            {"username": "li.op", "display_name": "李秀英", "org_id": coop["org_id"],
             "roles": ["coop_operator"]}, key(),
        )  # fmt: skip

    def sanbao(*args, stdin=None):
        uri = nameko_config["AMQP_URI"]
        return cli(None, "--amqp-uri", uri, *args, home="li", stdin=stdin)

    one_time = created["one_time_password"]
    assert sanbao("login", "li.op", "--password-stdin", stdin=one_time).exit_code == 0
    changed = sanbao("password", "change", "--stdin", stdin=f"{one_time}\n{PASSWORD}\n")
    assert changed.exit_code == 0, changed.output
    assert sanbao("login", "li.op", "--password-stdin", stdin=PASSWORD).exit_code == 0
    return sanbao, created["user_id"], admin


def test_a_role_granted_since_sign_in_is_named_in_the_refusal_and_works_after_it(li):
    sanbao, user_id, admin = li
    assert json.loads(sanbao("whoami", "--json").stdout)["roles"] == ["coop_operator"]
    shown = sanbao("whoami").stdout
    assert "coop_operator" in shown and "['coop_operator']" not in shown  # no Python list

    with ClusterRpcClient(context_data={"token": admin}, timeout=10) as client:
        client.registry.change_user_roles(user_id, ["coop_operator", "county_admin"], None, key())

    refused = sanbao("user", "list")  # users.read: the county administrator's
    assert refused.exit_code == 1
    said = " ".join(refused.stderr.split())
    assert said.startswith("error [FORBIDDEN] ")
    assert "carries the roles you had then (coop_operator)" in said
    assert "sign in again: sanbao login li.op" in said
    assert "须重新登录（sanbao login li.op）后生效" in said  # in Chinese too

    assert sanbao("login", "li.op", "--password-stdin", stdin=PASSWORD).exit_code == 0
    listed = sanbao("user", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert "li.op" in [u["username"] for u in json.loads(listed.stdout)]
