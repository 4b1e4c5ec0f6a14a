"""What the parts of `DispatchService` share: each sub-domain's entrypoints are a class of their
own (`dispatch/<sub-domain>/entrypoints.py`: agreements, orders, matching), and
`dispatch.service.DispatchService` inherits them all; nameko finds the entrypoints of base
classes as it finds its own."""

from __future__ import annotations

from sanbao_common.messaging.idempotency import run_command


class DispatchPart:
    name = "dispatch"

    def _command(self, method: str, key: str, request, execute):
        """Run `execute(uow)` once per idempotency key and return its first reply; the key is
        bound to the caller whose token sent it (nobody else is answered with the reply)."""
        return run_command(
            self.db, self.name, method, key, request, execute, caller=self.access.principal.actor
        )
