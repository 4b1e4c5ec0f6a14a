from registry.bootstrap import bootstrap
from sanbao_common.launcher import main

main("registry", "registry.service:RegistryService", commands={"bootstrap": bootstrap})
