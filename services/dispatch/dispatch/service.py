"""The dispatch service: entrypoints only."""

from __future__ import annotations

from nameko import config
from nameko.events import event_handler

from dispatch import __version__, handlers, metrics
from dispatch.schemas import LabourerStatePayload
from sanbao_common.base import ServiceBase
from sanbao_common.envelope import parse_envelope
from sanbao_common.rpc import load, rpc


class DispatchService(ServiceBase):
    name = "dispatch"
    version = __version__

    @event_handler("registry", "labourer_registered")
    def handle_labourer_registered(self, body: dict) -> None:
        event = parse_envelope(body, config["COUNTY"])
        self.context.adopt(event)
        labourer = load(LabourerStatePayload(), event.payload)
        with self.db.unit_of_work() as uow:
            handlers.apply_labourer_state(uow, event, labourer)

    @rpc
    def count_candidates(self) -> dict:
        with self.db.reader() as uow:
            return {"candidates": handlers.count_candidates(uow)}

    def refresh_gauges(self) -> None:
        with self.db.reader() as uow:
            metrics.candidates_in_pool.set(handlers.count_candidates(uow))
