"""Keeping dispatch's copy of registry's vocabularies (industries, skills) from
`vocabulary_changed`: each event carries one vocabulary whole at a version, and the copy takes
it only if it is newer than the one held (so a redelivered, replayed, resynced or late event
changes nothing). The payload is checked before anything is written: an event that does not fit
is refused whole (and parked by the consumer with the reason), never half applied."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, insert, update

from dispatch.adapters.vocabulary_tables import vocabulary_terms, vocabulary_versions
from dispatch.vocabulary.queries import vocabulary_version
from registry_contract.industries_and_skills import (
    INDUSTRY,
    MAX_ALIASES,
    MAX_NAME,
    MAX_TERMS,
    VOCABULARY_KINDS,
    industry_section,
    valid_code,
)
from sanbao_common.db import UnitOfWork
from sanbao_common.envelope import Envelope, MalformedEvent


def _malformed(event: Envelope, problem: str) -> MalformedEvent:
    return MalformedEvent(
        message_en=f"the {event.type} payload does not fit: {problem}",
        message_zh=f"{event.type} 事件内容不符合规范：{problem}",
        event_id=str(event.event_id),
    )


def _text(value, longest: int) -> bool:
    return isinstance(value, str) and bool(value.strip()) and len(value) <= longest


def _term(kind: str, term) -> dict:
    """One term as the copy keeps it; ValueError naming what is wrong with it."""
    if not isinstance(term, dict):
        raise ValueError("a term is not an object")
    code = term.get("code")
    if not valid_code(kind, code):
        raise ValueError(f"{code!r} is not a code of the {kind} vocabulary")
    if not _text(term.get("name"), MAX_NAME):
        raise ValueError(f"{code}: name is not a text of 1 to {MAX_NAME}")
    parent = industry_section(code) if kind == INDUSTRY and len(code) > 1 else None
    if term.get("parent") != parent:
        raise ValueError(f"{code}: parent is {parent!r}, not {term.get('parent')!r}")
    aliases = term.get("aliases")
    if not isinstance(aliases, list) or len(aliases) > MAX_ALIASES:
        raise ValueError(f"{code}: aliases is not a list of at most {MAX_ALIASES}")
    if not all(_text(alias, MAX_NAME) for alias in aliases):
        raise ValueError(f"{code}: an alias is not a text of 1 to {MAX_NAME}")
    if not isinstance(term.get("retired"), bool):
        raise ValueError(f"{code}: retired is not true or false")
    return {"kind": kind, "code": code, "name": term["name"], "parent": parent,
            "aliases": aliases, "retired": term["retired"]}  # fmt: skip


def vocabulary_of(event: Envelope) -> tuple[str, int, list[dict]]:
    """(kind, version, terms) of a `vocabulary_changed` event, every term checked."""
    payload = event.payload
    kind, version, terms = payload.get("kind"), payload.get("version"), payload.get("terms")
    if kind not in VOCABULARY_KINDS:
        raise _malformed(event, f"kind is one of {VOCABULARY_KINDS}")
    if type(version) is not int or version < 1:
        raise _malformed(event, "version is not a positive integer")
    if event.version != version or event.record_id != kind:
        raise _malformed(event, "the envelope's record id and version are the kind and version")
    if not isinstance(terms, list) or not 0 < len(terms) <= MAX_TERMS:
        raise _malformed(event, f"terms is not a list of 1 to {MAX_TERMS}")
    try:
        kept = [_term(kind, term) for term in terms]
    except ValueError as exc:
        raise _malformed(event, str(exc)) from None
    if len({term["code"] for term in kept}) != len(kept):
        raise _malformed(event, "a code is listed twice")
    return kind, version, kept


def apply_vocabularies(uow: UnitOfWork, events: list[Envelope]) -> None:
    """Take each event's vocabulary if it is newer than the copy's, in order."""
    connection = uow.connection
    for event in events:
        kind, version, terms = vocabulary_of(event)
        held = vocabulary_version(connection, kind)
        if held is not None and version <= held:
            continue
        connection.execute(delete(vocabulary_terms).where(vocabulary_terms.c.kind == kind))
        connection.execute(insert(vocabulary_terms), terms)
        values = {"version": version, "updated_at": datetime.now(UTC)}
        if held is None:
            connection.execute(insert(vocabulary_versions).values(kind=kind, **values))
        else:
            connection.execute(
                update(vocabulary_versions)
                .where(vocabulary_versions.c.kind == kind)
                .values(**values)
            )
