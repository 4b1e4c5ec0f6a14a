"""Storage of the county's vocabularies (registry.directory.vocabulary) inside a unit of work's
connection: each vocabulary's version, and its terms."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import Connection

from registry.adapters.tables import vocabularies, vocabulary_terms
from registry.directory.vocabulary import Term
from registry.directory.vocabulary_errors import ConcurrentVocabularyChange

# PostgreSQL advisory lock keys: changes to one vocabulary apply one at a time.
_LOCKS = {"industry": 0x564F4349, "skill": 0x564F4353}  # "VOCI", "VOCS"


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _term(row) -> Term:
    data = dict(row._mapping)
    data["aliases"] = tuple(data["aliases"] or ())
    data["changed_at"] = _aware(data["changed_at"])
    return Term(**data)


class VocabularyRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    def lock(self, kind: str) -> None:
        """Hold the vocabulary until the transaction ends (PostgreSQL; SQLite's writers take
        turns anyway): two imports checked against the same terms cannot both add a word."""
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCKS[kind]}
            )

    def version(self, kind: str) -> int:
        """The vocabulary's version (0 before anything was stored)."""
        found = self.connection.execute(
            select(vocabularies.c.version).where(vocabularies.c.kind == kind)
        ).scalar_one_or_none()
        return found or 0

    def versions(self) -> dict[str, int]:
        rows = self.connection.execute(select(vocabularies.c.kind, vocabularies.c.version))
        return {row.kind: row.version for row in rows}

    def terms(self, kind: str | None = None) -> dict[str, Term]:
        """Code -> term of one vocabulary (every term, retired ones too), or of both by
        (kind, code) when no kind is given."""
        query = select(vocabulary_terms).order_by(vocabulary_terms.c.kind, vocabulary_terms.c.code)
        if kind is not None:
            query = query.where(vocabulary_terms.c.kind == kind)
        rows = [_term(row) for row in self.connection.execute(query)]
        if kind is None:
            return {(term.kind, term.code): term for term in rows}
        return {term.code: term for term in rows}

    def save_term(self, term: Term) -> None:
        """Add a term, or write its new version over the one before."""
        values = asdict(term) | {"aliases": list(term.aliases)}
        if term.version == 1:
            self.connection.execute(insert(vocabulary_terms).values(**values))
            return
        self.connection.execute(
            update(vocabulary_terms)
            .where(
                vocabulary_terms.c.kind == term.kind,
                vocabulary_terms.c.code == term.code,
                vocabulary_terms.c.version == term.version - 1,
            )
            .values(**values)
        )

    def set_version(self, kind: str, version: int, at: datetime, by: str) -> None:
        """Raise the vocabulary's version from `version - 1`; a concurrent change that got there
        first makes this one fail rather than publish two lists under one version."""
        values = {"kind": kind, "version": version, "changed_at": at, "changed_by": by}
        if version == 1:
            self.connection.execute(insert(vocabularies).values(**values))
            return
        done = self.connection.execute(
            update(vocabularies)
            .where(vocabularies.c.kind == kind, vocabularies.c.version == version - 1)
            .values(**values)
        )
        if done.rowcount != 1:
            raise ConcurrentVocabularyChange()
