"""Small helpers the tests of every tier import (tests/ is on pytest's pythonpath)."""

from __future__ import annotations

import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("registry", "dispatch", "fund", "settlement", "notify")
TEST_COUNTY = "532501"


def service_dir(service: str) -> Path:
    return ROOT / "services" / service


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
