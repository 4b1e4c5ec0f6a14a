"""The settlement service: entrypoints only, one part per sub-domain
(`settlement/<sub-domain>/entrypoints.py`): its inputs (agreements' rules, placements, the
cooperatives paid), the county's reward and subsidy rules, periods and statements, distributions
and the village books. The class adds the dependencies every part uses and the outbox's replay."""

from __future__ import annotations

from sanbao_common.base import ServiceBase
from sanbao_common.messaging.outbox import OutboxRelay, replay_to_queue
from sanbao_common.messaging.resync import Resync
from sanbao_common.rpc import rpc
from settlement import __version__
from settlement.distributions.entrypoints import DistributionEntrypoints
from settlement.inputs.entrypoints import InputEntrypoints
from settlement.parts import SettlementPart
from settlement.periods.entrypoints import PeriodEntrypoints
from settlement.rules.entrypoints import RuleEntrypoints
from settlement.villages.entrypoints import VillageEntrypoints


class SettlementService(
    InputEntrypoints,
    RuleEntrypoints,
    PeriodEntrypoints,
    DistributionEntrypoints,
    VillageEntrypoints,
    SettlementPart,
    ServiceBase,
):
    name = "settlement"
    version = __version__

    relay = OutboxRelay()
    resync = Resync({})  # requests are news, never current state: none will have a source

    @rpc(permission="events.replay")
    def replay_events(self, request: dict) -> dict:
        """Publish the outbox's events again to one consumer queue (a consumer added later)."""
        return replay_to_queue(self.relay, request)

    @rpc(permission="events.replay")
    def resync_events(self, request: dict) -> dict:
        """As `registry.resync_events`: every queue it is asked about is answered `no_source`."""
        return self.resync.to_consumer(request, self.context.caller())
