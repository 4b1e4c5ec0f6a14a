"""Placements' and follow-ups' entrypoints: the HR company starts its arrived batch members'
placements and records their follow-ups (`placements.manage`); a return or another ending may
also come from the labourer's agent or cooperative (`placements.end`); reads by everyone within
their company or area (`placements.read`). Business dates come from the kit's clock."""

from __future__ import annotations

from nameko import config as nameko_config

from dispatch.parts import DispatchPart
from dispatch.placements import use_cases as placements
from dispatch.placements.schemas import EndSchema, FollowUpSchema, StartSchema
from dispatch_contract.placements import DEFAULT_GRACE_DAYS, FOLLOW_UP_STATES, PLACEMENT_STATUSES
from sanbao_common import clock
from sanbao_common.rpc import load, optional_argument, rpc, text_argument


def grace_days() -> int:
    """FOLLOW_UP_GRACE_DAYS of dispatch's section of config.yml (7 when not configured)."""
    section = nameko_config.get("dispatch") or {}
    return int(section.get("FOLLOW_UP_GRACE_DAYS", DEFAULT_GRACE_DAYS))


class PlacementEntrypoints(DispatchPart):
    @rpc(permission="placements.manage")
    def start_placement(self, placement: dict, idempotency_key: str) -> dict:
        """An arrived member of a batch placed; publishes `placement_started`."""
        data, caller = load(StartSchema(), placement), self.context.caller()
        principal, today = self.access.principal, clock.today()
        return self._command(
            "start_placement",
            idempotency_key,
            placement,
            lambda uow: placements.start_placement(uow, caller, principal, data, today),
        )

    @rpc(permission="placements.manage")
    def record_follow_up(self, placement_id: str, follow_up: dict, idempotency_key: str) -> dict:
        """The 1-, 3- or 6-month follow-up; publishes `placement_followed_up`."""
        placement_id = text_argument(placement_id, "placement_id", most=36)
        data, caller = load(FollowUpSchema(), follow_up), self.context.caller()
        principal, today = self.access.principal, clock.today()
        return self._command(
            "record_follow_up",
            idempotency_key,
            {"placement_id": placement_id, "follow_up": follow_up},
            lambda uow: placements.record_follow_up(
                uow, caller, principal, placement_id, data, today
            ),
        )

    @rpc(permission="placements.end")
    def end_placement(
        self, placement_id: str, ended_on: str, reason: str, idempotency_key: str,
        note: str | None = None,
    ) -> dict:  # fmt: skip
        """The placement ended (a return: `returned`); publishes `placement_ended`."""
        request = {"placement_id": placement_id, "ended_on": ended_on, "reason": reason,
                   "note": note}  # fmt: skip
        data, caller = load(EndSchema(), request), self.context.caller()
        principal, today = self.access.principal, clock.today()
        return self._command(
            "end_placement",
            idempotency_key,
            request,
            lambda uow: placements.end_placement(uow, caller, principal, data, today),
        )

    @rpc(permission="placements.read")
    def get_placement(self, placement_id: str) -> dict:
        placement_id = text_argument(placement_id, "placement_id", most=36)
        with self.db.reader() as uow:
            return placements.get_placement(uow, self.access.principal, placement_id)

    @rpc(permission="placements.read")
    def list_placements(
        self, hr_company: str | None = None, status: str | None = None,
        batch_id: str | None = None, person_id: str | None = None,
    ) -> dict:  # fmt: skip
        hr_company = optional_argument(hr_company, "hr_company")
        status = optional_argument(status, "status", PLACEMENT_STATUSES)
        batch_id = optional_argument(batch_id, "batch_id")
        person_id = optional_argument(person_id, "person_id")
        with self.db.reader() as uow:
            return placements.list_placements(
                uow, self.access.principal, hr_company, status, batch_id, person_id
            )

    @rpc(permission="placements.read")
    def list_follow_ups(self, state: str | None = None, hr_company: str | None = None) -> dict:
        """Follow-ups due (or `overdue`) today and not recorded, of active placements."""
        state = optional_argument(state, "state", FOLLOW_UP_STATES)
        hr_company = optional_argument(hr_company, "hr_company")
        today = clock.today()
        with self.db.reader() as uow:
            return placements.list_follow_ups(
                uow, self.access.principal, state, hr_company, today, grace_days()
            )
