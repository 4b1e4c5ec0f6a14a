"""Measures' entrypoints (一人一举措): planning a registered-poor labourer's measures and moving
them on."""

from __future__ import annotations

from datetime import date, datetime

from registry.measures import use_cases as measures
from registry.measures.domain import is_overdue
from registry.parts import RegistryPart
from registry.people import use_cases as people
from registry.people.replies import history_reply, iso
from registry.people.use_cases import group_scope
from registry.rosters.use_cases import COUNTY_TIME
from registry.schemas import MeasureChangeSchema, NewMeasureSchema
from sanbao_common.access import AREA_KINDS
from sanbao_common.rpc import load, rpc


class MeasureEntrypoints(RegistryPart):
    # -- one person, one measure ---------------------------------------------------------------

    def _measure_reply(self, measure: dict) -> dict:
        reply = {
            name: iso(v) if isinstance(v, date | datetime) else v for name, v in measure.items()
        }
        reply["overdue"] = is_overdue(measure, datetime.now(COUNTY_TIME).date())
        return reply

    @rpc(permission="people.update")
    def add_measure(self, person_id: str, measure: dict, idempotency_key: str) -> dict:
        """Plan a measure (training, referral, placement, subsidy) for a registered-poor
        labourer of the caller's area: who carries it out and by when."""
        fields = load(NewMeasureSchema(), measure)
        caller = self.context.caller()

        def execute(uow):
            labourer = people.changeable_labourer(uow, self.access.principal, person_id)
            return self._measure_reply(measures.add_measure(uow, labourer, fields, caller))

        request = {"person_id": person_id, "measure": measure}
        return self._command("add_measure", idempotency_key, request, execute)

    @rpc(permission="people.update")
    def update_measure(self, measure_id: str, changes: dict, idempotency_key: str) -> dict:
        """Move a measure on (planned → in_progress → done, or cancelled with a note), or
        re-plan it (owner, due date, description); each change is history."""
        fields = load(MeasureChangeSchema(), changes)
        caller = self.context.caller()

        def execute(uow):
            measure = measures.get_measure(uow, measure_id)
            people.visible_labourer(uow, self.access.principal, measure["person_id"])
            return self._measure_reply(measures.change_measure(uow, measure, fields, caller))

        request = {"measure_id": measure_id, "changes": changes}
        return self._command("update_measure", idempotency_key, request, execute)

    @rpc(permission="labourers.read")
    def list_measures(self, person_id: str | None = None, overdue: bool = False) -> list:
        """A person's plan, or every measure of the caller's area (`overdue`: only those past
        their due date and not done or cancelled)."""
        principal = self.access.principal
        with self.db.reader() as uow:
            if person_id is not None:
                people.visible_labourer(uow, self.access.principal, person_id)
            area = (
                principal.scope.split("-")[0] if principal.organisation_kind in AREA_KINDS else None
            )
            rows = measures.list_measures(
                uow,
                person_id=person_id,
                area=area,
                group=group_scope(principal),
                overdue_on=datetime.now(COUNTY_TIME).date() if overdue else None,
            )
        return [self._measure_reply(row) for row in rows]

    @rpc(permission="labourers.read")
    def measure_history(self, measure_id: str) -> list:
        with self.db.reader() as uow:
            measure = measures.get_measure(uow, measure_id)
            people.visible_labourer(uow, self.access.principal, measure["person_id"])
            return [history_reply(h) for h in people.history(uow, "measure", measure_id)]
