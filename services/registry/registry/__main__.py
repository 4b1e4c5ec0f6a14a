from sanbao_common.launcher import main

# Commands are named, not imported: the launcher must be this process's first import.
main(
    "registry",
    "registry.service:RegistryService",
    commands={
        "bootstrap": "registry.bootstrap:bootstrap",
        "sample-villages": "registry.bootstrap:sample_villages",
    },
)
