from sanbao_common.launcher import main

main("registry", "registry.service:RegistryService")
