"""HTTP entrypoints bound to the service's own address (`<service>.HTTP_ADDRESS`).

nameko's stock web server reads one process-wide address; several services in one test process
would fight over it, and one county's five services over one port.
"""

from __future__ import annotations

from nameko import config as nameko_config
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, parse_address

from sanbao_common.config import service_section


class ServiceWebServer(WebServer):
    @property
    def bind_addr(self):
        section = service_section(nameko_config, self.container.service_name)
        return parse_address(section["HTTP_ADDRESS"])


class ServiceHttpHandler(HttpRequestHandler):
    server = ServiceWebServer()


http = ServiceHttpHandler.decorator
