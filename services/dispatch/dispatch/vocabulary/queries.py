"""What orders and matching read of dispatch's copy of registry's vocabularies (industries,
skills): the codes it knows, and the section an industry code belongs to.

`known_codes(connection, "industry")` -> {"E47": {"code": "E47", "name": "房屋建筑业",
"parent": "E", "aliases": [...], "retired": False}, "E": {... "parent": None ...}, ...}: the
sections themselves are terms too (parent None). Retired terms are left out unless asked for:
a new order names active terms only; an order kept from before may show a retired one's name.
`section_of("E47")` -> "E" (a section's own code gives itself); a code that is no industry code
raises ValueError.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from dispatch.adapters.vocabulary_tables import vocabulary_terms, vocabulary_versions
from registry_contract.industries_and_skills import VOCABULARY_KINDS, industry_section

TERM_FIELDS = ("code", "name", "parent", "aliases", "retired")


def _kind(kind: str) -> str:
    if kind not in VOCABULARY_KINDS:
        raise ValueError(f"no vocabulary {kind!r}: one of {VOCABULARY_KINDS}")
    return kind


def known_codes(connection: Connection, kind: str, include_retired: bool = False) -> dict:
    """Code -> term (`TERM_FIELDS`) of the `industry` or `skill` vocabulary dispatch holds."""
    query = select(vocabulary_terms).where(vocabulary_terms.c.kind == _kind(kind))
    if not include_retired:
        query = query.where(vocabulary_terms.c.retired.is_(False))
    terms = {}
    for row in connection.execute(query.order_by(vocabulary_terms.c.code)):
        term = {name: getattr(row, name) for name in TERM_FIELDS}
        term["aliases"] = list(term["aliases"] or ())
        terms[row.code] = term
    return terms


def vocabulary_version(connection: Connection, kind: str) -> int | None:
    """The version of registry's list dispatch holds (None before it has any)."""
    return connection.execute(
        select(vocabulary_versions.c.version).where(vocabulary_versions.c.kind == _kind(kind))
    ).scalar_one_or_none()


def section_of(code: str) -> str:
    """The GB/T 4754 section (a letter) of an industry code: `E47` -> `E`, `E` -> `E`."""
    section = industry_section(code)
    if section is None:
        raise ValueError(f"{code!r} is not an industry code")
    return section
