"""Signing in while registry serves everyone else: what a burst of sign-ins costs the others.

- signin.health_p95_ms_during_logins: the 95th percentile of `registry.health` round trips, asked
  by one client back to back while 8 other clients sign 64 people in (scrypt at the production
  cost, N=2^15), against one registry process on SQLite. A password check that runs on the
  event loop holds every other call for its 100-200 ms; one that runs in a native thread does
  not.
- signin.health_p95_ms_idle: the same round trip with nobody signing in, in the same run.
- signin.logins_per_s: sign-ins answered per second during the burst.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from pathlib import Path

import eventlet
from nameko.standalone.rpc import ClusterRpcClient

from benchmarks.common import scratch_vhost
from benchmarks.stack import ServiceProcess, bench_token, scratch_databases
from sanbao_common.messaging.admin import apply_topology

PEOPLE, SIGNERS = 64, 8


def create_people(amqp_uri: str, token: str) -> list[tuple[str, str]]:
    with ClusterRpcClient(uri=amqp_uri, timeout=120, context_data={"token": token}) as client:
        coop = client.registry.register_organisation(
            {"kind": "county_coop", "name": "个旧市劳务合作联社", "division_code": "532501"},
            uuid.uuid4().hex,
        )
        people = []
        for n in range(PEOPLE):
            created = client.registry.create_user(
                {"username": f"bench.op{n:02d}", "display_name": "测试员",
                 "org_id": coop["org_id"], "roles": ["coop_operator"]},
                uuid.uuid4().hex,
            )  # fmt: skip
            people.append((f"bench.op{n:02d}", created["one_time_password"]))
        return people


def health_round_trips(amqp_uri: str, token: str, until) -> list[float]:
    """Milliseconds per `health` call, asked back to back until `until()` is true."""
    times = []
    with ClusterRpcClient(uri=amqp_uri, timeout=60, context_data={"token": token}) as client:
        while not until():
            started = time.perf_counter()
            client.registry.health()
            times.append((time.perf_counter() - started) * 1000)
    return times


def sign_in_all(amqp_uri: str, people: list[tuple[str, str]]) -> None:
    def signer(share):
        with ClusterRpcClient(uri=amqp_uri, timeout=120) as client:
            for username, password in share:
                client.registry.login(username, password)

    pool = eventlet.GreenPool(SIGNERS)
    for index in range(SIGNERS):
        pool.spawn(signer, people[index::SIGNERS])
    pool.waitall()


def p95(times: list[float]) -> float:
    return round(statistics.quantiles(times, n=20)[-1], 1) if len(times) >= 2 else times[0]


def signin() -> tuple[dict, dict]:
    with (
        tempfile.TemporaryDirectory() as workdir,
        scratch_vhost() as amqp_uri,
        scratch_databases("sqlite", ("registry",), Path(workdir)) as urls,
    ):
        apply_topology(amqp_uri)
        registry = ServiceProcess("registry", amqp_uri, urls["registry"], Path(workdir))
        try:
            token = bench_token(Path(workdir), "county_admin", "bench.admin")
            people = create_people(amqp_uri, token)
            idle_until = time.monotonic() + 3
            idle = health_round_trips(amqp_uri, token, lambda: time.monotonic() > idle_until)
            burst = eventlet.spawn(sign_in_all, amqp_uri, people)
            started = time.perf_counter()
            during = health_round_trips(amqp_uri, token, lambda: burst.dead)
            burst.wait()
            elapsed = time.perf_counter() - started
        finally:
            registry.stop()
    figures = {
        "signin.health_p95_ms_during_logins": p95(during),
        "signin.health_p95_ms_idle": p95(idle),
        "signin.logins_per_s": round(PEOPLE / elapsed, 1),
    }
    details = {
        "people": PEOPLE,
        "concurrent_signers": SIGNERS,
        "health_calls_during": len(during),
        "health_max_ms_during": round(max(during), 1),
        "health_median_ms_during": round(statistics.median(during), 1),
        "backend": "sqlite",
        "scrypt_n": "the registry default",
    }
    return figures, details
