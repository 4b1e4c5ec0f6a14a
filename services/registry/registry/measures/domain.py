"""One person, one measure (一人一举措): the plan of concrete measures a registered-poor labourer
carries — training, referral, placement, subsidy — each with an owner, a due date and a status.
Pure Python: no I/O."""

from __future__ import annotations

from datetime import date

from registry.exceptions import MeasureRefused
from registry.people.domain import Household, Person, is_poor

KINDS = {"training": "培训", "referral": "推荐就业", "placement": "转移就业", "subsidy": "补贴"}
STATUSES = ("planned", "in_progress", "done", "cancelled")
# Where a measure may go from each status; done and cancelled are final.
NEXT = {
    "planned": frozenset({"in_progress", "done", "cancelled"}),
    "in_progress": frozenset({"done", "cancelled"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}
EDITABLE = ("description", "owner", "due_date")


def check_new(fields: dict, labourer: Person, household: Household | None) -> None:
    if labourer.status != "active":
        raise MeasureRefused(message_en="the labourer's record was merged into another")
    if not is_poor(household):
        raise MeasureRefused(
            message_en="measures are planned for labourers of registered-poor households",
            message_zh="帮扶举措仅针对建档立卡户劳动力",
        )
    if fields["kind"] not in KINDS:
        raise MeasureRefused(message_en=f"kind is one of {sorted(KINDS)}")


def check_change(current: dict, changes: dict) -> dict:
    """What a change does to a measure: every field it changes, as (before, after)."""
    if current["status"] in ("done", "cancelled"):
        raise MeasureRefused(
            message_en=f"a measure that is {current['status']} no longer changes",
            message_zh="已完成或已取消的举措不能再修改",
        )
    status = changes.get("status", current["status"])
    if status != current["status"] and status not in NEXT[current["status"]]:
        raise MeasureRefused(
            message_en=f"a {current['status']} measure cannot become {status}",
            message_zh="举措状态不能这样变更",
        )
    if status == "cancelled" and not changes.get("note"):
        raise MeasureRefused(
            message_en="say why the measure is cancelled (note)", message_zh="取消举措须说明原因"
        )
    return {
        name: (current[name], changes[name])
        for name in (*EDITABLE, "status", "note")
        if name in changes and changes[name] != current[name]
    }


def is_overdue(measure: dict, today: date) -> bool:
    return (
        measure["status"] in ("planned", "in_progress")
        and measure["due_date"] is not None
        and measure["due_date"] < today
    )
