"""Prometheus metrics every service has: rate, errors and duration of every entrypoint.

`EntrypointMetrics` sees every worker of its container (RPC, event batch, HTTP route) start and
finish, so no entrypoint can be left unmeasured. Outcomes: `success`; `refused` for a domain error
the caller can act on (an expected exception); `error` for anything else, which is a bug.
"""

from __future__ import annotations

import time
import weakref

from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.web.handlers import HttpRequestHandler
from prometheus_client import REGISTRY, Counter, Histogram, Info, disable_created_metrics

from sanbao_common.messaging.consumer import EventConsumer

# The `_created` series double every counter for little use on a dashboard.
disable_created_metrics()

DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

_collectors: dict[str, dict] = {}


def _service_collectors(service: str) -> dict:
    """One set of collectors per service name and process (tests run several containers)."""
    if service not in _collectors:
        prefix = f"sanbao_{service}"
        _collectors[service] = {
            "rpc_total": Counter(
                f"{prefix}_rpc_requests_total",
                "RPC calls served, by method and outcome",
                ["method", "outcome"],
            ),
            "rpc_seconds": Histogram(
                f"{prefix}_rpc_request_duration_seconds",
                "Time to serve an RPC call",
                ["method"],
                buckets=DURATION_BUCKETS,
            ),
            # Events are counted one by one, by outcome, where they are settled (consumer.py).
            "batch_total": Counter(
                f"{prefix}_event_handler_batches_total",
                "Batches of events handled, by handler and outcome",
                ["handler", "outcome"],
            ),
            "batch_seconds": Histogram(
                f"{prefix}_event_handler_batch_duration_seconds",
                "Time to apply a batch of events in one transaction",
                ["handler"],
                buckets=DURATION_BUCKETS,
            ),
            "http_total": Counter(
                f"{prefix}_http_requests_total",
                "HTTP requests served, by route and outcome",
                ["route", "method", "outcome"],
            ),
            "http_seconds": Histogram(
                f"{prefix}_http_request_duration_seconds",
                "Time to serve an HTTP request",
                ["route", "method"],
                buckets=DURATION_BUCKETS,
            ),
            "info": Info(f"{prefix}_service", "The running service: version and county"),
        }
    return _collectors[service]


def outcome_of(entrypoint, exc_info) -> str:
    if exc_info is None:
        return "success"
    expected = getattr(entrypoint, "expected_exceptions", ())
    if expected and isinstance(exc_info[1], expected):
        return "refused"
    return "error"


class EntrypointMetrics(DependencyProvider):
    """Counts and times every worker of the container; publishes the service's info metric."""

    def setup(self):
        from nameko import config

        self.collectors = _service_collectors(self.container.service_name)
        version = getattr(self.container.service_cls, "version", "unknown")
        self.collectors["info"].info({"version": version, "county": str(config.get("COUNTY", ""))})
        self._started: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        elapsed = time.perf_counter() - started if started is not None else 0.0
        entrypoint = worker_ctx.entrypoint
        outcome = outcome_of(entrypoint, exc_info)
        c = self.collectors
        if isinstance(entrypoint, Rpc):
            c["rpc_total"].labels(entrypoint.method_name, outcome).inc()
            c["rpc_seconds"].labels(entrypoint.method_name).observe(elapsed)
        elif isinstance(entrypoint, EventConsumer):
            c["batch_total"].labels(entrypoint.method_name, outcome).inc()
            c["batch_seconds"].labels(entrypoint.method_name).observe(elapsed)
        elif isinstance(entrypoint, HttpRequestHandler):
            if outcome == "success" and _http_status(result) >= 500:
                outcome = "error"
            c["http_total"].labels(entrypoint.url, entrypoint.method, outcome).inc()
            c["http_seconds"].labels(entrypoint.url, entrypoint.method).observe(elapsed)


def _http_status(result) -> int:
    """An HTTP entrypoint returns a Response, a (status, ...) tuple or just a body."""
    if isinstance(result, tuple) and result and isinstance(result[0], int):
        return result[0]
    return getattr(result, "status_code", 200)


def exposition() -> tuple[bytes, str]:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
