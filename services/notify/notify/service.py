"""The notify service. So far it serves what every service serves (ServiceBase): `/health`,
`/metrics` and the `health` RPC."""

from notify import __version__
from sanbao_common.base import ServiceBase


class NotifyService(ServiceBase):
    name = "notify"
    version = __version__
