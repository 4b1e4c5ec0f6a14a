"""The fund's books in a unit of work's connection: joint accounts, signatories, journal entries,
proposals, vouchers and the audit chain."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from fund.adapters.tables import (
    audit_log,
    bank_references,
    checkpoints,
    joint_accounts,
    journal_entries,
    ledger_balances,
    postings,
    proposals,
    seals,
    signatories,
    vouchers,
)
from fund.domain.accounts import JointAccount, Line, Proposal, Signatory
from fund.domain.audit import GENESIS, AuditRecord, bound_entry
from fund.domain.ledger import Posting
from sanbao_common.seals import SealRecord

# Every fund command takes this lock first (PostgreSQL); SQLite's BEGIN IMMEDIATE already
# serialises writers. One command at a time keeps the audit chain a chain and makes "check the
# available cash, then spend it" atomic across replicas and connections.
_BOOKS_LOCK = 7262_2019


def _aware(moment):
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class Books:
    def __init__(self, connection: Connection):
        self.connection = connection
        # The entries posted in this unit of work, as the audit chain binds them: the command's
        # audit record takes them (`handlers.audit`), so no posting escapes the chain.
        self.posted: list[dict] = []

    def lock(self) -> None:
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _BOOKS_LOCK}
            )

    # -- joint accounts ------------------------------------------------------------------------

    def add_account(self, account: JointAccount) -> None:
        self.connection.execute(insert(joint_accounts).values(**self._account_row(account)))

    def save_account(self, account: JointAccount) -> None:
        self.connection.execute(
            update(joint_accounts)
            .where(joint_accounts.c.account_id == account.account_id)
            .values(**self._account_row(account))
        )

    @staticmethod
    def _account_row(account: JointAccount) -> dict:
        row = {
            k: getattr(account, k)
            for k in (
                "account_id",
                "agreement_ref",
                "county",
                "county_org_id",
                "hr_org_id",
                "principal_fen",
                "term_start",
                "term_end",
                "county_seal",
                "hr_seal",
                "status",
                "version",
                "amendment",
            )
        }
        row["seal_keys"] = json.dumps(account.seal_keys, sort_keys=True)
        row["seal_signatures"] = json.dumps(account.seal_signatures, sort_keys=True)
        row["reseal"] = None if account.reseal is None else json.dumps(account.reseal)
        return row

    def account(self, account_id: str) -> JointAccount | None:
        row = self.connection.execute(
            select(joint_accounts).where(joint_accounts.c.account_id == account_id)
        ).first()
        if row is None:
            return None
        data = dict(row._mapping)
        data["seal_keys"] = json.loads(data["seal_keys"])
        data["seal_signatures"] = json.loads(data["seal_signatures"])
        data["reseal"] = json.loads(data["reseal"]) if data["reseal"] else None
        return JointAccount(**data)

    def accounts(self) -> list[JointAccount]:
        ids = self.connection.execute(
            select(joint_accounts.c.account_id).order_by(joint_accounts.c.agreement_ref)
        ).scalars()
        return [self.account(account_id) for account_id in ids]

    # -- seals, as registry relays them --------------------------------------------------------

    def confirm_seal(self, seal: SealRecord) -> None:
        """Keep a confirmed seal as its organisation's effective one. The caller has checked
        that it is not revoked and that it replaces the organisation's current one, if any."""
        values = {
            "org_id": seal.org_id,
            "org_kind": seal.org_kind,
            "public_key": seal.public_key,
            "status": "effective",
            "confirmation": json.dumps(seal.confirmation, sort_keys=True, ensure_ascii=False),
            "confirmation_signature": seal.confirmation_signature,
        }
        if self.seal(seal.fingerprint) is None:
            self.connection.execute(insert(seals).values(fingerprint=seal.fingerprint, **values))
        else:
            self.connection.execute(
                update(seals).where(seals.c.fingerprint == seal.fingerprint).values(**values)
            )

    def revoke_seal(
        self, fingerprint: str, org_id: str, revocation: dict, signature: str | None
    ) -> None:
        """Revoked for good: a seal not seen yet is kept as revoked, so that its confirmation,
        arriving later or replayed, can never make it effective."""
        values = {
            "status": "revoked",
            "revocation": json.dumps(revocation, sort_keys=True, ensure_ascii=False),
            "revocation_signature": signature,
        }
        if self.seal(fingerprint) is None:
            self.connection.execute(
                insert(seals).values(
                    fingerprint=fingerprint,
                    org_id=org_id,
                    org_kind="",
                    public_key="",
                    confirmation="{}",
                    confirmation_signature="",
                    **values,
                )
            )
        else:
            self.connection.execute(
                update(seals).where(seals.c.fingerprint == fingerprint).values(**values)
            )

    def seal(self, fingerprint: str) -> SealRecord | None:
        row = self.connection.execute(
            select(seals).where(seals.c.fingerprint == fingerprint)
        ).first()
        return None if row is None else self._seal(row)

    def effective_seal(self, org_id: str) -> SealRecord | None:
        row = self.connection.execute(
            select(seals).where(seals.c.org_id == org_id, seals.c.status == "effective")
        ).first()
        return None if row is None else self._seal(row)

    @staticmethod
    def _seal(row) -> SealRecord:
        return SealRecord(
            org_id=row.org_id,
            org_kind=row.org_kind,
            fingerprint=row.fingerprint,
            public_key=row.public_key,
            confirmation=json.loads(row.confirmation),
            confirmation_signature=row.confirmation_signature,
            revoked=row.status != "effective",
        )

    # -- signatories ---------------------------------------------------------------------------

    def save_signatory(
        self,
        fingerprint: str,
        org_id: str,
        user_id: str,
        public_key: str,
        limit_fen,
        certificate: dict,
        seal_signature: str,
        seal_fingerprint: str | None = None,
    ) -> None:
        if self.connection.execute(
            select(signatories.c.fingerprint).where(signatories.c.fingerprint == fingerprint)
        ).first():
            return
        self.connection.execute(
            insert(signatories).values(
                fingerprint=fingerprint,
                org_id=org_id,
                user_id=user_id,
                public_key=public_key,
                limit_fen=limit_fen,
                certificate=json.dumps(certificate, sort_keys=True),
                seal_signature=seal_signature,
                seal_fingerprint=seal_fingerprint,
            )
        )

    def revoke_signatory(self, fingerprint: str, at: datetime, record: dict) -> None:
        """Revoked for good: a key not enrolled yet here (its enrolment may arrive later, on its
        own queue) is kept as revoked, so that the enrolment cannot make it count."""
        if self.signatory(fingerprint) is None:
            self.connection.execute(
                insert(signatories).values(
                    fingerprint=fingerprint,
                    org_id=record.get("org_id") or "",
                    user_id=record.get("user_id") or "",
                    public_key=record.get("public_key") or "",
                    limit_fen=record.get("limit_fen"),
                    certificate="{}",
                    seal_signature="",
                    seal_fingerprint=record.get("seal_fingerprint"),
                    revoked_at=at,
                )
            )
            return
        self.connection.execute(
            update(signatories)
            .where(signatories.c.fingerprint == fingerprint)
            .where(signatories.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    def signatory(self, fingerprint: str):
        """(Signatory, its certificate, the seal's signature over it) or None."""
        row = self.connection.execute(
            select(signatories).where(signatories.c.fingerprint == fingerprint)
        ).first()
        if row is None:
            return None
        signatory = Signatory(
            row.fingerprint,
            row.org_id,
            row.user_id,
            row.public_key,
            row.limit_fen,
            row.revoked_at is not None,
            row.seal_fingerprint,
        )
        return signatory, json.loads(row.certificate), row.seal_signature

    # -- the journal ---------------------------------------------------------------------------

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
        entry: tuple[Posting, ...],
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
        return {reference: _aware(at) for reference, at in rows}

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
            entry["created_at"] = _aware(entry["created_at"])
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

    # -- proposals -----------------------------------------------------------------------------

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
            expires_at=_aware(row.expires_at),
            status=row.status,
            signatures=tuple(tuple(s) for s in json.loads(row.signatures)),
            reason=row.reason,
            version=row.version,
        )

    def proposals(self, account_id: str, county: str, status: str | None = None) -> list[Proposal]:
        query = select(proposals).where(proposals.c.account_id == account_id)
        if status:
            query = query.where(proposals.c.status == status)
        return [self._proposal(row, county) for row in self.connection.execute(query)]

    def reserved_claims(self, account_id: str, now: datetime) -> dict[str, int]:
        """What pending, unexpired write-offs claim of each advance, by reference: like reserved
        cash, a claim is spent once, so a second write-off, a settlement or a recovery may take
        only what is outstanding beyond it."""
        rows = self.connection.execute(
            select(proposals.c.lines)
            .where(proposals.c.account_id == account_id, proposals.c.status == "pending")
            .where(proposals.c.expires_at > now, proposals.c.kind == "write_off")
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

    # -- vouchers ------------------------------------------------------------------------------

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

    # -- the audit chain -----------------------------------------------------------------------

    def chain_head(self) -> tuple[int, str]:
        row = self.connection.execute(
            select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
        ).first()
        return (row.seq, row.hash) if row else (0, GENESIS)

    def append_audit(self, record: AuditRecord) -> None:
        data = record.body()
        data["detail"] = json.dumps(record.detail, sort_keys=True, ensure_ascii=False, default=str)
        self.connection.execute(insert(audit_log).values(**data, hash=record.hash))

    def audit_records(self) -> list[AuditRecord]:
        rows = self.connection.execute(select(audit_log).order_by(audit_log.c.seq))
        return [
            AuditRecord(
                seq=r.seq,
                at=r.at,
                actor=r.actor,
                command=r.command,
                account_id=r.account_id,
                detail=json.loads(r.detail),
                prev_hash=r.prev_hash,
                hash=r.hash,
            )
            for r in rows
        ]

    def last_checkpoint(self):
        return self.connection.execute(
            select(checkpoints).order_by(checkpoints.c.seq.desc()).limit(1)
        ).first()

    def add_checkpoint(self, seq: int, head: str, at: str, signature: str) -> None:
        self.connection.execute(
            insert(checkpoints).values(seq=seq, hash=head, at=at, signature=signature)
        )
