"""The fund's books in a unit of work's connection: one repository assembled from one part per
kind of record (joint accounts, the parties' seals and signatories, the journal, proposals, the
income side's receivables, credits, payees and requests, claims on advances, the audit log),
all sharing the connection and the books' lock."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from fund.adapters.audit_log import AuditLog
from fund.adapters.claims import ClaimRows
from fund.adapters.income import IncomeRows
from fund.adapters.joint_accounts import JointAccountRows
from fund.adapters.journal import Journal
from fund.adapters.parties import PartyRows
from fund.adapters.proposals import ProposalRows

# Every fund command takes this lock first (PostgreSQL); SQLite's BEGIN IMMEDIATE already
# serialises writers. One command at a time keeps the audit chain a chain and makes "check the
# available cash, then spend it" atomic across replicas and connections.
_BOOKS_LOCK = 7262_2019


class Books(JointAccountRows, PartyRows, Journal, ProposalRows, IncomeRows, ClaimRows, AuditLog):
    def __init__(self, connection: Connection):
        self.connection = connection
        # The entries posted in this unit of work, as the audit chain binds them: the command's
        # audit record takes them (`audit_trail.audit`), so no posting escapes the chain.
        self.posted: list[dict] = []

    def lock(self) -> None:
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _BOOKS_LOCK}
            )
