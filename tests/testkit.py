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


def make_stack_config(amqp_uri: str, databases, services=SERVICES) -> dict:
    """A configuration every service of the stack accepts, validated by their own schemas."""
    common = {
        "COUNTY": TEST_COUNTY,
        "AMQP_URI": amqp_uri,
        "RPC_TIMEOUT_SECONDS": 10,
        "LOG_LEVEL": "INFO",
        "max_workers": 10,
    }
    config = dict(common)
    for service in services:
        section = {
            "DATABASE_URL": databases[service],
            "HTTP_ADDRESS": f"127.0.0.1:{free_port()}",
        }
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
