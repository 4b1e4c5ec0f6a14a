"""Small helpers the tests of every tier import (tests/ is on pytest's pythonpath)."""

from __future__ import annotations

import socket
from pathlib import Path

from sanbao_common.config import config_schema

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("registry", "dispatch", "fund", "settlement", "notify")
TEST_COUNTY = "532501"


def service_dir(service: str) -> Path:
    return ROOT / "services" / service


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TokenKeys:
    """A county token key pair for tests: registry signs with the private half, every service
    checks with the public one; `mint` makes a token as registry would after a sign-in."""

    def __init__(self, directory: Path):
        from sanbao_common.crypto import new_signing_key, public_key_text, save_private_key

        self.private_key = new_signing_key()
        self.public = public_key_text(self.private_key)
        self.path = directory / "token-signing-key.pem"
        save_private_key(self.private_key, self.path, None)
        # The fund's own key for checkpoints of its audit chain.
        self.checkpoint_key = new_signing_key()
        self.checkpoint_path = directory / "fund-checkpoint-key.pem"
        save_private_key(self.checkpoint_key, self.checkpoint_path, None)
        # The county's data key, which registry seals ID numbers and phones with.
        from sanbao_common.crypto import DataKey, save_data_key

        self.data_key_path = directory / "data-key"
        save_data_key(self.data_key_path)
        self.data_key = DataKey.load(self.data_key_path)

    def mint(
        self,
        roles,
        *,
        scope=TEST_COUNTY,
        kind="county_coop",
        username="tester",
        county=TEST_COUNTY,
        ttl_seconds=600,
        user_id=None,
        org_id="org-test",
        must_change_password=False,
    ) -> str:
        from datetime import timedelta

        from sanbao_common.access import issue_token

        token, _ = issue_token(
            self.private_key,
            {
                "user_id": user_id or f"user-{username}",
                "username": username,
                "organisation_id": org_id,
                "organisation_kind": kind,
                "roles": tuple(sorted(roles)),
                "scope": scope,
                "county": county,
                "must_change_password": must_change_password,
            },
            timedelta(seconds=ttl_seconds),
        )
        return token


def principal(roles, *, scope=TEST_COUNTY, kind="county_coop", username="tester"):
    from sanbao_common.access import Principal

    return Principal(
        user_id=f"user-{username}",
        username=username,
        organisation_id="org-test",
        organisation_kind=kind,
        roles=tuple(sorted(roles)),
        scope=scope,
        county=TEST_COUNTY,
        expires_at="2999-01-01T00:00:00+00:00",
        token_id="test",
    )


def fake_access(caller):
    """An `Access` for service-tier tests: admits `caller`, a Principal, through the same
    permission and scope checks as the real one."""
    from sanbao_common.access import KnownCallerAccess

    return KnownCallerAccess(caller)


def make_stack_config(amqp_uri: str, databases, token_keys: TokenKeys, services=SERVICES) -> dict:
    """A configuration every service of the stack accepts, validated by their own schemas."""
    common = {
        "COUNTY": TEST_COUNTY,
        "AMQP_URI": amqp_uri,
        "RPC_TIMEOUT_SECONDS": 10,
        "LOG_LEVEL": "INFO",
        "max_workers": 10,
        "TOKEN_PUBLIC_KEYS": token_keys.public,
    }
    config = dict(common)
    for service in services:
        section = {
            "DATABASE_URL": databases[service],
            "HTTP_ADDRESS": f"127.0.0.1:{free_port()}",
        }
        if service == "registry":
            # The cheapest scrypt cost allowed: tests sign in many times.
            section.update(
                TOKEN_SIGNING_KEY_FILE=str(token_keys.path),
                DATA_KEY_FILE=str(token_keys.data_key_path),
                PASSWORD_SCRYPT_N=1024,
            )
        if service == "fund":
            section.update(CHECKPOINT_SIGNING_KEY_FILE=str(token_keys.checkpoint_path))
        config[service] = config_schema(service).load({**common, service: section})[service]
    return config


def eventually(check, within: float = 10.0, interval: float = 0.05):
    """Wait until `check()` returns a truthy value (and return it), or fail after `within` s.

    For effects that happen asynchronously (an acknowledgement, a metric set after a commit);
    it bounds how long a test waits, it does not measure speed."""
    import time

    deadline = time.monotonic() + within
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s (last value: {result!r})")
        time.sleep(interval)
