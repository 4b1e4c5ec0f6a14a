"""The vocabularies' use cases: importing a change to one (terms added, renamed, given other
words, retired), listing one, and loading both for a batch of labourers' events. Each runs
inside the unit of work it is given; the entrypoint commits. Every change of a term is kept in
the directory's history (record kinds `industry` and `skill`), and every import that changes a
vocabulary publishes it whole (`vocabulary_changed`, with its new version)."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy.engine import Connection

from registry.directory.repository import DirectoryRepository
from registry.directory.vocabulary import Lexicon, Term, TermIndex, plan_vocabulary
from registry.directory.vocabulary_errors import VocabularyRejected
from registry.directory.vocabulary_repository import VocabularyRepository
from registry.events import registry_event
from registry_contract.industries_and_skills import INDUSTRY, MAX_TERMS, SKILL, VOCABULARY_KINDS
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.messaging.outbox import write_events
from sanbao_common.messaging.resync import ResyncPage

PROBLEMS_SHOWN = 20


def _aliases(value):
    if isinstance(value, str):
        return True
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return True
    raise ValidationError("a list of words, or one text separated by ；")


class TermEntrySchema(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True)
    name = fields.String(required=True)
    parent = fields.String(load_default=None, allow_none=True)
    aliases = fields.Raw(load_default=list, allow_none=True, validate=_aliases)
    retired = fields.Boolean(load_default=False)


class ImportVocabularySchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(VOCABULARY_KINDS))
    terms = fields.List(
        fields.Nested(TermEntrySchema), required=True,
        validate=validate.Length(min=1, max=MAX_TERMS),
    )  # fmt: skip


def term_state(term: Term) -> dict:
    return term.published() | {
        "version": term.version,
        "changed_at": term.changed_at.isoformat(),
        "changed_by": term.changed_by,
    }


def vocabulary_changed(caller: Caller, kind: str, version: int, terms) -> dict:
    """The whole vocabulary at `version`: record id = its kind."""
    return registry_event(
        "vocabulary_changed",
        caller,
        {"kind": kind, "version": version, "terms": [term.published() for term in terms]},
        record_id=kind,
        version=version,
    )


def import_vocabulary(uow: UnitOfWork, caller: Caller, kind: str, entries: list) -> dict:
    """Apply `entries` (of `ImportVocabularySchema`, loaded) to the `kind` vocabulary, all or
    nothing: VocabularyRejected names every problem. Entries equal to what is stored change
    nothing (importing the same file again is harmless, and publishes nothing)."""
    repo = VocabularyRepository(uow.connection)
    repo.lock(kind)
    now = datetime.now(UTC)
    plan = plan_vocabulary(kind, repo.terms(kind), entries, now, caller.actor)
    if plan.problems:
        shown = plan.problems[:PROBLEMS_SHOWN]
        more = len(plan.problems) - len(shown)
        raise VocabularyRejected(
            message_en="; ".join(en for _, en in shown) + (f"; and {more} more" if more else ""),
            message_zh="；".join(zh for zh, _ in shown) + (f"；另有 {more} 处" if more else ""),
        )
    counts = {"added": 0, "changed": 0, "retired": 0, "restored": 0, "unchanged": plan.unchanged}
    version = repo.version(kind)
    if plan.changes:
        history = DirectoryRepository(uow.connection)
        for action, term in plan.changes:
            repo.save_term(term)
            history.record(kind, term.code, action, term_state(term), caller.actor)
            counts[action] += 1
        version += 1
        repo.set_version(kind, version, now, caller.actor)
        write_events(uow, [vocabulary_changed(caller, kind, version, repo.terms(kind).values())])
    return {"kind": kind, "version": version, **counts}


def list_vocabulary(uow: UnitOfWork, kind: str, retired: bool = False) -> dict:
    """The vocabulary's terms (retired ones too when asked), and its version."""
    repo = VocabularyRepository(uow.connection)
    terms = [term_state(t) for t in repo.terms(kind).values() if retired or not t.retired]
    return {"kind": kind, "version": repo.version(kind), "terms": terms}


def vocabularies_changed(uow: UnitOfWork, caller: Caller, after, limit: int) -> ResyncPage:
    """The resync source of `vocabulary_changed` (sanbao_common.messaging.resync): each
    vocabulary whole at its current version (the seeded version 1 too), in one page."""
    repo = VocabularyRepository(uow.connection)
    versions, terms = repo.versions(), repo.terms()
    events = [
        vocabulary_changed(
            caller, kind, versions[kind], [t for (of, _), t in terms.items() if of == kind]
        )
        for kind in VOCABULARY_KINDS
        if kind in versions
    ]
    return ResyncPage(events, len(events), None)


def load_lexicon(connection: Connection) -> Lexicon:
    """Both vocabularies' active words, for one batch of labourers' events (one query)."""
    terms = VocabularyRepository(connection).terms()
    return Lexicon(
        industries=TermIndex(t for (kind, _), t in terms.items() if kind == INDUSTRY),
        skills=TermIndex(t for (kind, _), t in terms.items() if kind == SKILL),
    )
