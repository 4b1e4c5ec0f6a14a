"""The stack as an operator runs it: each service its own process (`python -m <service>`),
talking over the test's own vhost, driven with the `sanbao` command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

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
            PASSWORD_SCRYPT_N="1024",
            XDG_CONFIG_HOME=str(logs / "config"),
        )
        self.env.pop("SANBAO_TOKEN", None)
        for service in SERVICES:
            upper = service.upper()
            self.env[f"{upper}_AMQP_URI"] = user_uris[service]
            self.env[f"{upper}_DATABASE_URL"] = databases[service]
            self.env[f"{upper}_HTTP_ADDRESS"] = self.addresses[service]
        self.processes: dict[str, subprocess.Popen] = {}

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

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                str(BIN / "sanbao"),
                "--amqp-uri",
                self.amqp_uri,
                "--admin-uri",
                self.admin_uri,
                *args,
            ],
            env=self.env,
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
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
def signed_in_stack(running_stack):
    """The running stack with its first administrator signed in through `sanbao`."""
    running_stack.sign_in_as_admin()
    return running_stack
