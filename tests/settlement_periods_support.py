"""A county settling its months, for the period tests: the directory, one sealed agreement, the
county's reward and subsidy rules, placements delivered as dispatch publishes them, the clock
stopped on a chosen day, and what settlement wrote (lines, outbox events)."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from sanbao_common import clock
from sanbao_common.errors import DomainError
from sanbao_common.messaging.tables import OUTBOX
from settlement.adapters.period_tables import disputes, periods, settlement_lines, statements
from settlement_support import (
    HR_COMPANY,
    VILLAGE,
    agreement_event,
    directory_events,
    key,
    new_id,
    placement_event,
    terms,
)

CST = ZoneInfo("Asia/Shanghai")
BUREAU = "org-hr-bureau"
NAMES = ("李秀英", "王建国", "张桂兰", "刘德华", "陈志强", "杨丽", "赵云", "黄小明")


def today_is(text: str) -> None:
    on = date.fromisoformat(text)
    clock.set(datetime(on.year, on.month, on.day, 10, tzinfo=CST))


@pytest.fixture(autouse=True)
def _clock():
    yield
    clock.reset()


class County:
    """Settlement fed with the directory, AGREEMENT and the county's rules."""

    def __init__(self, settlement, reward: str | None = "200.00", subsidy: str | None = "500.00"):
        self.s = settlement
        self.placements: dict[str, dict] = {}
        settlement.deliver(*directory_events())
        settlement.deliver(agreement_event(terms()))
        admin = settlement.county_admin()
        if reward is not None:
            admin.set_reward_rule(
                {"effective_from": "2026-01-01", "per_labourer": reward, "after_months": 1}, key()
            )
        if subsidy is not None:
            admin.set_subsidy_rule(
                {"effective_from": "2026-01-01", "payer_id": BUREAU, "payer_name": "县人社局",
                 "per_head": subsidy, "qualifying_days": 30},
                key(),
            )  # fmt: skip

    def place(self, starts_on: str = "2026-03-10", **changes) -> str:
        """A placement started (dispatch's `placement_started`); its id."""
        placement_id = new_id()
        number = len(self.placements)
        changes.setdefault("name", NAMES[number % len(NAMES)])
        event = placement_event(
            "placement_started", placement_id, 1, starts_on=starts_on,
            started_at=f"{starts_on}T10:00:00+08:00", **changes,
        )  # fmt: skip
        self.s.deliver(event)
        self.placements[placement_id] = event["payload"]
        return placement_id

    def end(self, placement_id: str, ended_on: str) -> None:
        state = dict(self.placements[placement_id])
        version = state["version"] + 1
        state.update(status="ended", ended_on=ended_on, end_reason="returned")
        del state["placement_id"], state["version"]
        event = placement_event("placement_ended", placement_id, version, **state)
        self.s.deliver(event)
        self.placements[placement_id] = event["payload"]

    # -- callers -------------------------------------------------------------------------------

    def run(self, period: str, caller=None, idempotency_key: str | None = None) -> dict:
        return (caller or self.s.county_coop_operator()).run_period(
            period, idempotency_key or key()
        )

    def close(self, period: str, caller=None, idempotency_key: str | None = None) -> dict:
        worker = caller or self.s.county_coop_operator()
        return worker.close_period(period, idempotency_key or key())

    # -- what is stored ------------------------------------------------------------------------

    def lines(self, period: str | None = None) -> list[dict]:
        rows = self.s.rows(settlement_lines)
        rows = [r for r in rows if period is None or r["period"] == period]
        return sorted(rows, key=lambda r: (r["period"], r["item_key"], r["party"]))

    def events(self, type_: str | None = None) -> list[dict]:
        """The outbox's events, oldest first (of one type when given)."""
        with self.s.db.reader() as uow:
            rows = uow.connection.execute(select(OUTBOX.c.body).order_by(OUTBOX.c.created_at))
            found = [json.loads(body) for (body,) in rows]
        return [e for e in found if type_ is None or e["type"] == type_]

    def written(self) -> tuple:
        """Everything periods write: what a refusal must leave as it was."""
        with self.s.db.reader() as uow:
            counts = tuple(
                uow.connection.execute(select(func.count()).select_from(t)).scalar()
                for t in (periods, statements, settlement_lines, disputes, OUTBOX)
            )
            state = [
                tuple(row)
                for row in uow.connection.execute(
                    select(periods.c.period, periods.c.status, periods.c.runs)
                )
            ]
            acks = [
                tuple(row)
                for row in uow.connection.execute(
                    select(statements.c.statement_id, statements.c.status)
                )
            ]
        return counts, state, acks

    def refused(self, call, code: str) -> DomainError:
        before = self.written()
        with pytest.raises(DomainError) as caught:
            call()
        assert caught.value.code == code, caught.value
        assert self.written() == before
        return caught.value


def hr_operator_of(settlement, company: str = HR_COMPANY, user: str = "zhou.hr"):
    """An HR operator of `company` whom its seal certified (a signatory, as `hr_operator`)."""
    return settlement.as_(
        ("hr_operator", "signatory"), org=company, kind="hr_company", scope=company, user=user
    )


def village_operator_of(settlement, village: str = VILLAGE, org: str = "org-village-x"):
    return settlement.as_(
        ("coop_operator",), org=org, kind="village_coop", scope=village, user="wu.village"
    )
