"""What the benchmarks share: a throw-away vhost and databases, resident memory."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from urllib.parse import quote

import requests

RABBIT_API_URI = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")
AMQP_BASE_URI = os.environ.get("AMQP_BENCH_URI", "amqp://guest:guest@127.0.0.1:5672")
POSTGRES_ADMIN_URL = os.environ.get(
    "SANBAO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def scratch_vhost():
    """A vhost of its own for one benchmark, deleted afterwards; yields its AMQP URI."""
    vhost = f"sanbao-bench-{uuid.uuid4().hex[:8]}"
    api = f"{RABBIT_API_URI}/api"
    requests.put(f"{api}/vhosts/{vhost}", timeout=10).raise_for_status()
    requests.put(
        f"{api}/permissions/{vhost}/guest", timeout=10,
        json={"configure": ".*", "write": ".*", "read": ".*"},
    ).raise_for_status()  # fmt: skip
    try:
        yield f"{AMQP_BASE_URI}/{quote(vhost, safe='')}"
    finally:
        requests.delete(f"{api}/vhosts/{vhost}", timeout=30)


def resident_mib(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default), in MiB."""
    status = f"/proc/{pid or os.getpid()}/status"
    with open(status) as lines:
        for line in lines:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")
