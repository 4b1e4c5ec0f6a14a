"""One party's view of a period (`party_statement`): an HR company's service revenue owed, a
cooperative's lines (county, township or village: whatever it is paid), an agent's rewards with
the labourers behind each yuan, a labourer's own lines — each within the caller's scope
(`settlement.periods.reads`). An agent's view says whether their village has received income
yet: rewards are paid from the village's income, by the village."""

from __future__ import annotations

from sanbao_common.access import OutOfScope, Principal
from settlement.adapters.period_tables import settlement_lines, statements
from settlement.domain.items import AGENT_REWARD, SERVICE_REVENUE
from settlement.periods.reads import company_of, line_scope, only_agent, statement_scope
from settlement.periods.repository import PeriodRepository
from settlement.periods.schemas import labourers, statement_state

PARTIES = ("hr_company", "cooperative", "agent", "labourer")


def _refused(what: str, **details) -> OutOfScope:
    return OutOfScope(
        message_en=f"this is another {what}'s statement",
        message_zh="此结算明细不属于您",
        **details,
    )


def _conditions(principal: Principal, party: str, party_id: str) -> list:
    c = settlement_lines.c
    if party == "hr_company":
        if company_of(principal) not in (None, party_id):
            raise _refused("HR company", hr_company=party_id)
        return [c.counterparty_id == party_id, c.kind == SERVICE_REVENUE]
    if party == "agent":
        if only_agent(principal) and principal.user_id != party_id:
            raise _refused("agent", agent_id=party_id)
        return [c.payee_id == party_id, c.kind == AGENT_REWARD]
    if party == "cooperative":
        return [c.payee_id == party_id]
    return [c.person_id == party_id]


def party_statement(
    connection, principal: Principal, period: str, party: str, party_id: str
) -> dict:
    repo = PeriodRepository(connection)
    found = repo.get(period)
    status = None if found is None else found["status"]
    c = settlement_lines.c
    where = [c.period == period, *_conditions(principal, party, party_id), *line_scope(principal)]
    lines = repo.lines(*where)
    by_kind: dict[str, int] = {}
    for line in lines:
        by_kind[line["kind"]] = by_kind.get(line["kind"], 0) + line["amount_fen"]
    reply = {
        "period": period, "period_status": status, "party": party, "party_id": party_id,
        "total_fen": sum(by_kind.values()), "totals_by_kind": by_kind,
        "labourers": labourers(lines),
    }  # fmt: skip
    if party == "hr_company":
        s = statements.c
        reply["statements"] = [
            statement_state(x, repo.disputes(x["statement_id"]))
            for x in repo.statements(
                s.period == period, s.counterparty_id == party_id, *statement_scope(principal)
            )
        ]
    if party == "agent":
        reply["villages"] = _villages(connection, party_id, period, lines)
    return reply


def _villages(connection, agent_id: str, period: str, lines: list[dict]) -> list[dict]:
    """Per village of the agent's labourers: what its cooperative has received in distributions
    of this period's receivables and paid the agent for the period, and what that means for the
    agent."""
    from settlement.inputs.repository import Inputs
    from settlement.villages.repository import VillageBooks

    _, villages = Inputs(connection).cooperatives()
    books = VillageBooks(connection)
    found = []
    for code in sorted({line["village_code"] for line in lines if line["village_code"]}):
        org_id = villages.get(code)
        received = books.income_received(org_id, period) if org_id else 0
        paid = books.agent_rewards(agent_id, period, org_id) if org_id else 0
        if received <= 0:
            note_en = (
                "not yet distributed: the village cooperative has received no income for this "
                "period yet"
            )
            note_zh = "尚未分配：村合作社尚未收到本期收益"
        else:
            note_en = (
                "the village cooperative has received income for this period; it pays rewards "
                "from it"
            )
            note_zh = "村合作社已收到本期收益，奖励由其从收益中支付"
        found.append(
            {
                "village_code": code,
                "village_org_id": org_id,
                "income_received_fen": received,
                "rewards_paid_fen": paid,
                "note_en": note_en,
                "note_zh": note_zh,
            }  # fmt: skip
        )
    return found
