"""The witness's entrypoints: the fund's audit checkpoints kept, and listed for auditors."""

from __future__ import annotations

from nameko import config

from registry.parts import RegistryPart
from registry.settings import configured
from registry.witness import use_cases as witness
from sanbao_common.messaging.consumer import consume
from sanbao_common.rpc import rpc


class WitnessEntrypoints(RegistryPart):
    # -- the county's witness of audit chains -------------------------------------------------

    @consume("fund", "audit_checkpoint")
    def handle_audit_checkpoint(self, uow, events) -> None:
        """Keep the fund's checkpoints where the fund's database cannot reach them."""
        witness.keep(uow, events, configured()["FUND_CHECKPOINT_PUBLIC_KEYS"], config["COUNTY"])

    @rpc(permission="audit.read")
    def list_audit_checkpoints(self, source: str) -> list:
        with self.db.reader() as uow:
            return witness.checkpoints(uow, source)
