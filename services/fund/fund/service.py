"""The fund service. So far it serves what every service serves (ServiceBase): `/health`,
`/metrics` and the `health` RPC."""

from fund import __version__
from sanbao_common.base import ServiceBase


class FundService(ServiceBase):
    name = "fund"
    version = __version__
