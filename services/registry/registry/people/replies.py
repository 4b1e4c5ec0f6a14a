"""How registry's people entrypoints read their arguments and shape their replies."""

from __future__ import annotations

from datetime import date, datetime

from registry.people.domain import RowProblem
from registry.people.parsing import as_text
from registry.people.repository import Criteria
from registry.people.use_cases import group_scope, stale_before
from registry_contract.vocabularies import EMPLOYMENT_STATUSES, NO_INTENTION, SCOPES
from sanbao_common.access import AREA_KINDS, Access
from sanbao_common.errors import InvalidInput

FILTERS = frozenset(
    {"area", "village_group", "agent_id", "poor", "employment_status", "intention_scope",
     "willing_to_go", "skill", "stale", "household_id"}
)  # fmt: skip
INTENTION_SCOPES = (*SCOPES, NO_INTENTION)


def iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def text_row(fields: dict) -> dict[str, str]:
    """An RPC caller's fields as the text a roster row holds, so both meet one parser."""
    return {str(name): as_text(value) for name, value in fields.items()}


def text_fields(fields, known: frozenset[str]) -> dict[str, str]:
    """An RPC caller's labourer: known columns only, as text."""
    if not isinstance(fields, dict):
        raise InvalidInput({"labourer": ["an object of roster columns"]})
    unknown = set(fields) - known
    if unknown:
        raise InvalidInput({name: ["Unknown field."] for name in sorted(unknown)})
    return text_row(fields)


def refusal(index: int, problems: list[RowProblem]) -> dict:
    return {
        "index": index,
        "code": problems[0].code,
        "person_id": next((p.registered_as for p in problems if p.registered_as), None),
        "message": "; ".join(f"{p.column}: {p.reason_en}" for p in problems),
        "problems": [
            {"column": p.column, "reason_en": p.reason_en, "reason_zh": p.reason_zh}
            for p in problems
        ],
    }


def history_reply(entry: dict) -> dict:
    return {
        "field": entry["field"],
        "before": entry["before"],
        "after": entry["after"],
        "changed_at": iso(entry["changed_at"]),
        "changed_by": entry["changed_by"],
        "source": entry["source"],
    }


def disclosure_reply(disclosure: dict) -> dict:
    return {
        "disclosure_id": disclosure["disclosure_id"],
        "person_id": disclosure["person_id"],
        "reason": disclosure["reason"],
        "disclosed_at": iso(disclosure["disclosed_at"]),
        "disclosed_to": disclosure["disclosed_to"],
        "organisation_id": disclosure["organisation_id"],
        "correlation_id": disclosure["correlation_id"],
    }


def criteria_from(filters: dict, access: Access, stale_after_days: int) -> Criteria:
    """Search filters, always narrowed to the caller's own area."""
    if not isinstance(filters, dict):
        raise InvalidInput({"filters": ["an object of filters"]})
    unknown = set(filters) - FILTERS
    if unknown:
        raise InvalidInput(
            {name: [f"unknown filter; known: {sorted(FILTERS)}"] for name in unknown}
        )
    principal = access.principal
    area = filters.get("area")
    if area is not None:
        if not isinstance(area, str) or not area.isdigit() or len(area) not in (6, 9, 12):
            raise InvalidInput({"area": ["a county, township or village code"]})
        access.require_in_scope(area)
    elif principal.organisation_kind in AREA_KINDS:
        area = principal.scope.split("-")[0]
    status = filters.get("employment_status")
    if status is not None and status not in EMPLOYMENT_STATUSES:
        raise InvalidInput({"employment_status": [f"one of {sorted(EMPLOYMENT_STATUSES)}"]})
    scope = filters.get("intention_scope")
    if scope is not None and scope not in INTENTION_SCOPES:
        raise InvalidInput({"intention_scope": [f"one of {', '.join(INTENTION_SCOPES)}"]})
    for flag in ("poor", "willing_to_go", "stale"):
        if flag in filters and not isinstance(filters[flag], bool):
            raise InvalidInput({flag: ["true or false"]})
    group = group_scope(principal) or filters.get("village_group")
    return Criteria(
        area=area,
        village_group=group,
        agent_id=filters.get("agent_id"),
        poor=filters.get("poor"),
        employment_status=status,
        intention_scope=scope,
        willing_to_go=filters.get("willing_to_go"),
        skill=filters.get("skill"),
        stale_before=stale_before(stale_after_days) if filters.get("stale") else None,
        household_id=filters.get("household_id"),
    )
