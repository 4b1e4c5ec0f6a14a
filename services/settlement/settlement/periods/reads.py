"""Reads of periods, statements and the party views (`settlement.read`), within the caller's
scope: an HR company's people see their own company's statements only; an area-bound caller (a
cooperative's people, agents) the lines of labourers of their area; an agent only the lines of
the labourers they mobilised; bureaus, finance and auditors everything. Labourers appear masked
(name and masked ID number) to everyone. These replies are what `sanbao settlement …` renders
as CSV and XLSX."""

from __future__ import annotations

from sqlalchemy import or_

from sanbao_common.access import AGENT, OutOfScope, Principal
from settlement.adapters.period_tables import settlement_lines, statements
from settlement.periods.errors import PeriodNotFound
from settlement.periods.repository import PeriodRepository, found_statement
from settlement.periods.schemas import labourers, statement_state

HR_COMPANY = "hr_company"
AGENT_REWARD = "agent_reward"
PENDING_SHOWN = 100


def only_agent(principal: Principal) -> bool:
    return AGENT in principal.roles and not set(principal.roles) - {AGENT}


def company_of(principal: Principal) -> str | None:
    """The HR company whose statements the caller reads (theirs), or None (any)."""
    return principal.organisation_id if principal.organisation_kind == HR_COMPANY else None


def line_scope(principal: Principal) -> list:
    """Conditions on `settlement_lines` limiting them to what the caller may read."""
    c, conditions = settlement_lines.c, []
    company = company_of(principal)
    if company is not None:
        conditions.append(or_(c.counterparty_id == company, c.payee_id == company))
    if principal.area is not None:
        conditions.append(c.village_code.startswith(principal.area, autoescape=True))
    if only_agent(principal):  # their own rewards only: no other party's share, no statement
        conditions += [c.agent_id == principal.user_id, c.kind == AGENT_REWARD]
    return conditions


def statement_scope(principal: Principal) -> list:
    if only_agent(principal):
        return [statements.c.statement_id.is_(None)]  # an agent has no statement to read
    company = company_of(principal)
    return [] if company is None else [statements.c.counterparty_id == company]


def _time(value):
    return None if value is None else value.isoformat()


def _period_state(found: dict) -> dict:
    return {
        "period": found["period"], "status": found["status"], "runs": found["runs"],
        "through": found["through"].isoformat(), "last_run_at": _time(found["last_run_at"]),
        "last_run_by": found["last_run_by"], "closed_at": _time(found["closed_at"]),
        "closed_by": None if found["closer_user_id"] is None else {
            "user_id": found["closer_user_id"], "username": found["closer_username"],
            "organisation_id": found["closer_org_id"],
        },
    }  # fmt: skip


_GROUPS = ("kind", "party", "statement_id", "agreement_id", "counterparty_id")


def _visible(principal: Principal):
    """`line_scope` as a test of one line (a run's lines, still in memory)."""
    company, area = company_of(principal), principal.area
    agent = principal.user_id if only_agent(principal) else None

    def visible(line: dict) -> bool:
        return (
            (company is None or company in (line["counterparty_id"], line["payee_id"]))
            and (area is None or (line["village_code"] or "").startswith(area))
            and (agent is None or (line["agent_id"] == agent and line["kind"] == AGENT_REWARD))
        )

    return visible


def _groups_of(lines: list[dict], principal: Principal) -> list[tuple]:
    visible, sums = _visible(principal), {}
    for line in lines:
        if visible(line):
            group = tuple(line[name] for name in _GROUPS)
            fen, count = sums.get(group, (0, 0))
            sums[group] = (fen + line["amount_fen"], count + 1)
    return [(*group, fen, count) for group, (fen, count) in sums.items()]


