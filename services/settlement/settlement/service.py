"""The settlement service. So far it serves what every service serves (ServiceBase): `/health`,
`/metrics` and the `health` RPC, and answers resyncs: the fund subscribes to the requests
settlement will send it (`receivable_requested`, `distribution_requested`), so `sanbao events
resync fund` asks settlement too, and is told none has a resync source yet."""

from sanbao_common.base import ServiceBase
from sanbao_common.messaging.resync import Resync
from sanbao_common.rpc import rpc
from settlement import __version__


class SettlementService(ServiceBase):
    name = "settlement"
    version = __version__

    resync = Resync({})  # requests are news, never current state: none will have a source

    @rpc(permission="events.replay")
    def resync_events(self, request: dict) -> dict:
        """As `registry.resync_events`: every queue it is asked about is answered `no_source`."""
        return self.resync.to_consumer(request, self.context.caller())
