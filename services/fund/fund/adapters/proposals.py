"""Outflow proposals (part of `Books`): their lines and signatures, and what pending ones
reserve of the cash and claim of the advances."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, insert, select, update

from fund.adapters.tables import aware, joint_accounts, proposals
from fund.domain.accounts import Line, Proposal


class ProposalRows:
    connection: object

    def save_proposal(self, proposal: Proposal, entry_id: str | None = None, *, new: bool) -> None:
        row = {
            "proposal_id": proposal.proposal_id,
            "account_id": proposal.account_id,
            "kind": proposal.kind,
            "lines": json.dumps([line.__dict__ for line in proposal.lines], ensure_ascii=False),
            "amount_fen": proposal.amount_fen,
            "draws_on": proposal.draws_on,
            "proposed_by": proposal.proposed_by,
            "proposer_org": proposal.proposer_org,
            "expires_at": proposal.expires_at,
            "status": proposal.status,
            "signatures": json.dumps([list(s) for s in proposal.signatures]),
            "reason": proposal.reason,
            "version": proposal.version,
            "entry_id": entry_id,
            "request_source": proposal.request[0] if proposal.request else None,
            "request_key": proposal.request[1] if proposal.request else None,
        }
        if new:
            self.connection.execute(insert(proposals).values(**row))
        else:
            self.connection.execute(
                update(proposals)
                .where(proposals.c.proposal_id == proposal.proposal_id)
                .values(**row)
            )

    def proposal(self, proposal_id: str, county: str) -> Proposal | None:
        row = self.connection.execute(
            select(proposals).where(proposals.c.proposal_id == proposal_id)
        ).first()
        return self._proposal(row, county) if row else None

    @staticmethod
    def _proposal(row, county: str) -> Proposal:
        return Proposal(
            proposal_id=row.proposal_id,
            account_id=row.account_id,
            county=county,
            kind=row.kind,
            lines=tuple(Line(**line) for line in json.loads(row.lines)),
            proposed_by=row.proposed_by,
            proposer_org=row.proposer_org,
            expires_at=aware(row.expires_at),
            status=row.status,
            signatures=tuple(tuple(s) for s in json.loads(row.signatures)),
            reason=row.reason,
            version=row.version,
            request=(row.request_source, row.request_key) if row.request_source else None,
        )

    def proposals(self, account_id: str, county: str, status: str | None = None) -> list[Proposal]:
        query = select(proposals).where(proposals.c.account_id == account_id)
        if status:
            query = query.where(proposals.c.status == status)
        return [self._proposal(row, county) for row in self.connection.execute(query)]

    def reserved_claims(
        self, account_id: str, now: datetime, kind: str = "write_off"
    ) -> dict[str, int]:
        """What pending, unexpired write-offs claim of each advance (or credit refunds of each
        payer's credit), by reference: like reserved cash, a claim is spent once, so a second
        write-off, a settlement or a recovery may take only what is outstanding beyond it (a
        second refund, or a new receivable, only what is held beyond it)."""
        rows = self.connection.execute(
            select(proposals.c.lines)
            .where(proposals.c.account_id == account_id, proposals.c.status == "pending")
            .where(proposals.c.expires_at > now, proposals.c.kind == kind)
        ).scalars()
        claims: dict[str, int] = {}
        for lines in rows:
            for line in json.loads(lines):
                reference = line.get("reference") or ""
                claims[reference] = claims.get(reference, 0) + int(line["amount_fen"])
        return claims

    def pending_signed_with(self, fingerprint: str) -> list[Proposal]:
        """Pending proposals carrying a signature by this key (whatever their expiry)."""
        rows = self.connection.execute(
            select(proposals, joint_accounts.c.county)
            .join(joint_accounts, joint_accounts.c.account_id == proposals.c.account_id)
            .where(proposals.c.status == "pending")
            .where(proposals.c.signatures.contains(fingerprint, autoescape=True))
            .order_by(proposals.c.proposal_id)
        )
        found = [self._proposal(row, row.county) for row in rows]
        return [p for p in found if any(s[2] == fingerprint for s in p.signatures)]

    def reserved(self, account_id: str, now: datetime) -> dict[str, int]:
        """Cash that pending, unexpired proposals reserve, by the cash account they draw on."""
        rows = self.connection.execute(
            select(proposals.c.draws_on, func.sum(proposals.c.amount_fen))
            .where(proposals.c.account_id == account_id, proposals.c.status == "pending")
            .where(proposals.c.expires_at > now, proposals.c.draws_on.is_not(None))
            .group_by(proposals.c.draws_on)
        )
        return {account: int(total) for account, total in rows}
