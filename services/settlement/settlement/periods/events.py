"""The events periods and statements publish (docs/events.md), written to the outbox with the
change they announce. A run publishes nothing; a close publishes `period_settled`, one
`agent_reward_due` per agent and village with reward lines, and for each subsidy statement
`subsidy_claimed` and its `receivable_requested`; an acknowledgement `statement_acknowledged` and
the acknowledged part's `receivable_requested`; a dispute found owed its own
`receivable_requested`. Labourers appear masked only (name and masked ID number)."""

from __future__ import annotations

from fund_contract.requests import RECEIVABLE_REQUEST_FIELDS
from sanbao_common.context import Caller
from sanbao_common.envelope import new_envelope

SOURCE = "settlement"


def _event(type_: str, caller: Caller, record_id: str, payload: dict, version: int = 1) -> dict:
    return new_envelope(
        type_,
        source=SOURCE,
        county=caller.county,
        payload=payload,
        actor=caller.actor,
        correlation_id=caller.correlation_id,
        record_id=record_id,
        version=version,
    )


def receivable_request(caller: Caller, statement: dict, statement_ref: str, amount_fen: int):
    """`receivable_requested` (fund_contract.requests): the statement's counterparty owes the
    joint account of its agreement `amount_fen` under `statement_ref`."""
    values = {
        "account_id": statement["agreement_id"],
        "statement_ref": statement_ref,
        "amount_fen": amount_fen,
        **{name: statement[name] for name in ("kind", "period", "counterparty_id",
                                              "counterparty_kind", "counterparty_name")},
    }  # fmt: skip
    payload = {name: values[name] for name in RECEIVABLE_REQUEST_FIELDS}
    return _event("receivable_requested", caller, statement_ref, payload)


def statement_summary(statement: dict) -> dict:
    return {
        name: statement[name]
        for name in (
            "statement_id", "period", "agreement_id", "kind", "counterparty_id",
            "counterparty_kind", "counterparty_name", "total_fen",
        )
    }  # fmt: skip


def period_settled(caller: Caller, period: dict, totals: dict, statements: list[dict]) -> dict:
    payload = {
        "period": period["period"],
        "total_fen": period["total_fen"],
        "totals_by_kind": totals["by_kind"],
        "totals_by_party": totals["by_party"],
        "statements": [statement_summary(s) for s in statements],
        "pending_count": len(period["pending"]),
        "deferred_count": len(period["deferred"]),
        "closed_by": {
            "user_id": period["closer_user_id"],
            "username": period["closer_username"],
            "organisation_id": period["closer_org_id"],
        },
    }
    return _event("period_settled", caller, period["period"], payload)


def _labourer(line: dict) -> dict:
    return {
        "placement_id": line["placement_id"],
        "person_id": line["person_id"],
        "name": line["name"],
        "id_number_masked": line["id_number_masked"],
        "mark_on": None if line["due_on"] is None else line["due_on"].isoformat(),
        "rule_id": line["rule_id"],
        "rule_version": line["rule_version"],
        "amount_fen": line["amount_fen"],
        "adjustment": line["adjustment"],
    }


def agent_rewards_due(caller: Caller, period: str, reward_lines: list[dict]) -> list[dict]:
    """One `agent_reward_due` per agent and village with reward lines in the period."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for line in reward_lines:
        groups.setdefault((line["payee_id"], line["village_code"] or ""), []).append(line)
    found = []
    for (agent_id, village_code), lines in sorted(groups.items()):
        payload = {
            "agent_id": agent_id,
            "period": period,
            "village_code": village_code or None,
            "amount_fen": sum(line["amount_fen"] for line in lines),
            "labourers": [_labourer(line) for line in lines],
        }
        found.append(
            _event("agent_reward_due", caller, f"{period}:{agent_id}:{village_code}", payload)
        )
    return found


def subsidy_claimed(caller: Caller, statement: dict, placements: int) -> dict:
    payload = dict(statement_summary(statement), placements=placements)
    return _event("subsidy_claimed", caller, statement["statement_id"], payload)


def statement_acknowledged(caller: Caller, state: dict) -> dict:
    return _event("statement_acknowledged", caller, state["statement_id"], state)
