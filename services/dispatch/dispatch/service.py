"""The dispatch service: entrypoints only."""

from __future__ import annotations

from dispatch import __version__, handlers, metrics
from sanbao_common.base import ServiceBase
from sanbao_common.messaging.consumer import consume
from sanbao_common.rpc import rpc


class DispatchService(ServiceBase):
    name = "dispatch"
    version = __version__

    @consume("registry", "labourer_registered")
    def handle_labourer_registered(self, uow, events) -> None:
        handlers.apply_labourer_states(uow, events)

    @consume("registry", "labourer_updated")
    def handle_labourer_updated(self, uow, events) -> None:
        handlers.apply_labourer_states(uow, events)

    @consume("registry", "labourer_merged")
    def handle_labourer_merged(self, uow, events) -> None:
        handlers.apply_merges(uow, events)

    @rpc(permission="candidates.read")
    def count_candidates(self) -> dict:
        with self.db.reader() as uow:
            return {"candidates": handlers.count_candidates(uow)}

    def refresh_gauges(self) -> None:
        with self.db.reader() as uow:
            metrics.candidates_in_pool.set(handlers.count_candidates(uow))
