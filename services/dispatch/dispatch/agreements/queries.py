"""What other parts of dispatch ask of agreements (orders, matching, later settlement), as plain
reads on the connection they are given. Nothing here checks who asks: the entrypoints do.

Which version is in force on a date: the sealed version with the latest `effective_from` on or
before that date, within the agreement's term. Version n applies from its `effective_from` to the
day before the next sealed version's (versions never overlap: each sealed amendment takes effect
after the previous one); drafts and withdrawn versions never apply.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from dispatch.adapters.agreement_tables import agreement_versions, agreements

SEALED = "sealed"


def agreement_for_orders(connection, agreement_id: str, on: date) -> dict | None:
    """An agreement as an order under it needs it, on the day `on`, or None if there is none:
    `{"agreement_id", "hr_company", "county_cooperative", "term_start", "term_end" (dates),
    "version_in_force": int | None, "sealed": bool}`. `sealed` says some version took effect;
    `version_in_force` is None before the first sealed version's `effective_from` and outside
    the term (`on` before `term_start` or after `term_end`: the agreement has ended)."""
    row = connection.execute(
        select(agreements).where(agreements.c.agreement_id == agreement_id)
    ).first()
    if row is None:
        return None
    in_force = _in_force(connection, row, on)
    return {
        "agreement_id": row.agreement_id,
        "hr_company": row.hr_company,
        "county_cooperative": row.county_cooperative,
        "term_start": row.term_start,
        "term_end": row.term_end,
        "version_in_force": None if in_force is None else in_force.version,
        "sealed": row.sealed_version is not None,
    }


def version_in_force(connection, agreement_id: str, on: date) -> dict | None:
    """The sealed terms in force on `on` (exactly as both seals signed them: `TERMS_FIELDS`,
    amounts in fen, dates as ISO text), or None."""
    row = connection.execute(
        select(agreements).where(agreements.c.agreement_id == agreement_id)
    ).first()
    if row is None:
        return None
    in_force = _in_force(connection, row, on)
    return None if in_force is None else json.loads(in_force.terms)


def _in_force(connection, agreement, on: date):
    if not agreement.term_start <= on <= agreement.term_end:
        return None
    v = agreement_versions
    return connection.execute(
        select(v.c.version, v.c.terms)
        .where(
            v.c.agreement_id == agreement.agreement_id,
            v.c.status == SEALED,
            v.c.effective_from <= on,
        )
        .order_by(v.c.effective_from.desc(), v.c.version.desc())
        .limit(1)
    ).first()
