"""The journal (part of `Books`): entries and their postings, the balances kept beside them
(docs/decisions/0008), and what entries rest on: bank references and vouchers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from fund.adapters.tables import (
    aware,
    bank_references,
    journal_entries,
    ledger_balances,
    postings,
    vouchers,
)
from fund.domain.audit import bound_entry
from sanbao_common.ledger import Entry, Posting


class Journal:
    connection: object
    posted: list[dict]

    def post_many(self, account_id: str, entries: list, *, by: str) -> None:
        """(entry_id, kind, postings, source) each: the journal and its postings in two
        statements, however many entries."""
        now = datetime.now(UTC)
        self.connection.execute(
            insert(journal_entries),
            [
                {
                    "entry_id": entry_id,
                    "account_id": account_id,
                    "kind": kind,
                    "memo": None,
                    "source": source,
                    "reverses": None,
                    "created_at": now,
                    "created_by": by,
                }
                for entry_id, kind, _, source in entries
            ],
        )
        self._write_postings(
            account_id, [(entry_id, p) for entry_id, _, entry, _ in entries for p in entry]
        )
        self.posted += [
            bound_entry(entry_id, account_id, kind, source, None, entry)
            for entry_id, kind, entry, source in entries
        ]

    def post(
        self,
        account_id: str,
        entry_id: str,
        kind: str,
        entry: Entry,
        *,
        by: str,
        memo: str | None = None,
        source: str | None = None,
        reverses: str | None = None,
    ) -> None:
        self.connection.execute(
            insert(journal_entries).values(
                entry_id=entry_id,
                account_id=account_id,
                kind=kind,
                memo=memo,
                source=source,
                reverses=reverses,
                created_at=datetime.now(UTC),
                created_by=by,
            )
        )
        self._write_postings(account_id, [(entry_id, p) for p in entry])
        self.posted.append(bound_entry(entry_id, account_id, kind, source, reverses, entry))

    def _write_postings(self, account_id: str, entry_postings: list[tuple[str, Posting]]) -> None:
        """The postings, and the balances they move, in the caller's transaction."""
        self.connection.execute(
            insert(postings),
            [
                {
                    "entry_id": entry_id,
                    "account_id": account_id,
                    "ledger_account": p.account,
                    "amount_fen": p.amount_fen,
                    "reference": p.reference,
                }
                for entry_id, p in entry_postings
            ],
        )
        moved: dict[tuple[str, str], int] = {}
        for _, p in entry_postings:
            key = (p.account, p.reference or "")
            moved[key] = moved.get(key, 0) + p.amount_fen
        upsert = (
            postgresql_insert if self.connection.dialect.name == "postgresql" else sqlite_insert
        )(ledger_balances)
        self.connection.execute(
            upsert.on_conflict_do_update(
                index_elements=["account_id", "ledger_account", "reference"],
                set_={"balance_fen": ledger_balances.c.balance_fen + upsert.excluded.balance_fen},
            ),
            [
                {
                    "account_id": account_id,
                    "ledger_account": ledger_account,
                    "reference": reference,
                    "balance_fen": amount,
                }
                for (ledger_account, reference), amount in sorted(moved.items())
            ],
        )

    def balances(self, account_id: str) -> dict[str, int]:
        """Every ledger account's balance, as kept with the postings."""
        rows = self.connection.execute(
            select(ledger_balances.c.ledger_account, func.sum(ledger_balances.c.balance_fen))
            .where(ledger_balances.c.account_id == account_id)
            .group_by(ledger_balances.c.ledger_account)
        )
        return {account: int(total) for account, total in rows}

    def balances_from_postings(self, account_id: str) -> dict[tuple[str, str], int]:
        """Every (ledger account, reference)'s balance summed from the postings themselves: the
        trial balance that verify compares with the kept balances."""
        reference = func.coalesce(postings.c.reference, "")
        rows = self.connection.execute(
            select(postings.c.ledger_account, reference, func.sum(postings.c.amount_fen))
            .where(postings.c.account_id == account_id)
            .group_by(postings.c.ledger_account, reference)
        )
        return {(account, ref): int(total) for account, ref, total in rows}

    def kept_balances(self, account_id: str) -> dict[tuple[str, str], int]:
        rows = self.connection.execute(
            select(
                ledger_balances.c.ledger_account,
                ledger_balances.c.reference,
                ledger_balances.c.balance_fen,
            ).where(ledger_balances.c.account_id == account_id)
        )
        return {(account, ref): int(total) for account, ref, total in rows}

    def outstanding_advances(self, account_id: str) -> dict[str, int]:
        rows = self.connection.execute(
            select(ledger_balances.c.reference, ledger_balances.c.balance_fen)
            .where(ledger_balances.c.account_id == account_id)
            .where(ledger_balances.c.ledger_account == "advances_outstanding")
            .where(ledger_balances.c.balance_fen != 0)
        )
        return {reference: int(total) for reference, total in rows}

    def advance_paid_at(self, account_id: str) -> dict[str, datetime]:
        rows = self.connection.execute(
            select(postings.c.reference, func.min(journal_entries.c.created_at))
            .join(journal_entries, journal_entries.c.entry_id == postings.c.entry_id)
            .where(postings.c.account_id == account_id)
            .where(postings.c.ledger_account == "advances_outstanding")
            .where(postings.c.amount_fen > 0)
            .group_by(postings.c.reference)
        )
        return {reference: aware(at) for reference, at in rows}

    def entries(self, account_id: str | None = None) -> list[dict]:
        query = select(journal_entries).order_by(journal_entries.c.seq)
        if account_id:
            query = query.where(journal_entries.c.account_id == account_id)
        found = [dict(row._mapping) for row in self.connection.execute(query)]
        by_entry: dict[str, list] = {}
        posting_query = select(postings).order_by(postings.c.posting_id)
        if account_id:
            posting_query = posting_query.where(postings.c.account_id == account_id)
        for row in self.connection.execute(posting_query):
            by_entry.setdefault(row.entry_id, []).append(
                Posting(row.ledger_account, int(row.amount_fen), row.reference)
            )
        for entry in found:
            entry["postings"] = by_entry.get(entry["entry_id"], [])
            entry["created_at"] = aware(entry["created_at"])
        return found

    def journal(self) -> list[dict]:
        """Every journal entry as stored, in the journal's order and the form the audit chain
        binds (`bound_entry`); postings with no entry of theirs follow as entries of their own,
        and an entry with a posting filed under another account has no account: `verify` finds
        each unlike what the chain bound."""
        found = {
            row.entry_id: row
            for row in self.connection.execute(
                select(journal_entries).order_by(journal_entries.c.seq)
            )
        }
        by_entry: dict[str, list] = {}
        for row in self.connection.execute(select(postings).order_by(postings.c.posting_id)):
            by_entry.setdefault(row.entry_id, []).append(row)
        journal = []
        for entry_id in [*found, *(e for e in by_entry if e not in found)]:
            entry, legs = found.get(entry_id), by_entry.get(entry_id, [])
            account_id = entry.account_id if entry is not None else None
            if any(leg.account_id != account_id for leg in legs):
                account_id = None
            journal.append(
                bound_entry(
                    entry_id,
                    account_id,
                    entry.kind if entry is not None else None,
                    entry.source if entry is not None else None,
                    entry.reverses if entry is not None else None,
                    [
                        Posting(leg.ledger_account, int(leg.amount_fen), leg.reference)
                        for leg in legs
                    ],
                )
            )
        return journal

    def used_bank_references(self, account_id: str, refs: list[str]) -> set[str]:
        found = set()
        for start in range(0, len(refs), 500):
            found |= set(
                self.connection.execute(
                    select(bank_references.c.bank_ref).where(
                        bank_references.c.account_id == account_id,
                        bank_references.c.bank_ref.in_(refs[start : start + 500]),
                    )
                ).scalars()
            )
        return found

    def add_bank_references(self, account_id: str, refs: list[tuple[str, str]]) -> None:
        self.connection.execute(
            insert(bank_references),
            [{"account_id": account_id, "bank_ref": ref, "entry_id": e} for ref, e in refs],
        )

    def add_voucher(
        self,
        account_id: str,
        advance_ref: str,
        number: str,
        voucher_date: date,
        amount_fen: int,
        kind: str,
        attachment_sha256: str | None,
        entry_id: str,
    ) -> None:
        self.connection.execute(
            insert(vouchers).values(
                account_id=account_id,
                advance_ref=advance_ref,
                number=number,
                voucher_date=voucher_date,
                amount_fen=amount_fen,
                kind=kind,
                attachment_sha256=attachment_sha256,
                entry_id=entry_id,
            )
        )

    def voucher_used(self, account_id: str, number: str) -> bool:
        return (
            self.connection.execute(
                select(vouchers.c.voucher_id).where(
                    vouchers.c.account_id == account_id, vouchers.c.number == number
                )
            ).first()
            is not None
        )
