"""settlement's inputs: the consumers of dispatch's agreements and placements and of registry's
organisations (each keeping its copy at the highest version: settlement.inputs.use_cases), and
a count of what it holds, for operators after `sanbao events resync settlement`."""

from __future__ import annotations

from sanbao_common.messaging.consumer import consume
from sanbao_common.rpc import rpc
from settlement.inputs import use_cases as inputs
from settlement.inputs.repository import Inputs
from settlement.parts import SettlementPart


class InputEntrypoints(SettlementPart):
    # -- dispatch: agreements' rules and placements -------------------------------------------

    @consume("dispatch", "agreement_sealed")
    def handle_agreement_sealed(self, uow, events) -> None:
        inputs.apply_agreements(uow, events)

    @consume("dispatch", "placement_started")
    def handle_placement_started(self, uow, events) -> None:
        inputs.apply_placements(uow, events)

    @consume("dispatch", "placement_followed_up")
    def handle_placement_followed_up(self, uow, events) -> None:
        inputs.apply_placements(uow, events)

    @consume("dispatch", "placement_ended")
    def handle_placement_ended(self, uow, events) -> None:
        inputs.apply_placements(uow, events)

    # -- registry: who is paid ----------------------------------------------------------------

    @consume("registry", "organisation_registered")
    def handle_organisation_registered(self, uow, events) -> None:
        inputs.apply_organisations(uow, events)

    @consume("registry", "organisation_changed")
    def handle_organisation_changed(self, uow, events) -> None:
        inputs.apply_organisations(uow, events)

    # -- reads ---------------------------------------------------------------------------------

    @rpc(permission="settlement.read")
    def get_inputs_summary(self) -> dict:
        """What settlement holds of others' records: agreements and their sealed versions,
        placements by status, active cooperatives by kind, and the inputs it refused (the
        latest 20 with their reasons). Counts only: no one's personal data."""
        with self.db.reader() as uow:
            repository = Inputs(uow.connection)
            return dict(repository.summary(), latest_refused=repository.refused(20))