def period_summary(connection, principal: Principal, period: str, lines=None) -> dict:
    """The period as the caller may see it: its lines' totals by kind, party and statement,
    its pending placements (the first 100) and what was deferred. `lines`: the period's lines
    when the caller has them (a run), else read."""
    repo = PeriodRepository(connection)
    found = repo.get(period)
    if found is None:
        raise PeriodNotFound(period=period)
    if lines is None:
        where = [settlement_lines.c.period == period, *line_scope(principal)]
        groups = repo.totals(*where, by=_GROUPS)
    else:
        groups = _groups_of(lines, principal)
    by_kind: dict[str, int] = {}
    by_party: dict[str, int] = {}
    by_statement: dict[tuple, list[int]] = {}
    for kind, party, statement, agreement, counterparty, fen, count in groups:
        by_kind[kind] = by_kind.get(kind, 0) + int(fen)
        by_party[party] = by_party.get(party, 0) + int(fen)
        if statement is not None:
            sums = by_statement.setdefault((statement, agreement, kind, counterparty), [0, 0])
            sums[0] += int(fen)
            sums[1] += count
    shown = [
        {"statement_id": statement, "agreement_id": agreement, "kind": kind,
         "counterparty_id": counterparty, "total_fen": fen, "lines": count}
        for (statement, agreement, kind, counterparty), (fen, count) in sorted(
            by_statement.items(), key=lambda item: item[0][1:] + item[0][:1]
        )
    ]  # fmt: skip
    pending = [p for p in found["pending"] if _sees(principal, p)]
    reply = _period_state(found)
    reply.update(
        rows=sum(group[-1] for group in groups),
        total_fen=sum(by_kind.values()),
        totals={
            "by_kind": dict(sorted(by_kind.items())),
            "by_party": dict(sorted(by_party.items())),
        },  # fmt: skip
        statements=shown,
        pending={"count": len(pending), "first": pending[:PENDING_SHOWN]},
        deferred=[g for g in found["deferred"] if _sees_group(principal, g)],
    )
    return reply


def _sees(principal: Principal, pending: dict) -> bool:
    """Whether the caller may see a pending placement (its company, area, agent)."""
    company, area = company_of(principal), principal.area
    return (
        company in (None, pending["hr_company"])
        and (area is None or pending["village_code"].startswith(area))
        and (not only_agent(principal) or pending["agent_id"] == principal.user_id)
    )


def _sees_group(principal: Principal, group: dict) -> bool:
    """Whether the caller may see a deferred group (a payee's sum on a statement)."""
    company, area = company_of(principal), principal.area
    if company is not None:
        return company in (group["counterparty_id"], group["payee_id"])
    if area is not None and not all(v.startswith(area) for v in group["village_codes"]):
        return False
    return not only_agent(principal) or group["payee_id"] == principal.user_id


def list_periods(connection, principal: Principal) -> dict:
    return {"periods": [_period_state(p) for p in PeriodRepository(connection).all()]}


def list_statements(connection, principal: Principal, period, kind) -> dict:
    s = statements.c
    conditions = statement_scope(principal)
    if period is not None:
        conditions.append(s.period == period)
    if kind is not None:
        conditions.append(s.kind == kind)
    found = PeriodRepository(connection).statements(*conditions)
    return {"statements": [statement_state(x) for x in found]}


def get_statement(connection, principal: Principal, statement_id: str) -> dict:
    """The statement, its disputes, and its lines grouped per placement (the labourers' lines)
    within the caller's scope; `shown_fen` what those add up to."""
    repo = PeriodRepository(connection)
    statement = found_statement(repo, statement_id)
    company = company_of(principal)
    if only_agent(principal) or company not in (None, statement["counterparty_id"]):
        raise OutOfScope(
            message_en="this statement is another company's",
            message_zh="此结算单属于其他单位",
            statement_id=statement_id,
        )
    lines = repo.lines(settlement_lines.c.statement_id == statement_id, *_area(principal))
    reply = statement_state(statement, repo.disputes(statement_id))
    reply["labourers"] = labourers(lines)
    reply["shown_fen"] = sum(line["amount_fen"] for line in lines)
    return reply


def _area(principal: Principal) -> list:
    if principal.area is None:
        return []
    return [settlement_lines.c.village_code.startswith(principal.area, autoescape=True)]
