"""The fund's commands, each inside the unit of work it is given (the entrypoint commits): the
account's opening and closing, money in, money out, and advances.

Every command locks the books first (`locked_books`), so commands apply one at a time whatever
the number of replicas and connections, and ends by appending itself to the audit chain
(`fund.audit_trail.audit`), in the same transaction as its journal entries: what happened and the
record of it commit together. Every entry is built from the posting rules
(`fund.domain.posting_rules`)."""

from __future__ import annotations

from fund.adapters.repository import Books
from sanbao_common.db import UnitOfWork


def locked_books(uow: UnitOfWork) -> Books:
    books = Books(uow.connection)
    books.lock()
    return books
