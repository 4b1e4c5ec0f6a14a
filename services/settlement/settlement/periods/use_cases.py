"""Running and closing periods, each inside the unit of work it is given (the entrypoint's
command commits). Checks run first; any refusal rolls the whole unit of work back, so a refused
request leaves nothing written.

A run replaces the open period's lines and posts nothing. Closing runs it once more, freezes it,
stores who closed it (settlement asks the fund for distributions on their behalf), issues its
statements and publishes what the close means (`settlement.periods.events`). Periods close in
month order: the one to close is the open period after the last closed one (the earliest run
period while none is closed), and only once its month has ended."""

from __future__ import annotations

from datetime import date

from sanbao_common import clock
from sanbao_common.access import COUNTY_ADMIN, Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events
from settlement.domain.periods import first_day, last_day, next_period
from settlement.inputs.repository import Inputs
from settlement.periods import events as ev
from settlement.periods import metrics
from settlement.periods.computation import (
    AGENT_REWARD,
    COUNTERPARTY_KINDS,
    POLICY_SUBSIDY,
    Computed,
    compute,
)
from settlement.periods.errors import (
    EarlierPeriodOpen,
    NotCountyCooperative,
    PeriodClosed,
    PeriodInFuture,
    PeriodNotEnded,
)
from settlement.periods.reads import period_summary
from settlement.periods.repository import CLOSED, OPEN, PeriodRepository

COUNTY_COOP = "county_coop"


def check_settles(principal: Principal) -> None:
    """A county cooperative's operator, or the county's administrator."""
    if COUNTY_ADMIN not in principal.roles and principal.organisation_kind != COUNTY_COOP:
        raise NotCountyCooperative(organisation_id=principal.organisation_id)


def next_open(repo: PeriodRepository, period: str) -> str:
    """The period after the last closed one; while none is closed, the earliest run (this one
    included)."""
    last = repo.last_closed()
    if last is not None:
        return next_period(last)
    earliest = repo.earliest_run()
    return period if earliest is None else min(earliest, period)


def _check_open(repo: PeriodRepository, period: str, today: date) -> None:
    if first_day(period) > today:
        raise PeriodInFuture(period=period, today=today.isoformat())
    last = repo.last_closed()
    if last is not None and period <= last:
        raise PeriodClosed(period=period, last_closed=last)


def _run(uow: UnitOfWork, caller: Caller, period: str, today: date) -> Computed:
    repo = PeriodRepository(uow.connection)
    through = min(last_day(period), today)
    computed = compute(uow.connection, period, next_open(repo, period), through, repo.last_closed())
    repo.replace_lines(period, computed.lines)
    found = repo.get(period)
    repo.save(
        period,
        {
            "status": OPEN,
            "runs": (found["runs"] if found else 0) + 1,
            "last_run_at": clock.now(),
            "last_run_by": caller.actor,
            "through": through,
            "total_fen": sum(line["amount_fen"] for line in computed.lines),
            "rows": len(computed.lines),
            "pending": computed.pending,
            "deferred": computed.deferred,
        },
    )
    return computed


def run_period(
    uow: UnitOfWork, caller: Caller, principal: Principal, period: str, today: date
) -> dict:
    """The open period's lines computed again (replacing its last run's); nothing published."""
    check_settles(principal)
    repo = PeriodRepository(uow.connection)
    repo.lock()
    _check_open(repo, period, today)
    computed = _run(uow, caller, period, today)
    return period_summary(uow.connection, principal, period, computed.lines)


def close_period(
    uow: UnitOfWork, caller: Caller, principal: Principal, period: str, today: date
) -> dict:
    """The period run once more and closed: its statements issued, its events published."""
    check_settles(principal)
    repo = PeriodRepository(uow.connection)
    repo.lock()
    _check_open(repo, period, today)
    if last_day(period) >= today:
        raise PeriodNotEnded(period=period, closes_from=next_period(period) + "-01")
    expected = next_open(repo, period)
    if period != expected:
        raise EarlierPeriodOpen(period=period, next_open=expected)
    computed = _run(uow, caller, period, today)
    now = clock.now()
    closer = {
        "status": CLOSED,
        "closed_at": now,
        "closer_user_id": principal.user_id,
        "closer_username": principal.username,
        "closer_org_id": principal.organisation_id,
    }
    repo.save(period, closer)
    statements = _issue(repo, Inputs(uow.connection), computed, now)
    summary = period_summary(uow.connection, principal, period, computed.lines)
    write_events(uow, _close_events(caller, repo, computed, statements, summary))
    metrics.periods_closed.inc()
    metrics.pending_placements.set(len(computed.pending))
    return summary


def _issue(repo: PeriodRepository, inputs: Inputs, computed: Computed, now) -> list[dict]:
    """One statement per agreement, kind and counterparty with lines in the period."""
    found: dict[str, dict] = {}
    for line in computed.lines:
        if line["statement_id"] is None:
            continue
        statement = found.get(line["statement_id"])
        if statement is None:
            statement = found[line["statement_id"]] = _new_statement(inputs, computed, line, now)
        statement["total_fen"] += line["amount_fen"]
        statement["placements"].add(line["placement_id"])
    for statement in found.values():
        asks = statement["kind"] == POLICY_SUBSIDY and statement["total_fen"] > 0
        statement["receivable_state"] = "requested" if asks else "none"
    statements = sorted(found.values(), key=lambda s: (s["kind"], s["agreement_id"],
                                                       s["counterparty_id"]))  # fmt: skip
    repo.add_statements([{k: v for k, v in s.items() if k != "placements"} for s in statements])
    return statements


def _new_statement(inputs: Inputs, computed: Computed, line: dict, now) -> dict:
    kind, counterparty = line["kind"], line["counterparty_id"]
    name = computed.counterparty_names.get(counterparty) if kind == POLICY_SUBSIDY else None
    if name is None:
        organisation = inputs.organisation(counterparty)
        name = organisation["name"] if organisation else counterparty
    return {
        "statement_id": line["statement_id"], "period": computed.period,
        "agreement_id": line["agreement_id"], "kind": kind, "counterparty_id": counterparty,
        "counterparty_kind": COUNTERPARTY_KINDS[kind], "counterparty_name": name,
        "total_fen": 0, "status": "issued", "acknowledged_fen": None, "disputed_fen": None,
        "acknowledged_at": None, "acknowledged_by": None, "issued_at": now,
        "receivable_state": "none", "receivable_id": None, "receivable_reason": None,
        "paid_fen": 0, "placements": set(),
    }  # fmt: skip


def _close_events(caller, repo, computed: Computed, statements: list[dict], summary) -> list:
    period = repo.get(computed.period)
    found = [ev.period_settled(caller, period, summary["totals"], statements)]
    rewards = [line for line in computed.lines if line["kind"] == AGENT_REWARD]
    found += ev.agent_rewards_due(caller, computed.period, rewards)
    for statement in statements:
        if statement["receivable_state"] == "requested":
            found.append(ev.subsidy_claimed(caller, statement, len(statement["placements"])))
            found.append(
                ev.receivable_request(
                    caller, statement, statement["statement_id"], statement["total_fen"]
                )
            )
    return found
