"""What the parts of `SettlementService` share: each sub-domain's entrypoints are a class of
their own (`settlement/<sub-domain>/entrypoints.py`), and `settlement.service.SettlementService`
inherits them all, as dispatch's parts do."""

from __future__ import annotations

from sanbao_common.messaging.idempotency import run_command


class SettlementPart:
    name = "settlement"

    def _command(self, method: str, key: str, request, execute):
        """Run `execute(uow)` once per idempotency key and return its first reply; the key is
        bound to the caller whose token sent it (nobody else is answered with the reply)."""
        return run_command(
            self.db, self.name, method, key, request, execute, caller=self.access.principal.actor
        )
