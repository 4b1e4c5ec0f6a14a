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
        # The county's seal registrar, pinned in every service's configuration.
        self.registrar = Registrar()

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


class Registrar:
    """A seal registrar (the finance bureau's): its own key, pinned in the county's
    configuration, signs confirmations and revocations of organisations' seals."""

    def __init__(self, county: str = TEST_COUNTY):
        from sanbao_common.crypto import new_signing_key, public_key_text

        self.county = county
        self.key = new_signing_key()
        self.public = public_key_text(self.key)

    @property
    def keys(self) -> dict:
        from sanbao_common.seals import parse_registrar_keys

        return parse_registrar_keys(self.public)

    def confirmation(self, org_id, org_kind, seal_key, *, replaces=None, key=None):
        """(confirmation, signature) that `seal_key` is `org_id`'s seal, signed by this
        registrar (or by `key`, an attacker's stand-in)."""
        from datetime import UTC, datetime

        from sanbao_common.crypto import fingerprint, public_key_text, sign, statement_bytes

        signer = key or self.key
        confirmation = {
            "purpose": "confirm_seal",
            "county": self.county,
            "organisation_id": org_id,
            "organisation_kind": org_kind,
            "fingerprint": fingerprint(seal_key),
            "public_key": public_key_text(seal_key),
            "filing_ref": "个旧财金备〔2026〕7号",
            "replaces": replaces,
            "registrar": fingerprint(signer),
            "confirmed_at": datetime.now(UTC).isoformat(),
        }
        return confirmation, sign(signer, statement_bytes(confirmation))

    def revocation(self, org_id, seal_fingerprint, reason="印鉴遗失"):
        from datetime import UTC, datetime

        from sanbao_common.crypto import fingerprint, sign, statement_bytes

        statement = {
            "purpose": "revoke_seal",
            "county": self.county,
            "organisation_id": org_id,
            "fingerprint": seal_fingerprint,
            "filing_ref": "个旧财金备〔2026〕8号",
            "reason": reason,
            "registrar": fingerprint(self.key),
            "revoked_at": datetime.now(UTC).isoformat(),
        }
        return statement, sign(self.key, statement_bytes(statement))


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
    from sanbao_common.crypto import public_key_text

    common = {
        "COUNTY": TEST_COUNTY,
        "AMQP_URI": amqp_uri,
        "RPC_TIMEOUT_SECONDS": 10,
        "LOG_LEVEL": "INFO",
        "max_workers": 10,
        "TOKEN_PUBLIC_KEYS": token_keys.public,
        "SEAL_REGISTRAR_KEYS": token_keys.registrar.public,
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
                FUND_CHECKPOINT_PUBLIC_KEYS=public_key_text(token_keys.checkpoint_key),
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


def rpc_outcome(token, service: str, method: str, *args) -> str:
    """What a call ends with over the real broker: 'ok', or the error code it was refused with."""
    from nameko.exceptions import RemoteError
    from nameko.standalone.rpc import ClusterRpcClient

    context = {"token": token} if token else {}
    with ClusterRpcClient(context_data=context, timeout=10) as client:
        target = getattr(getattr(client, service), method)
        try:
            target(*args)
            return "ok"
        except RemoteError as exc:
            return (
                exc.value.split("]")[0].lstrip("[") if exc.value.startswith("[") else exc.exc_type
            )


def workbook(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx of the given sheets (name -> rows), in order: a roster as a test writes it."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
