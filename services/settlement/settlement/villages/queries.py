"""What other parts of settlement read of the village books (the agents' statements say what
their village has received and holds, and what rewards it has paid them)."""

from __future__ import annotations

from settlement.villages.repository import VillageBooks


def village_income(connection, village_org_id: str) -> dict:
    """`received_fen`: what distributions paid the village in all; `balance_fen`: its bank
    balance now (after the uses approved)."""
    repo = VillageBooks(connection)
    return {
        "received_fen": repo.income_received(village_org_id),
        "balance_fen": repo.balances(village_org_id).get("bank", 0),
    }


def agent_rewards_paid(connection, agent_id: str, period: str | None = None) -> int:
    """The agent_rewards uses approved for this agent (of this period, when given), in fen."""
    return VillageBooks(connection).agent_rewards(agent_id, period)
