"""The stack as an operator runs it: each service its own process (`python -m <service>`),
talking over the test's own vhost, driven with the `sanbao` command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from testkit import ROOT, SERVICES, TEST_COUNTY, free_port

BIN = Path(sys.executable).parent


class RunningStack:
    def __init__(self, amqp_uri: str, databases, logs: Path):
        self.amqp_uri = amqp_uri
        self.logs = logs
        self.addresses = {service: f"127.0.0.1:{free_port()}" for service in SERVICES}
        self.env = dict(os.environ, COUNTY=TEST_COUNTY, AMQP_URI=amqp_uri, LOG_LEVEL="INFO")
        for service in SERVICES:
            upper = service.upper()
            self.env[f"{upper}_DATABASE_URL"] = databases[service]
            self.env[f"{upper}_HTTP_ADDRESS"] = self.addresses[service]
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, *services: str) -> None:
        for service in services or SERVICES:
            log = open(self.logs / f"{service}.log", "ab")  # noqa: SIM115 - the child keeps it
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", service], cwd=ROOT, env=self.env, stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
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

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "sanbao"), "--amqp-uri", self.amqp_uri, *args], env=self.env,
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip


@pytest.fixture
def running_stack(rabbit_uri, databases, tmp_path):
    stack = RunningStack(rabbit_uri, databases, tmp_path)
    stack.start()
    yield stack
    stack.stop()
