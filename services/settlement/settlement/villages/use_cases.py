"""The village cooperatives' books: income posted as distributions to them are paid (Dr bank,
Cr distribution_income, once per distribution line), and uses of it (agents' rewards, public
works, working costs) recorded by one of the village cooperative's operators and approved by
another (Dr <use>, Cr bank) — never by whoever recorded it, never by anyone of another
organisation. The bank balance never goes negative: a use is refused when it is more than the
balance less the other uses still pending (at recording) or than the balance (at approval,
under the village's lock, so two approvals cannot both spend the same yuan)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sanbao_common.access import COOP_OPERATOR, Forbidden, Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from settlement.domain import books
from settlement.villages.errors import (
    SelfApproval,
    VillageNotFound,
    VillageUseDecided,
    VillageUseNotFound,
)
from settlement.villages.repository import (
    PENDING,
    POSTED,
    REJECTED,
    VILLAGE_COOP,
    VillageBooks,
)


def post_income(
    connection, distribution: dict, lines: list[dict], actor: str, now: datetime, today: date
) -> int:
    """A paid distribution's lines to village cooperatives, each posted once as the village's
    income; how many were posted."""
    repo = VillageBooks(connection)
    villages = repo.villages_among(line["payee_id"] for line in lines)
    posted = 0
    for line in lines:
        village = line["payee_id"]
        if village not in villages:
            continue
        repo.lock(village, now)
        source = f"distribution:{distribution['distribution_id']}:{line['line_no']}"
        entry = books.income_entry(line["amount_fen"], line["reference"])
        if repo.post(village, "income", source, line["reference"], entry, actor, now, today):
            posted += 1
    return posted


def _check_operator(principal: Principal, village_org_id: str | None = None) -> str:
    """The caller is a coop operator of a village cooperative (of this one when given): whose
    books they keep."""
    if COOP_OPERATOR not in principal.roles or principal.organisation_kind != VILLAGE_COOP:
        raise Forbidden(
            message_en="a village's books are kept by its own cooperative's operators",
            message_zh="村集体账目由本村合作社的经办人员记录和审批",
        )
    if village_org_id is not None and principal.organisation_id != village_org_id:
        raise Forbidden(
            message_en="this use is of another village cooperative's books",
            message_zh="该笔支出属于其他村级合作社的账目",
        )
    return principal.organisation_id


def village_org(repo: VillageBooks, org_id: str) -> dict:
    found = repo.organisation(org_id)
    if found is None or found["kind"] != VILLAGE_COOP:
        raise VillageNotFound(org_id=org_id)
    return found


def _bank(repo: VillageBooks, village_org_id: str) -> int:
    return repo.balances(village_org_id).get("bank", 0)


def record_use(
    uow: UnitOfWork, caller: Caller, principal: Principal, data: dict, now: datetime, today: date
) -> dict:
    """A use of the village's income recorded, pending another operator's approval; refused when
    the bank balance less the uses already pending is less than its amount."""
    village_org_id = _check_operator(principal)
    repo = VillageBooks(uow.connection)
    village_org(repo, village_org_id)
    repo.lock(village_org_id, now)
    bank, pending = _bank(repo, village_org_id), repo.pending_fen(village_org_id)
    if data["amount"] > bank - pending:
        raise books.VillageBalanceShort(
            message_en="the village cooperative's bank balance, less the uses recorded and not "
            "yet decided, is less than the amount",
            message_zh="村合作社账户余额减去已登记待审批的支出后不足",
            balance_fen=bank, pending_fen=pending, available_fen=bank - pending,
            amount_fen=data["amount"],
        )  # fmt: skip
    use = {
        "use_id": str(uuid.uuid4()), "village_org_id": village_org_id, "use": data["use"],
        "amount_fen": data["amount"], "reference": data["reference"], "note": data["note"],
        "agent_id": data["agent_id"], "period": data["period"], "status": PENDING,
        "recorded_by": caller.actor, "recorded_by_user_id": principal.user_id,
        "recorded_at": now, "recorded_on": today, "decided_by": None, "decided_at": None,
        "reason": None, "entry_id": None, "version": 1,
    }  # fmt: skip
    repo.add_use(use)
    return use_view(use)


def _pending_use(repo: VillageBooks, principal: Principal, use_id: str) -> dict:
    use = repo.use(use_id)
    if use is None:
        raise VillageUseNotFound(use_id=use_id)
    _check_operator(principal, use["village_org_id"])
    if use["status"] != PENDING:
        raise VillageUseDecided(use_id=use_id, status=use["status"])
    return use


def approve_use(
    uow: UnitOfWork, caller: Caller, principal: Principal, use_id: str, now: datetime, today: date
) -> dict:
    """Another operator of the same village cooperative approves: the use posted (Dr use, Cr
    bank), checked against the bank balance under the village's lock."""
    repo = VillageBooks(uow.connection)
    use = _pending_use(repo, principal, use_id)
    if principal.user_id == use["recorded_by_user_id"] or caller.actor == use["recorded_by"]:
        raise SelfApproval(use_id=use_id)
    village_org_id = use["village_org_id"]
    repo.lock(village_org_id, now)
    use = _pending_use(repo, principal, use_id)  # read again under the lock
    books.ensure_covers(_bank(repo, village_org_id), use["amount_fen"])
    entry = books.use_entry(use["use"], use["amount_fen"], use["reference"])
    entry_id = repo.post(
        village_org_id, "use", f"use:{use_id}", use["reference"], entry, caller.actor, now, today
    )
    saved = repo.save_use(
        dict(use, status=POSTED, decided_by=caller.actor, decided_at=now, entry_id=entry_id),
        use["version"],
    )
    return use_view(saved)


def reject_use(
    uow: UnitOfWork, caller: Caller, principal: Principal, data: dict, now: datetime
) -> dict:
    """An operator of the same village cooperative turns a pending use down (its recorder may
    withdraw it so), with the reason; nothing is posted."""
    repo = VillageBooks(uow.connection)
    use = _pending_use(repo, principal, data["use_id"])
    saved = repo.save_use(
        dict(use, status=REJECTED, decided_by=caller.actor, decided_at=now,
             reason=data["reason"]),
        use["version"],
    )  # fmt: skip
    return use_view(saved)


def use_view(use: dict) -> dict:
    return {
        "use_id": use["use_id"], "village_org_id": use["village_org_id"], "use": use["use"],
        "amount_fen": use["amount_fen"], "reference": use["reference"], "note": use["note"],
        "agent_id": use["agent_id"], "period": use["period"], "status": use["status"],
        "recorded_by": use["recorded_by"], "recorded_at": use["recorded_at"].isoformat(),
        "decided_by": use["decided_by"],
        "decided_at": use["decided_at"].isoformat() if use["decided_at"] else None,
        "reason": use["reason"], "entry_id": use["entry_id"], "version": use["version"],
    }  # fmt: skip
