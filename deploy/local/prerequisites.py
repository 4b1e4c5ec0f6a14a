"""What `make run`, `make test` and `make bench` need running on this machine, started if it is
installed and stopped: RabbitMQ, its management API (the stack provisions users through it,
nameko's test fixtures create a vhost per test through it), and, for tests and benchmarks, a
PostgreSQL server.

    python deploy/local/prerequisites.py            # broker and management API
    python deploy/local/prerequisites.py --postgres # and PostgreSQL (SANBAO_TEST_POSTGRES)
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

from sanbao_common.local import DEFAULT_API_URI
from sanbao_common.messaging.admin import BrokerAdminError, ManagementApi

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def say(message: str) -> None:
    print(f"[stack] {message}", flush=True)


def fail(message: str) -> None:
    print(f"[stack] error: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _wait(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(1)
    return False


def ensure_broker(amqp_uri: str) -> None:
    parts = urlsplit(amqp_uri)
    host, port = parts.hostname, parts.port or 5672
    if answers(host, port):
        return
    if host not in LOCAL_HOSTS:
        fail(f"no broker answers at {host}:{port} (AMQP_URI); start it or point AMQP_URI elsewhere")
    if shutil.which("rabbitmq-server") is None:
        fail(
            f"no broker answers at {host}:{port} and RabbitMQ is not installed here. Install it "
            "(Debian: apt-get install rabbitmq-server) or run one in a container "
            "(docker compose -f deploy/compose.yml up -d rabbitmq), then try again."
        )
    say("RabbitMQ is installed but not running: starting it (rabbitmq-server -detached)")
    subprocess.run(["rabbitmq-server", "-detached"], check=False)
    if not _wait(lambda: answers(host, port), 90):
        fail("RabbitMQ did not start within 90 s; see /var/log/rabbitmq/")


def ensure_management(api: ManagementApi) -> None:
    def management_answers() -> bool:
        try:
            api.overview()
            return True
        except (requests.RequestException, BrokerAdminError):
            return False

    if management_answers():
        return
    if shutil.which("rabbitmq-plugins") is not None:
        say("enabling RabbitMQ's management plugin (rabbitmq-plugins enable rabbitmq_management)")
        subprocess.run(
            ["rabbitmq-plugins", "enable", "rabbitmq_management"],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        if _wait(management_answers, 60):
            return
    fail(f"RabbitMQ's management API does not answer at {api.base} (RABBITMQ_API_URI)")


def ensure_postgres(url: str) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    if answers(host, port):
        return
    clusters = Path("/etc/postgresql")
    if host not in LOCAL_HOSTS or shutil.which("pg_ctlcluster") is None or not clusters.is_dir():
        fail(
            f"no PostgreSQL answers at {host}:{port} (SANBAO_TEST_POSTGRES): start one, or run "
            "`make test-sqlite` for SQLite only"
        )
    version = sorted(p.name for p in clusters.iterdir())[-1]
    say(f"PostgreSQL {version} is installed but not running: starting it")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False
    )
    if not _wait(lambda: answers(host, port), 60):
        fail("PostgreSQL did not start within 60 s; see /var/log/postgresql/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL too")
    args = parser.parse_args()
    ensure_broker(os.environ.get("AMQP_TEST_URI", "pyamqp://guest:guest@127.0.0.1:5672/"))
    ensure_management(ManagementApi(os.environ.get("RABBITMQ_API_URI", DEFAULT_API_URI)))
    if args.postgres:
        ensure_postgres(
            os.environ.get("SANBAO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
        )


if __name__ == "__main__":
    main()
