"""The dispatch service: entrypoints only, one part per sub-domain (the candidate pool here;
agreements, orders, matching, batches, placements and the degree of organisation in
`dispatch/<sub-domain>/entrypoints.py`). The class adds the dependencies every part uses, the
outbox's replay, and the business gauges."""

from __future__ import annotations

from nameko import config as nameko_config

from dispatch import __version__, handlers, metrics
from dispatch.agreements.entrypoints import AgreementEntrypoints
from dispatch.batches.entrypoints import BatchEntrypoints
from dispatch.degree import gauges as degree_gauges
from dispatch.degree.entrypoints import DegreeEntrypoints
from dispatch.matching.entrypoints import MatchingEntrypoints
from dispatch.orders.entrypoints import OrderEntrypoints
from dispatch.parts import DispatchPart
from dispatch.placements.entrypoints import PlacementEntrypoints, grace_days
from dispatch.resync import RESYNC_SOURCES
from dispatch.vocabulary import handlers as vocabulary
from sanbao_common import clock
from sanbao_common.base import ServiceBase
from sanbao_common.messaging.consumer import consume
from sanbao_common.messaging.outbox import OutboxRelay, replay_to_queue
from sanbao_common.messaging.resync import Resync
from sanbao_common.rpc import rpc
from sanbao_common.seals import RegistrarKeys


class DispatchService(
    AgreementEntrypoints,
    OrderEntrypoints,
    MatchingEntrypoints,
    BatchEntrypoints,
    PlacementEntrypoints,
    DegreeEntrypoints,
    DispatchPart,
    ServiceBase,
):
    name = "dispatch"
    version = __version__

    relay = OutboxRelay()
    registrar_keys = RegistrarKeys()
    resync = Resync(RESYNC_SOURCES)

    @consume("registry", "labourer_registered")
    def handle_labourer_registered(self, uow, events) -> None:
        handlers.apply_labourer_states(uow, events)

    @consume("registry", "labourer_updated")
    def handle_labourer_updated(self, uow, events) -> None:
        handlers.apply_labourer_states(uow, events)

    @consume("registry", "labourer_merged")
    def handle_labourer_merged(self, uow, events) -> None:
        handlers.apply_merges(uow, events)

    @consume("registry", "vocabulary_changed")
    def handle_vocabulary_changed(self, uow, events) -> None:
        vocabulary.apply_vocabularies(uow, events)

    @rpc(permission="candidates.read")
    def count_candidates(self) -> dict:
        with self.db.reader() as uow:
            return {"candidates": handlers.count_candidates(uow)}

    @rpc(permission="events.replay")
    def replay_events(self, request: dict) -> dict:
        """Publish the outbox's events again to one consumer queue (a consumer added later)."""
        return replay_to_queue(self.relay, request)

    @rpc(permission="events.replay")
    def resync_events(self, request: dict) -> dict:
        """Publish the current state of dispatch's records to one consumer's queues (a consumer
        added later, or one that needs fields added since: sanbao_common.messaging.resync)."""
        return self.resync.to_consumer(request, self.context.caller())

    def refresh_gauges(self) -> None:
        with self.db.reader() as uow:
            metrics.candidates_in_pool.set(handlers.count_candidates(uow))
            degree_gauges.refresh(uow, nameko_config["COUNTY"], clock.today(), grace_days())
