"""The stack as an operator runs it: each service its own process (`python -m <service>`),
talking over the test's own vhost, driven with the `sanbao` command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from sanbao_common import clock
from sanbao_common.crypto import public_key_text
from sanbao_common.messaging.admin import (
    ManagementApi,
    apply_topology,
    provision_users,
    vhost_of,
    with_credentials,
)
from sanbao_common.messaging.topology import CLI_USER_ROLE, user_name
from testkit import ROOT, SERVICES, TEST_COUNTY, free_port

BIN = Path(sys.executable).parent
API_URI = "http://guest:guest@127.0.0.1:15672"
REGISTRAR = "the seal registrar's passphrase"  # the registrar key file's


def table_value(text: str, label: str) -> str:
    """The value `sanbao` shows next to `label` in a record table."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 2 and cells[1] == label:
            return cells[2]
    raise AssertionError(f"{label} not shown in:\n{text}")


class RunningStack:
    """Five service processes, each as its own broker user, as `make run` starts them."""

    def __init__(
        self, admin_uri: str, user_uris: dict[str, str], databases, logs: Path, token_keys
    ):
        self.admin_uri = admin_uri
        self.amqp_uri = user_uris["cli"]
        self.logs = logs
        self.addresses = {service: f"127.0.0.1:{free_port()}" for service in SERVICES}
        self.env = dict(
            os.environ,
            COUNTY=TEST_COUNTY,
            LOG_LEVEL="INFO",
            TOKEN_PUBLIC_KEYS=token_keys.public,
            TOKEN_SIGNING_KEY_FILE=str(token_keys.path),
            DATA_KEY_FILE=str(token_keys.data_key_path),
            CHECKPOINT_SIGNING_KEY_FILE=str(token_keys.checkpoint_path),
            # registry's witness keeps only the checkpoints the fund's own key signed.
            FUND_CHECKPOINT_PUBLIC_KEYS=public_key_text(token_keys.checkpoint_key),
            PASSWORD_SCRYPT_N="1024",
            XDG_CONFIG_HOME=str(logs / "config"),
            # The business clock (sanbao_common.clock) of every service: stopped at the stack's
            # start; a test moves it with `set_clock`.
            SANBAO_CLOCK_FILE=str(logs / "business-clock"),
        )
        self.set_clock(datetime.now(UTC))
        self.env.pop("SANBAO_TOKEN", None)
        for service in SERVICES:
            upper = service.upper()
            self.env[f"{upper}_AMQP_URI"] = user_uris[service]
            self.env[f"{upper}_DATABASE_URL"] = databases[service]
            self.env[f"{upper}_HTTP_ADDRESS"] = self.addresses[service]
        self.processes: dict[str, subprocess.Popen] = {}
        self.homes: dict[str, tuple[str, str, str]] = {}  # username -> home, password, user id
        self.registrar_org: str | None = None

    def pin_registrar(self) -> None:
        """The finance bureau's seal registrar makes its key with `sanbao registrar new`; the
        county pins its public half (SEAL_REGISTRAR_KEYS) before the stack starts."""
        self.registrar_key, self.registrar_passphrase = str(self.logs / "registrar.pem"), REGISTRAR
        made = self.cli("registrar", "new", "--out", self.registrar_key, passphrase=REGISTRAR)
        assert made.returncode == 0, made.stderr
        self.registrar_public = table_value(made.stdout, "public key")
        self.env["SEAL_REGISTRAR_KEYS"] = self.registrar_public

    def set_clock(self, instant: datetime) -> None:
        """Move every service's business clock to `instant` (with its offset): they read it
        from the file their CLOCK_FILE names, as soon as it changed."""
        clock.write_file(self.env["SANBAO_CLOCK_FILE"], instant)

    def start(self, *services: str) -> None:
        for service in services or SERVICES:
            log = open(self.logs / f"{service}.log", "ab")  # noqa: SIM115 - the child keeps it
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", service],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        for service in services or SERVICES:
            self.wait_healthy(service)

    def wait_healthy(self, service: str, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.processes[service].poll() is not None:
                raise AssertionError(f"{service} exited:\n{self.log(service)[-3000:]}")
            try:
                if requests.get(self.url(service, "/health"), timeout=1).json()["status"] == "ok":
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.1)
        raise AssertionError(
            f"{service} not healthy within {within} s:\n{self.log(service)[-3000:]}"
        )

    def stop(self, *services: str) -> None:
        for service in services or list(self.processes):
            process = self.processes.pop(service)
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def url(self, service: str, path: str) -> str:
        return f"http://{self.addresses[service]}{path}"

    def metric(self, service: str, name: str) -> float | None:
        for line in requests.get(self.url(service, "/metrics"), timeout=5).text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    def log(self, service: str) -> str:
        return (self.logs / f"{service}.log").read_text(errors="replace")

    def bootstrap(self) -> str:
        """The county's first administrator, as make run creates them: their one-time password."""
        result = subprocess.run(
            [sys.executable, "-m", "registry", "bootstrap", "admin"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return next(
            line.split()[-1] for line in result.stdout.splitlines() if "one-time password" in line
        )

    def sign_in_as_admin(self, password: str = "a county admin's long secret") -> None:
        """Bootstrap, first sign-in, the password change it demands, and the real sign-in."""
        one_time = self.bootstrap()
        assert self.cli("login", "admin", "--password-stdin", stdin=one_time).returncode == 0
        changed = self.cli("password", "change", "--stdin", stdin=f"{one_time}\n{password}\n")
        assert changed.returncode == 0, changed.stderr
        signed_in = self.cli("login", "admin", "--password-stdin", stdin=password)
        assert signed_in.returncode == 0, signed_in.stderr

    def cli_as(self, username: str | None, *args: str, **options) -> subprocess.CompletedProcess:
        """`sanbao ARGS` signed in as `username` (their own token), or as the administrator."""
        home = self.homes[username][0] if username else self.env["XDG_CONFIG_HOME"]
        return self.cli(*args, home=home, **options)

    def ok_as(self, username: str | None, *args: str, **options) -> str:
        result = self.cli_as(username, *args, **options)
        assert result.returncode == 0, result.stderr + result.stdout
        return result.stdout

    def person(self, username: str, org: str, role: str, name: str = "王芳") -> str:
        """A user of `org` created by the administrator, signed in through `sanbao` with a home
        (and token) of their own; returns their user id."""
        created = self.ok_as(
            None, "user", "create", "--username", username, "--name", name, "--org", org,
            "--role", role,
        )  # fmt: skip
        home = str(self.logs / "homes" / username)
        os.makedirs(home)
        one_time, password = table_value(created, "one_time_password"), f"{username} long secret"
        self.homes[username] = (home, password, table_value(created, "user_id"))
        self.ok_as(username, "login", username, "--password-stdin", stdin=one_time)
        self.ok_as(username, "password", "change", "--stdin", stdin=f"{one_time}\n{password}\n")
        self.sign_in(username)
        return self.homes[username][2]

    def sign_in(self, username: str) -> None:
        """Sign in (again: a new token picks up roles granted since, like a signatory's)."""
        self.ok_as(username, "login", username, "--password-stdin", stdin=self.homes[username][1])

    def registrar_desk(self, username: str = "cai.registrar") -> str:
        """The finance bureau, and its auditor who sends the registrar's confirmations."""
        if self.registrar_org is None:
            registered = self.ok_as(
                None, "org", "register", "--kind", "finance_bureau", "--name", "个旧市财政局",
                "--code", TEST_COUNTY,
            )  # fmt: skip
            self.registrar_org = table_value(registered, "org_id")
            self.person(username, self.registrar_org, "auditor", name="蔡文静")
        return username

    def confirm_seal(self, seal_fingerprint: str, filing_ref: str, *extra: str) -> str:
        """The registrar's auditor confirms a submitted seal with the pinned registrar key."""
        return self.ok_as(
            self.registrar_desk(), "seal", "confirm", "--registrar-key", self.registrar_key,
            "--fingerprint", seal_fingerprint, "--filing-ref", filing_ref, *extra,
            passphrase=REGISTRAR,
        )  # fmt: skip

    def cli(
        self, *args: str, stdin: str | None = None, home: str | None = None, passphrase=None
    ) -> subprocess.CompletedProcess:
        """`sanbao ARGS`; `home` holds the token to use, `passphrase` opens a key file."""
        env = dict(self.env)
        if home:
            env["XDG_CONFIG_HOME"] = home
        if passphrase:
            env["SANBAO_KEY_PASSPHRASE"] = passphrase
        return subprocess.run(
            [
                str(BIN / "sanbao"),
                "--amqp-uri",
                self.amqp_uri,
                "--admin-uri",
                self.admin_uri,
                *args,
            ],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )


@pytest.fixture
def broker_users(rabbit_uri):
    """The county's topology and broker users on this test's vhost. User names are broker-wide,
    so they carry a tag of their own rather than a real county's code."""
    apply_topology(rabbit_uri)
    tag = f"t{uuid.uuid4().hex[:8]}"
    passwords = provision_users(ManagementApi(API_URI), vhost_of(rabbit_uri), tag)
    yield {
        role: with_credentials(rabbit_uri, user_name(tag, role), passwords[user_name(tag, role)])
        for role in (*SERVICES, CLI_USER_ROLE)
    }
    for user in passwords:
        requests.delete(f"{API_URI}/api/users/{user}", auth=("guest", "guest"), timeout=10)


@pytest.fixture
def running_stack(rabbit_uri, broker_users, databases, tmp_path, token_keys):
    stack = RunningStack(rabbit_uri, broker_users, databases, tmp_path, token_keys)
    stack.pin_registrar()
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
def signed_in_stack(running_stack):
    """The running stack with its first administrator signed in through `sanbao`."""
    running_stack.sign_in_as_admin()
    return running_stack
