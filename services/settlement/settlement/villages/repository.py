"""Storage of the village cooperatives' books inside a unit of work's connection: one row per
village (what a use's approval locks), journal entries (each posted once per source) and their
postings, and the uses recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from sanbao_common.ledger import Entry
from settlement.adapters.input_tables import organisations
from settlement.adapters.money_tables import (
    village_books,
    village_entries,
    village_postings,
    village_uses,
)

VILLAGE_COOP = "village_coop"
PENDING, POSTED, REJECTED = "pending", "posted", "rejected"


def _aware(data: dict, *names: str) -> dict:
    for name in names:
        if data.get(name) is not None and data[name].tzinfo is None:  # SQLite drops the offset
            data[name] = data[name].replace(tzinfo=UTC)
    return data


class VillageBooks:
    def __init__(self, connection: Connection):
        self.connection = connection

    # -- villages ------------------------------------------------------------------------------

    def organisation(self, org_id: str) -> dict | None:
        row = self.connection.execute(
            select(organisations).where(organisations.c.org_id == org_id)
        ).first()
        return dict(row._mapping) if row is not None else None

    def villages_among(self, org_ids) -> set[str]:
        """Which of these organisations are village cooperatives (active or not: income paid
        to one is its own)."""
        ids = sorted(set(org_ids))
        if not ids:
            return set()
        query = select(organisations.c.org_id).where(
            organisations.c.org_id.in_(ids), organisations.c.kind == VILLAGE_COOP
        )
        return set(self.connection.execute(query).scalars())

    def divisions(self, org_ids) -> dict[str, str | None]:
        ids = sorted(set(org_ids))
        if not ids:
            return {}
        query = select(organisations.c.org_id, organisations.c.division_code).where(
            organisations.c.org_id.in_(ids)
        )
        return dict(self.connection.execute(query).all())

    def lock(self, village_org_id: str, now: datetime) -> None:
        """The village's row, locked for this transaction (made the first time): its books
        change one transaction at a time."""
        query = (
            select(village_books.c.village_org_id)
            .where(village_books.c.village_org_id == village_org_id)
            .with_for_update()
        )
        if self.connection.execute(query).first() is not None:
            return
        try:
            with self.connection.begin_nested():
                self.connection.execute(
                    insert(village_books),
                    [{"village_org_id": village_org_id, "opened_at": now, "entries": 0}],
                )
        except IntegrityError:  # made meanwhile by another transaction
            pass
        self.connection.execute(query).first()

    # -- entries ---------------------------------------------------------------------------------

    def post(
        self, village_org_id: str, kind: str, source: str, reference: str, postings: Entry,
        by: str, now: datetime, today: date,
    ) -> str | None:  # fmt: skip
        """The entry, once per (village, source): None when that source was posted already."""
        known = self.connection.execute(
            select(village_entries.c.entry_id).where(
                village_entries.c.village_org_id == village_org_id,
                village_entries.c.source == source,
            )
        ).first()
        if known is not None:
            return None
        entry_id = str(uuid.uuid4())
        self.connection.execute(
            insert(village_entries),
            [{"entry_id": entry_id, "village_org_id": village_org_id, "kind": kind,
              "source": source, "reference": reference, "posted_at": now, "posted_on": today,
              "posted_by": by[:200]}],
        )  # fmt: skip
        self.connection.execute(
            insert(village_postings),
            [
                {"entry_id": entry_id, "seq": n, "village_org_id": village_org_id,
                 "account": p.account, "amount_fen": p.amount_fen, "reference": p.reference}
                for n, p in enumerate(postings, start=1)
            ],
        )  # fmt: skip
        self.connection.execute(
            update(village_books)
            .where(village_books.c.village_org_id == village_org_id)
            .values(entries=village_books.c.entries + 1)
        )
        return entry_id

    def balances(self, village_org_id: str, before: date | None = None) -> dict[str, int]:
        """Debit-positive balance of each account (of entries posted before `before`)."""
        query = (
            select(village_postings.c.account, func.sum(village_postings.c.amount_fen))
            .where(village_postings.c.village_org_id == village_org_id)
            .group_by(village_postings.c.account)
        )
        if before is not None:
            query = query.join(
                village_entries, village_entries.c.entry_id == village_postings.c.entry_id
            ).where(village_entries.c.posted_on < before)
        return {account: int(total) for account, total in self.connection.execute(query)}

    def entries(self, village_org_id: str, first: date | None, last: date | None) -> list[dict]:
        conditions = [village_entries.c.village_org_id == village_org_id]
        if first is not None:
            conditions += [
                village_entries.c.posted_on >= first,
                village_entries.c.posted_on <= last,
            ]
        rows = self.connection.execute(
            select(village_entries)
            .where(and_(*conditions))
            .order_by(village_entries.c.posted_at, village_entries.c.entry_id)
        ).all()
        found = [_aware(dict(r._mapping), "posted_at") for r in rows]
        postings: dict[str, list[dict]] = {e["entry_id"]: [] for e in found}
        if found:
            query = (
                select(village_postings)
                .where(village_postings.c.entry_id.in_(list(postings)))
                .order_by(village_postings.c.entry_id, village_postings.c.seq)
            )
            for p in self.connection.execute(query):
                postings[p.entry_id].append(
                    {"account": p.account, "amount_fen": p.amount_fen, "reference": p.reference}
                )
        return [dict(e, postings=postings[e["entry_id"]]) for e in found]

    def income_received(self, village_org_id: str, period: str | None = None) -> int:
        """What distributions paid the village, in all, or for one period's receivables (their
        lines' reference is `<period>/<statement_ref>`)."""
        query = select(func.coalesce(func.sum(village_postings.c.amount_fen), 0)).where(
            village_postings.c.village_org_id == village_org_id,
            village_postings.c.account == "distribution_income",
        )
        if period is not None:
            query = query.where(
                village_postings.c.reference.startswith(f"{period}/", autoescape=True)
            )
        return -int(self.connection.execute(query).scalar_one())

    # -- uses ------------------------------------------------------------------------------------

    def add_use(self, row: dict) -> None:
        self.connection.execute(insert(village_uses), [row])

    def use(self, use_id: str) -> dict | None:
        row = self.connection.execute(
            select(village_uses).where(village_uses.c.use_id == use_id)
        ).first()
        return _aware(dict(row._mapping), "recorded_at", "decided_at") if row else None

    def save_use(self, use: dict, read_version: int) -> dict:
        changed = dict(use, version=read_version + 1)
        count = self.connection.execute(
            update(village_uses)
            .where(village_uses.c.use_id == use["use_id"], village_uses.c.version == read_version)
            .values(**{k: v for k, v in changed.items() if k != "use_id"})
        ).rowcount
        if count != 1:
            from settlement.villages.errors import VillageUseDecided

            raise VillageUseDecided(use_id=use["use_id"])
        return changed

    def uses(self, village_org_id: str, first: date | None = None, last=None) -> list[dict]:
        """The village's uses: all of them, or those recorded in [first, last] and every one
        still pending."""
        query = select(village_uses).where(village_uses.c.village_org_id == village_org_id)
        if first is not None:
            recorded = and_(village_uses.c.recorded_on >= first, village_uses.c.recorded_on <= last)
            query = query.where(recorded | (village_uses.c.status == PENDING))
        rows = self.connection.execute(
            query.order_by(village_uses.c.recorded_at, village_uses.c.use_id)
        )
        return [_aware(dict(r._mapping), "recorded_at", "decided_at") for r in rows]

    def pending_fen(self, village_org_id: str, but: str | None = None) -> int:
        query = select(func.coalesce(func.sum(village_uses.c.amount_fen), 0)).where(
            village_uses.c.village_org_id == village_org_id, village_uses.c.status == PENDING
        )
        if but is not None:
            query = query.where(village_uses.c.use_id != but)
        return int(self.connection.execute(query).scalar_one())

    def agent_rewards(
        self, agent_id: str, period: str | None = None, village_org_id: str | None = None
    ) -> int:
        """The agent_rewards uses posted for this agent (of this period, by this village
        cooperative, when given), in fen."""
        query = select(func.coalesce(func.sum(village_uses.c.amount_fen), 0)).where(
            village_uses.c.agent_id == agent_id,
            village_uses.c.use == "agent_rewards",
            village_uses.c.status == POSTED,
        )
        if period is not None:
            query = query.where(village_uses.c.period == period)
        if village_org_id is not None:
            query = query.where(village_uses.c.village_org_id == village_org_id)
        return int(self.connection.execute(query).scalar_one())
