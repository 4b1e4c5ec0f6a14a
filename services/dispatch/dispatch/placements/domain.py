"""A placement and its follow-ups, and the rules they keep: pure Python, no I/O.

A placement is started for an arrived member of a batch, under the batch's agreement version in
force on its start date; it is followed up at 1, 3 and 6 months (`schedule`), each once, each
only once due and while the placement is active; it ends once, on a date between its start and
today, for a reason (`END_REASONS`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from dispatch.placements.errors import (
    FollowUpNotDue,
    FollowUpRecorded,
    FollowUpRejected,
    PlacementEnded,
    PlacementRejected,
)
from dispatch.placements.schedule import due_dates
from dispatch_contract.placements import ACTIVE, EMPLOYED, END_REASONS, ENDED, FOLLOW_UP_OUTCOMES

MAX_WAGE_FEN = 10_000_000  # a month, as job orders' (dispatch.orders.domain)
# How far ahead a start may be recorded: people who arrived start within weeks, not months.
MAX_DAYS_AHEAD = 31


@dataclass(frozen=True)
class FollowUp:
    month: int
    due_on: date
    contacted_on: date
    outcome: str
    wage_fen: int | None
    note: str | None
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class Placement:
    placement_id: str
    batch_id: str
    order_id: str
    agreement_id: str
    agreement_version: int
    hr_company: str
    employer_id: str
    employer_name: str
    person_id: str
    name: str
    id_number_masked: str
    village_code: str
    township_code: str
    agent_id: str | None
    poor: bool
    place_scope: str
    place: str
    starts_on: date
    wage_fen: int
    current_wage_fen: int
    status: str
    version: int
    started_at: datetime
    started_by: str
    ended_on: date | None = None
    end_reason: str | None = None
    end_note: str | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    follow_ups: tuple[FollowUp, ...] = ()


def _check_wage(wage_fen: int, error) -> None:
    if not 0 < wage_fen <= MAX_WAGE_FEN:
        raise error(
            message_en="the monthly wage must be more than 0 and at most 100000 yuan",
            message_zh="月工资应大于 0 且不超过 100000 元",
        )


def check_start(starts_on: date, wage_fen: int, arrived_on: date | None, today: date) -> None:
    """A start on or after the batch's arrival, at most `MAX_DAYS_AHEAD` days after today."""
    if arrived_on is not None and starts_on < arrived_on:
        raise PlacementRejected(
            message_en=f"starts_on {starts_on} is before the batch arrived ({arrived_on})",
            message_zh=f"开工日期 {starts_on} 早于批次到达日期 {arrived_on}",
        )
    if starts_on > today + timedelta(days=MAX_DAYS_AHEAD):
        raise PlacementRejected(
            message_en=f"starts_on {starts_on} is more than {MAX_DAYS_AHEAD} days after today",
            message_zh=f"开工日期 {starts_on} 晚于今天 {MAX_DAYS_AHEAD} 天以上",
        )
    _check_wage(wage_fen, PlacementRejected)


def _check_active(placement: Placement) -> None:
    if placement.status != ACTIVE:
        raise PlacementEnded(placement_id=placement.placement_id, ended_on=str(placement.ended_on))


def follow_up(placement: Placement, data: dict, today: date, at: datetime, by: str) -> Placement:
    """The placement with the follow-up `data` (month, contacted_on, outcome, wage_fen, note)
    recorded; the current wage is the one an `employed` outcome gives."""
    _check_active(placement)
    month, contacted_on, outcome = data["month"], data["contacted_on"], data["outcome"]
    due_on = due_dates(placement.starts_on).get(month)
    if due_on is None:
        raise FollowUpRejected(
            message_en="month must be 1, 3 or 6", message_zh="回访月份应为 1、3 或 6"
        )
    if any(f.month == month for f in placement.follow_ups):
        raise FollowUpRecorded(placement_id=placement.placement_id, month=month)
    if today < due_on:
        raise FollowUpNotDue(
            message_en=f"the {month}-month follow-up falls due on {due_on}",
            message_zh=f"第 {month} 个月的跟踪回访 {due_on} 到期",
            due_on=str(due_on),
        )
    _check_contact(placement, contacted_on, outcome, data["wage_fen"], today)
    record = FollowUp(month, due_on, contacted_on, outcome, data["wage_fen"], data["note"], at, by)
    follow_ups = tuple(sorted((*placement.follow_ups, record), key=lambda f: f.month))
    current = data["wage_fen"] if outcome == EMPLOYED else placement.current_wage_fen
    return replace(
        placement, follow_ups=follow_ups, current_wage_fen=current, version=placement.version + 1
    )


def _check_contact(
    placement: Placement, contacted_on: date, outcome: str, wage_fen: int | None, today: date
) -> None:
    if not placement.starts_on <= contacted_on <= today:
        raise FollowUpRejected(
            message_en=f"contacted_on must be between the start ({placement.starts_on}) and today",
            message_zh=f"回访日期应在开工日期（{placement.starts_on}）与今天之间",
        )
    if outcome not in FOLLOW_UP_OUTCOMES:
        raise FollowUpRejected(
            message_en=f"outcome must be one of {', '.join(FOLLOW_UP_OUTCOMES)}",
            message_zh=f"回访结果应为 {'、'.join(FOLLOW_UP_OUTCOMES)} 之一",
        )
    if outcome == EMPLOYED and wage_fen is None:
        raise FollowUpRejected(
            message_en="an employed outcome gives the wage now (wage)",
            message_zh="在岗的回访须填写当前月工资（wage）",
        )
    if outcome != EMPLOYED and wage_fen is not None:
        raise FollowUpRejected(
            message_en="a wage goes only with an employed outcome",
            message_zh="只有在岗的回访填写工资",
        )
    if wage_fen is not None:
        _check_wage(wage_fen, FollowUpRejected)


def end(
    placement: Placement, ended_on: date, reason: str, note: str | None, today: date,
    at: datetime, by: str,
) -> Placement:  # fmt: skip
    """The placement ended on `ended_on` for `reason`; once only."""
    _check_active(placement)
    if reason not in END_REASONS:
        raise PlacementRejected(
            message_en=f"reason must be one of {', '.join(END_REASONS)}",
            message_zh=f"结束原因应为 {'、'.join(END_REASONS)} 之一",
        )
    if not placement.starts_on <= ended_on <= today:
        raise PlacementRejected(
            message_en=f"ended_on must be between the start ({placement.starts_on}) and today",
            message_zh=f"结束日期应在开工日期（{placement.starts_on}）与今天之间",
        )
    return replace(
        placement, status=ENDED, ended_on=ended_on, end_reason=reason, end_note=note,
        ended_at=at, ended_by=by, version=placement.version + 1,
    )  # fmt: skip
