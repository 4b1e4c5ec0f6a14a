"""The settlement service. So far it serves what every service serves (ServiceBase): `/health`,
`/metrics` and the `health` RPC."""

from sanbao_common.base import ServiceBase
from settlement import __version__


class SettlementService(ServiceBase):
    name = "settlement"
    version = __version__
