"""The registry service: entrypoints only. Each one validates, runs a handler, dumps a reply."""

from __future__ import annotations

from marshmallow import ValidationError

from registry import __version__, handlers, metrics
from registry.schemas import LabourerSchema, RegisterLabourerSchema
from sanbao_common.base import ServiceBase
from sanbao_common.errors import InvalidInput, describe_field_errors
from sanbao_common.messaging.idempotency import run_command
from sanbao_common.messaging.outbox import OutboxRelay, replay_to_queue
from sanbao_common.rpc import load, rpc

MAX_BATCH = 1000
_labourer = LabourerSchema()


class RegistryService(ServiceBase):
    name = "registry"
    version = __version__

    relay = OutboxRelay()

    @rpc
    def register_labourer(self, labourer: dict, idempotency_key: str) -> dict:
        command = load(RegisterLabourerSchema(), labourer)
        caller = self.context.caller()

        def execute(uow):
            return _labourer.dump(handlers.register_labourer(uow, command, caller))

        return run_command(
            self.db, self.name, "register_labourer", idempotency_key, labourer, execute
        )

    @rpc
    def register_labourers(self, labourers: list, idempotency_key: str) -> dict:
        """Register many people in one transaction; each refused row says why."""
        if not isinstance(labourers, list) or not 1 <= len(labourers) <= MAX_BATCH:
            raise InvalidInput({"labourers": [f"a list of 1 to {MAX_BATCH} labourers"]})
        schema, caller = RegisterLabourerSchema(), self.context.caller()
        commands, positions, invalid = [], [], []
        for index, row in enumerate(labourers):
            try:
                commands.append(schema.load(row if isinstance(row, dict) else {}))
                positions.append(index)
            except ValidationError as exc:
                invalid.append(
                    {"index": index, "code": InvalidInput.code,
                     "message": describe_field_errors(exc.messages)}
                )  # fmt: skip

        def execute(uow):
            registered, refused = handlers.register_labourers(uow, commands, caller)
            return {
                "registered": [_labourer.dump(labourer) for labourer in registered],
                "refused": sorted(
                    invalid
                    + [
                        {"index": positions[i], "code": error.code, "message": str(error)}
                        for i, error in refused
                    ],
                    key=lambda row: row["index"],
                ),
            }

        return run_command(
            self.db, self.name, "register_labourers", idempotency_key, labourers, execute
        )

    @rpc
    def get_labourer(self, person_id: str) -> dict:
        with self.db.reader() as uow:
            return _labourer.dump(handlers.get_labourer(uow, person_id))

    @rpc
    def count_labourers(self) -> dict:
        with self.db.reader() as uow:
            return {"labourers": handlers.count_labourers(uow)}

    @rpc
    def replay_events(self, request: dict) -> dict:
        """Publish the outbox's events again to one consumer queue (a consumer added later)."""
        return replay_to_queue(self.relay, request)

    def refresh_gauges(self) -> None:
        with self.db.reader() as uow:
            metrics.labourers_registered.set(handlers.count_labourers(uow))
