"""Claims on advances (part of `Books`): one row per advance reference a no-show left, and the
journal's movements on those references since each claim was recorded."""

from __future__ import annotations

from sqlalchemy import and_, func, insert, select

from fund.adapters.tables import advance_claims, aware, journal_entries, postings


class ClaimRows:
    connection: object

    def journal_seq(self) -> int:
        """The journal's last entry (0 before the first): what a claim was recorded after."""
        return int(self.connection.execute(select(func.max(journal_entries.c.seq))).scalar() or 0)

    def add_claim(self, row: dict) -> None:
        self.connection.execute(insert(advance_claims).values(**row))

    def batch_claims(self, account_id: str, batch_id: str) -> dict[str, int]:
        """The references of a batch claimed on the account, each with the batch's version it
        was claimed at."""
        rows = self.connection.execute(
            select(advance_claims.c.reference, advance_claims.c.batch_version).where(
                advance_claims.c.account_id == account_id, advance_claims.c.batch_id == batch_id
            )
        )
        return {reference: int(version) for reference, version in rows}

    def advance_claims(self, account_id: str) -> list[dict]:
        """The account's claims, oldest first (by batch's claim time, then seat)."""
        rows = self.connection.execute(
            select(advance_claims)
            .where(advance_claims.c.account_id == account_id)
            .order_by(
                advance_claims.c.journal_seq, advance_claims.c.batch_id, advance_claims.c.seat
            )
        )
        found = []
        for row in rows:
            claim = dict(row._mapping)
            claim["recorded_at"] = aware(claim["recorded_at"])
            claim["claimed_fen"] = int(claim["claimed_fen"])
            found.append(claim)
        return found

    def claim_movements(self, account_id: str) -> list[dict]:
        """What each journal entry after a claim posted on its advance, oldest first:
        {reference, kind, amount_fen, created_at}."""
        rows = self.connection.execute(
            select(
                postings.c.reference,
                journal_entries.c.kind,
                postings.c.amount_fen,
                journal_entries.c.created_at,
            )
            .join(journal_entries, journal_entries.c.entry_id == postings.c.entry_id)
            .join(
                advance_claims,
                and_(
                    advance_claims.c.account_id == postings.c.account_id,
                    advance_claims.c.reference == postings.c.reference,
                ),
            )
            .where(postings.c.account_id == account_id)
            .where(postings.c.ledger_account == "advances_outstanding")
            .where(journal_entries.c.seq > advance_claims.c.journal_seq)
            .order_by(journal_entries.c.seq, postings.c.posting_id)
        )
        return [
            {
                "reference": reference,
                "kind": kind,
                "amount_fen": int(amount),
                "created_at": aware(created_at),
            }
            for reference, kind, amount, created_at in rows
        ]
