"""Starting services as processes for a benchmark, on a scratch vhost and scratch databases."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.common import POSTGRES_ADMIN_URL
from registry.bootstrap import seed_villages
from sanbao_common.migrations import upgrade

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def scratch_databases(backend: str, services: tuple[str, ...], workdir: Path):
    """service -> URL of a fresh, migrated database; PostgreSQL ones are dropped afterwards."""
    urls, created = {}, []
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        for service in services:
            if backend == "sqlite":
                url = f"sqlite:///{workdir / f'{service}.sqlite'}"
            else:
                name = f"sanbao_bench_{uuid.uuid4().hex[:8]}_{service}"
                with admin.connect() as connection:
                    connection.execute(text(f"CREATE DATABASE {name}"))
                created.append(name)
                url = str(make_url(POSTGRES_ADMIN_URL).set(database=name))
            upgrade(ROOT / "services" / service, url)
            if service == "registry":  # the sample villages SampleData's codes are drawn from
                seed_villages(url, "532501")
            urls[service] = url
        yield urls
    finally:
        with admin.connect() as connection:
            for name in created:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def token_key_env_for(workdir: Path) -> dict:
    """The keys make run would generate (the county's token key, the fund's checkpoint key),
    made once per working directory and shared by the services started in it."""
    from sanbao_common.crypto import (
        load_private_key,
        new_signing_key,
        public_key_text,
        save_data_key,
        save_private_key,
    )

    token, checkpoint = workdir / "token-signing-key.pem", workdir / "fund-checkpoint-key.pem"
    for path in (token, checkpoint):
        if not path.exists():
            save_private_key(new_signing_key(), path, None)
    data_key = workdir / "data-key"
    if not data_key.exists():
        save_data_key(data_key)
    return {
        "DATA_KEY_FILE": str(data_key),
        "TOKEN_PUBLIC_KEYS": public_key_text(load_private_key(token, None)),
        "TOKEN_SIGNING_KEY_FILE": str(token),
        "CHECKPOINT_SIGNING_KEY_FILE": str(checkpoint),
        # registry's witness keeps only the checkpoints the fund's own key signed.
        "FUND_CHECKPOINT_PUBLIC_KEYS": public_key_text(load_private_key(checkpoint, None)),
    }


class ServiceProcess:
    def __init__(self, service: str, amqp_uri: str, database_url: str, workdir: Path):
        self.service = service
        self.address = f"127.0.0.1:{free_port()}"
        upper = service.upper()
        env = dict(
            os.environ,
            COUNTY="532501",
            LOG_LEVEL="WARNING",
            **token_key_env_for(workdir),
            **{
                f"{upper}_AMQP_URI": amqp_uri,
                f"{upper}_DATABASE_URL": database_url,
                f"{upper}_HTTP_ADDRESS": self.address,
            },
        )
        log = open(workdir / f"{service}.log", "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            [sys.executable, "-m", service], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        # A benchmark that fails half-way must not leave the service running after it.
        atexit.register(self.stop)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{service} exited; see {workdir / f'{service}.log'}")
            try:
                if requests.get(f"http://{self.address}/health", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{service} did not become healthy")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def bench_token(workdir: Path, role: str, username: str) -> str:
    """A token as registry would issue it after a sign-in (an hour, the most any lives), signed
    with the county key made for `workdir`, for a county-level holder of `role`."""
    from datetime import timedelta

    from sanbao_common.access import issue_token
    from sanbao_common.crypto import load_private_key

    key = load_private_key(workdir / "token-signing-key.pem", None)
    token, _ = issue_token(
        key,
        {
            "user_id": f"bench-{username}", "username": username, "organisation_id": "bench",
            "organisation_kind": "county_coop", "roles": (role,), "scope": "532501",
            "county": "532501", "must_change_password": False,
        },
        timedelta(hours=1),
    )  # fmt: skip
    return token
