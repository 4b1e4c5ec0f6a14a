"""What registry does for dispatch's batches and placements: consumes their events (who an HR
company may see unmasked, and the four clears a placement sets) and checks people's exact ages
against an order's limits (`check_ages`), answering in or out, never a birth date or an age."""

from __future__ import annotations

from registry.hiring import ages, employment, payloads, visibility
from registry.parts import RegistryPart
from sanbao_common import clock
from sanbao_common.context import on_behalf_of
from sanbao_common.messaging.consumer import consume
from sanbao_common.rpc import rpc


def _apply_batches(uow, events) -> None:
    # Every event read before anything is written: one that does not fit changes nothing.
    visibility.apply_records(uow, [payloads.batch_record(event) for event in events])


def _apply_placements(uow, events) -> None:
    read = [(event, payloads.placement(event)) for event in events]
    for event, placement in read:
        caller = on_behalf_of("registry", event.county, event.actor, event.correlation_id)
        employment.apply_placement(uow, placement, caller)


class HiringEntrypoints(RegistryPart):
    # -- dispatch's batches: which HR company sees which person unmasked ----------------------

    @consume("dispatch", "batch_formed")
    def handle_batch_formed(self, uow, events) -> None:
        _apply_batches(uow, events)

    @consume("dispatch", "batch_updated")
    def handle_batch_updated(self, uow, events) -> None:
        _apply_batches(uow, events)

    @consume("dispatch", "batch_approved")
    def handle_batch_approved(self, uow, events) -> None:
        _apply_batches(uow, events)

    @consume("dispatch", "batch_departed")
    def handle_batch_departed(self, uow, events) -> None:
        _apply_batches(uow, events)

    @consume("dispatch", "batch_arrived")
    def handle_batch_arrived(self, uow, events) -> None:
        _apply_batches(uow, events)

    @consume("dispatch", "batch_cancelled")
    def handle_batch_cancelled(self, uow, events) -> None:
        _apply_batches(uow, events)

    # -- dispatch's placements: visibility, and the four clears' employment ------------------

    @consume("dispatch", "placement_started")
    def handle_placement_started(self, uow, events) -> None:
        _apply_placements(uow, events)

    @consume("dispatch", "placement_followed_up")
    def handle_placement_followed_up(self, uow, events) -> None:
        _apply_placements(uow, events)

    @consume("dispatch", "placement_ended")
    def handle_placement_ended(self, uow, events) -> None:
        _apply_placements(uow, events)

    # -- exact ages ----------------------------------------------------------------------------

    @rpc(permission="labourers.check_age")
    def check_ages(self, person_ids: list, age_min: int | None, age_max: int | None) -> dict:
        """Whose exact age today (the county's date, `sanbao_common.clock`) lies outside the
        limits, and why (too young, too old); ids not known to the caller are `unknown`. Never
        a birth date or an age (docs/access.md "Masked forms")."""
        person_ids, limits = ages.check_request(person_ids, age_min, age_max)
        with self.db.reader() as uow:
            return ages.check(
                uow, self.access.principal, self.data_key, person_ids, limits, clock.today()
            )
