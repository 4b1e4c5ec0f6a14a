"""The registry service: entrypoints only, one part per sub-domain (directory, people, measures,
rosters, witness, and hiring: what dispatch's batches and placements tell registry;
`registry/<sub-domain>/entrypoints.py`). Each entrypoint checks the caller,
validates, runs a use case in one unit of work, and dumps a reply. The class below adds the
dependencies every part uses, the outbox's replay, and the business gauges."""

from __future__ import annotations

from registry import __version__, metrics
from registry.adapters.data_key import DataKeyProvider
from registry.adapters.token_signer import TokenSigner
from registry.directory.bank_account_entrypoints import BankAccountEntrypoints
from registry.directory.entrypoints import DirectoryEntrypoints
from registry.directory.repository import DirectoryRepository
from registry.directory.village_entrypoints import VillageEntrypoints
from registry.directory.vocabulary_entrypoints import VocabularyEntrypoints
from registry.hiring.entrypoints import HiringEntrypoints
from registry.measures.entrypoints import MeasureEntrypoints
from registry.people import use_cases as people
from registry.people.entrypoints import PeopleEntrypoints
from registry.resync import RESYNC_SOURCES
from registry.rosters.background import RosterImports
from registry.rosters.entrypoints import RosterEntrypoints
from registry.settings import configured
from registry.witness.entrypoints import WitnessEntrypoints
from sanbao_common.base import ServiceBase
from sanbao_common.messaging.outbox import OutboxRelay, replay_to_queue
from sanbao_common.messaging.resync import Resync
from sanbao_common.rpc import rpc
from sanbao_common.seals import RegistrarKeys


class RegistryService(
    DirectoryEntrypoints,
    BankAccountEntrypoints,
    VillageEntrypoints,
    VocabularyEntrypoints,
    PeopleEntrypoints,
    HiringEntrypoints,
    MeasureEntrypoints,
    RosterEntrypoints,
    WitnessEntrypoints,
    ServiceBase,
):
    name = "registry"
    version = __version__

    relay = OutboxRelay()
    token_key = TokenSigner()
    data_key = DataKeyProvider()
    roster_imports = RosterImports()
    registrar_keys = RegistrarKeys()
    resync = Resync(RESYNC_SOURCES)

    @rpc(permission="events.replay")
    def replay_events(self, request: dict) -> dict:
        """Publish the outbox's events again to one consumer queue (a consumer added later)."""
        return replay_to_queue(self.relay, request)

    @rpc(permission="events.replay")
    def resync_events(self, request: dict) -> dict:
        """Publish the current state of registry's records to one consumer's queues (a consumer
        added later, or one that needs fields added since: sanbao_common.messaging.resync)."""
        return self.resync.to_consumer(request, self.context.caller())

    def refresh_gauges(self) -> None:
        stale_before = people.stale_before(configured()["STALE_AFTER_DAYS"])
        with self.db.reader() as uow:
            metrics.labourers_registered.set(people.count_labourers(uow))
            metrics.labourers_stale.set(people.count_labourers(uow, stale_before=stale_before))
            seal_counts = DirectoryRepository(uow.connection).seal_counts()
        for status in ("pending", "effective", "revoked", "superseded"):
            metrics.seals.labels(status).set(seal_counts.get(status, 0))
        for status, count in self.roster_imports.importer().count_by_status().items():
            metrics.roster_imports.labels(status).set(count)
