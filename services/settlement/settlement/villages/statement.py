"""A village cooperative's books as auditors read them: balances per account (at the start and
end of a period when one is asked for), every entry with its postings and references, and the
uses recorded (all those still pending). A coop operator reads only the villages of their area;
the county's administrators, finance people and auditors read every village."""

from __future__ import annotations

from datetime import timedelta

from sanbao_common.access import AUDITOR, COUNTY_ADMIN, FINANCE, OutOfScope, Principal
from settlement.domain import books
from settlement.domain.periods import first_day, last_day
from settlement.villages.repository import PENDING, VillageBooks
from settlement.villages.use_cases import use_view, village_org

SEES_ALL = frozenset({COUNTY_ADMIN, FINANCE, AUDITOR})
CREDIT_ACCOUNTS = frozenset({"distribution_income"})  # the rest are debit accounts


def check_reader(principal: Principal, village: dict) -> None:
    if SEES_ALL.intersection(principal.roles):
        return
    if principal.organisation_id == village["org_id"]:
        return
    code = village.get("division_code")
    if principal.area is None or code is None or not principal.covers(code):
        raise OutOfScope(org_id=village["org_id"])


def _chart(totals: dict[str, int]) -> dict[str, int]:
    """Every account of the chart, credit accounts shown positive as their balance reads."""
    return {
        account: (-totals.get(account, 0) if account in CREDIT_ACCOUNTS
                  else totals.get(account, 0))
        for account in books.CHART
    }  # fmt: skip


def village_statement(connection, principal: Principal, org_id: str, period: str | None) -> dict:
    repo = VillageBooks(connection)
    village = village_org(repo, org_id)
    check_reader(principal, village)
    first = last = None
    if period is not None:
        first, last = first_day(period), last_day(period)
    closing = repo.balances(org_id, None if last is None else last + timedelta(days=1))
    pending = [use_view(u) for u in repo.uses(org_id) if u["status"] == PENDING]
    entries = repo.entries(org_id, first, last)
    return {
        "village": {"org_id": village["org_id"], "name": village["name"],
                    "division_code": village["division_code"], "active": village["active"]},
        "period": period,
        "opening": _chart(repo.balances(org_id, first)) if first is not None else None,
        "balances": _chart(closing),
        "bank_fen": closing.get("bank", 0),
        "pending_fen": sum(u["amount_fen"] for u in pending),
        "available_fen": closing.get("bank", 0) - sum(u["amount_fen"] for u in pending),
        "entries": [
            {"entry_id": e["entry_id"], "kind": e["kind"], "source": e["source"],
             "reference": e["reference"], "posted_at": e["posted_at"].isoformat(),
             "posted_on": e["posted_on"].isoformat(), "posted_by": e["posted_by"],
             "postings": e["postings"]}
            for e in entries
        ],
        "uses": [use_view(u) for u in repo.uses(org_id, first, last)],
        "pending": pending,
    }  # fmt: skip
