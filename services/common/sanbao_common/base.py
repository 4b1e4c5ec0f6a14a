"""What every sanbao service has: request context, entrypoint metrics, its database and the
retention of its messaging tables, `/metrics` and `/health` over HTTP, `health` over RPC, and
the consumer of registry's token revocations (`sanbao_common.revocations`), so that no service
honours a withdrawn sign-in.

A service subclasses `ServiceBase`, sets `name` and `version`, and may override
`refresh_gauges` to bring its business gauges up to date before each scrape.
"""

from __future__ import annotations

import json

from nameko import config as nameko_config
from sqlalchemy import text
from werkzeug.wrappers import Response

from sanbao_common.access import Authorization
from sanbao_common.context import RequestContext
from sanbao_common.db import Database
from sanbao_common.messaging.consumer import consume
from sanbao_common.messaging.retention import RetentionKeeper
from sanbao_common.metrics import EntrypointMetrics, exposition
from sanbao_common.revocations import apply_events
from sanbao_common.rpc import rpc
from sanbao_common.web import http

JSON = {"Content-Type": "application/json; charset=utf-8"}


class ServiceBase:
    name: str
    version = "0.1.0"

    context = RequestContext()
    access = Authorization()
    metrics = EntrypointMetrics()
    db = Database()
    retention = RetentionKeeper()

    @http("GET", "/metrics")
    def metrics_endpoint(self, request):
        self.refresh_gauges()
        body, content_type = exposition()
        return Response(body, content_type=content_type)

    @http("GET", "/health")
    def health_endpoint(self, request):
        report = self.health_report()
        status = 200 if report["status"] == "ok" else 503
        return status, JSON, json.dumps(report, ensure_ascii=False)

    @rpc(permission="health.read")
    def health(self) -> dict:
        return self.health_report()

    @consume("registry", "user_tokens_revoked")
    def handle_user_tokens_revoked(self, uow, events) -> None:
        apply_events(uow, events)

    def health_report(self) -> dict:
        checks = {"database": self._check_database()}
        return {
            "service": self.name,
            "version": self.version,
            "county": nameko_config.get("COUNTY"),
            "status": "ok" if all(v == "ok" for v in checks.values()) else "failing",
            "checks": checks,
        }

    def refresh_gauges(self) -> None:
        """Set business gauges from the database; several replicas report the same truth."""

    def _check_database(self) -> str:
        try:
            with self.db.reader() as uow:
                uow.connection.execute(text("SELECT 1"))
            return "ok"
        except Exception as exc:  # health reports the failure instead of raising it
            return f"failing: {type(exc).__name__}"
