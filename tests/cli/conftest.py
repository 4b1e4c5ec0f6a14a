"""`sanbao` run in-process (click's runner) against the real services: their entrypoints run as
nameko workers on the test's own databases (`Workers`), or whole containers on the test's
broker vhost (the CLI then connects to it as any client would)."""

from __future__ import annotations

import dataclasses
import threading
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from nameko import config as nameko_config
from nameko.testing.services import worker_factory

from cli_support import PASSPHRASE, key
from registry.service import RegistryService
from sanbao_common.context import Caller
from sanbao_common.db import DatabaseHandle, create_database_engine
from testkit import TEST_COUNTY, fake_access, principal


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """`cli(stack, *args, home=..., stdin=...)`: `sanbao ARGS` in-process, its calls going to
    `stack` (anything with `call(service, method, *args, **kwargs)`), or to the broker when
    `stack` is None; `home` holds the user's token and kept requests."""
    from sanbao_cli.client import StackClient
    from sanbao_cli.main import cli as sanbao

    real_call = StackClient.call

    def invoke(stack, *args, home="home", stdin=None, token=""):
        if stack is None:
            monkeypatch.setattr(StackClient, "call", real_call)
        else:
            monkeypatch.setattr(StackClient, "call", lambda self, *a, **k: stack.call(*a, **k))
        env = {
            "XDG_CONFIG_HOME": str(tmp_path / home),
            "SANBAO_KEY_PASSPHRASE": PASSPHRASE,
            "SANBAO_TOKEN": token,
            "COUNTY": TEST_COUNTY,
            "SANBAO_VAR_DIR": str(tmp_path / "var"),
            "SANBAO_AMQP_URI": None,  # unset: only --amqp-uri, or nothing
            "SANBAO_ADMIN_AMQP_URI": None,
        }
        return CliRunner().invoke(sanbao, list(args), env=env, input=stdin, catch_exceptions=False)

    return invoke


@pytest.fixture
def registry_db(databases):
    engine = create_database_engine(databases["registry"])
    yield DatabaseHandle(engine, threading.Lock())
    engine.dispose()


@pytest.fixture
def registry_as(registry_db, token_keys):
    """`registry_as(roles, org=None, username=...)`: a registry worker acting for that caller
    (a member of `org`, a registry reply, when given)."""
    section = {"TOKEN_TTL_SECONDS": 600, "PASSWORD_SCRYPT_N": 1024, "STALE_AFTER_DAYS": 180}
    with nameko_config.patch({"COUNTY": TEST_COUNTY, "registry": section}):

        def make(roles, org=None, username="admin"):
            who = principal(roles, username=username)
            if org is not None:
                scope = TEST_COUNTY if org["kind"].endswith("coop") else org["org_id"]
                who = dataclasses.replace(
                    who, organisation_id=org["org_id"], organisation_kind=org["kind"], scope=scope
                )
            context = SimpleNamespace(caller=lambda: Caller(TEST_COUNTY, f"user:{username}", "c"))
            return worker_factory(
                RegistryService,
                db=registry_db,
                context=context,
                token_key=token_keys.private_key,
                access=fake_access(who),
                registrar_keys=token_keys.registrar.keys,
                data_key=token_keys.data_key,
            )

        yield make


@pytest.fixture
def hr_company(registry_as):
    """An HR company registered by the county's administrator."""
    return registry_as(["county_admin"]).register_organisation(
        {"kind": "hr_company", "name": "红河人力资源有限公司", "credit_code": "91532501MA6K2XQ93P"},
        key(),
    )
