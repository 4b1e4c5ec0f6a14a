"""What the parts of `RegistryService` share: each sub-domain's entrypoints are a class of their
own (`registry/<sub-domain>/entrypoints.py`), and `registry.service.RegistryService` inherits
them all; nameko finds the entrypoints of base classes as it finds its own."""

from __future__ import annotations

from sanbao_common.messaging.idempotency import run_command


class RegistryPart:
    name = "registry"

    def _command(self, method: str, key: str, request, execute, stored=None):
        """Run `execute(uow)` once per idempotency key and return its first reply; the key is
        bound to the caller whose token sent it (nobody else is answered with the reply), and
        `stored(reply)` is what a retry gets when the first reply held something shown once."""
        return run_command(
            self.db,
            self.name,
            method,
            key,
            request,
            execute,
            caller=self.access.principal.actor,
            stored=stored,
            # Requests carry ID numbers and phones: their digest is keyed with the data key.
            keyed=self.data_key.lookup_hash,
        )
