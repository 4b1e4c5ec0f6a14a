"""The income side's records (part of `Books`): receivables and the cash matched to them, the
versions of payers' credits (their balances are in the journal's kept balances), the payees the
directory gave bank details for, and the requests other services sent by event."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, insert, select, update

from fund.adapters.tables import (
    aware,
    fund_requests,
    ledger_balances,
    payees,
    payer_credits,
    receivable_matches,
    receivables,
)
from fund.domain.receivables import Receivable


def _receivable(row) -> Receivable:
    data = dict(row._mapping)
    data["recorded_at"] = aware(data["recorded_at"])
    data["amount_fen"], data["paid_fen"] = int(data["amount_fen"]), int(data["paid_fen"])
    return Receivable(**data)


class IncomeRows:
    connection: object

    # -- receivables ---------------------------------------------------------------------------

    def add_receivable(self, receivable: Receivable) -> Receivable:
        """Insert it as the account's newest (its `seq`), and return it so numbered."""
        seq = (
            self.connection.execute(
                select(func.max(receivables.c.seq)).where(
                    receivables.c.account_id == receivable.account_id
                )
            ).scalar()
            or 0
        ) + 1
        row = {**receivable.__dict__, "seq": seq}
        self.connection.execute(insert(receivables).values(**row))
        return Receivable(**row)

    def save_paid(self, receivable: Receivable) -> None:
        self.connection.execute(
            update(receivables)
            .where(receivables.c.receivable_id == receivable.receivable_id)
            .values(paid_fen=receivable.paid_fen, version=receivable.version)
        )

    def receivable(self, receivable_id: str) -> Receivable | None:
        row = self.connection.execute(
            select(receivables).where(receivables.c.receivable_id == receivable_id)
        ).first()
        return _receivable(row) if row else None

    def receivable_by_key(self, key: tuple) -> Receivable | None:
        account_id, kind, period, counterparty_id, statement_ref = key
        row = self.connection.execute(
            select(receivables).where(
                receivables.c.account_id == account_id,
                receivables.c.kind == kind,
                receivables.c.period == period,
                receivables.c.counterparty_id == counterparty_id,
                receivables.c.statement_ref == statement_ref,
            )
        ).first()
        return _receivable(row) if row else None

    def receivables(
        self,
        account_id: str,
        *,
        kind: str | None = None,
        period: str | None = None,
        counterparty_id: str | None = None,
        open_only: bool = False,
    ) -> list[Receivable]:
        """The account's receivables, oldest first."""
        query = select(receivables).where(receivables.c.account_id == account_id)
        for column, value in (
            (receivables.c.kind, kind),
            (receivables.c.period, period),
            (receivables.c.counterparty_id, counterparty_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if open_only:
            query = query.where(receivables.c.paid_fen < receivables.c.amount_fen)
        rows = self.connection.execute(query.order_by(receivables.c.seq))
        return [_receivable(row) for row in rows]

    def add_match(
        self,
        match_id: str,
        receivable: Receivable,
        amount_fen: int,
        source: str,
        bank_ref: str | None,
        entry_id: str,
    ) -> None:
        self.connection.execute(
            insert(receivable_matches).values(
                match_id=match_id,
                account_id=receivable.account_id,
                receivable_id=receivable.receivable_id,
                amount_fen=amount_fen,
                source=source,
                bank_ref=bank_ref,
                entry_id=entry_id,
                matched_at=datetime.now(UTC),
            )
        )

    def matches(self, account_id: str) -> list[dict]:
        """Every match of the account's receivables, oldest first."""
        query = select(receivable_matches).where(receivable_matches.c.account_id == account_id)
        rows = self.connection.execute(query.order_by(receivable_matches.c.matched_at))
        return [
            dict(row._mapping, amount_fen=int(row.amount_fen), matched_at=aware(row.matched_at))
            for row in rows
        ]

    # -- payers' credits -----------------------------------------------------------------------

    def credits(self, account_id: str) -> dict[str, int]:
        """Each payer's credit held on the account (as a positive amount), by payer."""
        rows = self.connection.execute(
            select(ledger_balances.c.reference, ledger_balances.c.balance_fen)
            .where(ledger_balances.c.account_id == account_id)
            .where(ledger_balances.c.ledger_account == "payer_credits")
            .where(ledger_balances.c.balance_fen != 0)
        )
        return {payer: -int(balance) for payer, balance in rows}

    def next_credit_version(self, account_id: str, payer_id: str) -> int:
        version = self.connection.execute(
            select(payer_credits.c.version).where(
                payer_credits.c.account_id == account_id, payer_credits.c.payer_id == payer_id
            )
        ).scalar()
        if version is None:
            self.connection.execute(
                insert(payer_credits).values(account_id=account_id, payer_id=payer_id, version=1)
            )
            return 1
        self.connection.execute(
            update(payer_credits)
            .where(payer_credits.c.account_id == account_id, payer_credits.c.payer_id == payer_id)
            .values(version=version + 1)
        )
        return version + 1

    # -- payees --------------------------------------------------------------------------------

    def payee(self, org_id: str) -> dict | None:
        row = self.connection.execute(select(payees).where(payees.c.org_id == org_id)).first()
        return dict(row._mapping) if row else None

    def save_payee(self, payee: dict) -> bool:
        """Keep the directory's newer bank details of an organisation; an older or equal
        version changes nothing (False)."""
        known = self.payee(payee["org_id"])
        if known is not None and known["version"] >= payee["version"]:
            return False
        if known is None:
            self.connection.execute(insert(payees).values(**payee))
        else:
            self.connection.execute(
                update(payees).where(payees.c.org_id == payee["org_id"]).values(**payee)
            )
        return True

    # -- requests by event ---------------------------------------------------------------------

    def fund_request(self, source: str, request_key: str) -> dict | None:
        row = self.connection.execute(
            select(fund_requests).where(
                fund_requests.c.source == source, fund_requests.c.request_key == request_key
            )
        ).first()
        return dict(row._mapping, updated_at=aware(row.updated_at)) if row else None

    def save_fund_request(self, request: dict) -> None:
        """Insert or replace the request's row (its attempts counted by the caller)."""
        known = self.fund_request(request["source"], request["request_key"])
        row = dict(request, updated_at=datetime.now(UTC))
        if known is None:
            self.connection.execute(insert(fund_requests).values(**row))
        else:
            self.connection.execute(
                update(fund_requests)
                .where(
                    fund_requests.c.source == request["source"],
                    fund_requests.c.request_key == request["request_key"],
                )
                .values(**row)
            )

    def fund_requests(self, account_id: str) -> list[dict]:
        rows = self.connection.execute(
            select(fund_requests)
            .where(fund_requests.c.account_id == account_id)
            .order_by(fund_requests.c.updated_at)
        )
        return [dict(row._mapping, updated_at=aware(row.updated_at)) for row in rows]
