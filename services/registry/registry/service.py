"""The registry service: entrypoints only. Each one validates, runs a handler, dumps a reply."""

from __future__ import annotations

from nameko.events import EventDispatcher

from registry import __version__, handlers, metrics
from registry.schemas import LabourerSchema, RegisterLabourerSchema
from sanbao_common.base import ServiceBase
from sanbao_common.rpc import load, rpc


class RegistryService(ServiceBase):
    name = "registry"
    version = __version__

    events = EventDispatcher()

    @rpc
    def register_labourer(self, labourer: dict) -> dict:
        command = load(RegisterLabourerSchema(), labourer)
        with self.db.unit_of_work() as uow:
            registered, events = handlers.register_labourer(uow, command, self.context.caller())
        for event in events:
            self.events(event["type"], event)
        return LabourerSchema().dump(registered)

    @rpc
    def get_labourer(self, person_id: str) -> dict:
        with self.db.reader() as uow:
            return LabourerSchema().dump(handlers.get_labourer(uow, person_id))

    @rpc
    def count_labourers(self) -> dict:
        with self.db.reader() as uow:
            return {"labourers": handlers.count_labourers(uow)}

    def refresh_gauges(self) -> None:
        with self.db.reader() as uow:
            metrics.labourers_registered.set(handlers.count_labourers(uow))
