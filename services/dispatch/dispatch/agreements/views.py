"""Agreements as the RPC replies show them: the fixed terms, where the agreement stands, and each
version with its exact terms (what a seal signs: `sanbao_common.crypto.statement_bytes` of
`terms`), the organisations whose seals signed it and those still to sign."""

from __future__ import annotations

from datetime import UTC

from dispatch.agreements.repository import DRAFT, Version
from dispatch.agreements.terms import shown_yuan
from sanbao_common.money import format_yuan


def _moment(value):
    if value is None:
        return None
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).isoformat()


def summary_view(row) -> dict:
    return {
        "agreement_id": row.agreement_id,
        "reference": row.reference,
        "county": row.county,
        "county_cooperative": row.county_cooperative,
        "hr_company": row.hr_company,
        "principal_fen": row.principal_fen,
        "principal": format_yuan(row.principal_fen),
        "term_start": row.term_start.isoformat(),
        "term_end": row.term_end.isoformat(),
        "bank_name": row.bank_name,
        "bank_account": row.bank_account,
        "status": row.status,
        "sealed_version": row.sealed_version,
        "draft_version": row.draft_version,
        "drafted_by": row.drafted_by,
        "drafted_at": _moment(row.drafted_at),
    }


def version_view(version: Version, parties: tuple[str, str], seals_now: dict) -> dict:
    """`seals_now`: {org id: fingerprint of its seal in effect}. A draft naming another seal than
    a party's in effect can no longer be sealed (`seals_in_effect` false: withdraw and amend)."""
    terms = version.terms
    named = {
        terms["county_cooperative"]: terms["county_cooperative_seal"],
        terms["hr_company"]: terms["hr_company_seal"],
    }
    view = {
        "version": version.version,
        "status": version.status,
        "effective_from": version.effective_from.isoformat(),
        "terms": terms,
        "amounts": shown_yuan(terms),
        "seal_signatures": version.seal_signatures,
        "signed_by": sorted(version.seal_signatures),
        "drafted_by": version.drafted_by,
        "drafted_at": _moment(version.drafted_at),
        "sealed_at": _moment(version.sealed_at),
        "withdrawn_by": version.withdrawn_by,
        "withdrawn_at": _moment(version.withdrawn_at),
    }
    if version.status == DRAFT:
        view["waiting_for"] = [org for org in parties if org not in version.seal_signatures]
        view["seals_in_effect"] = all(seals_now.get(org) == fp for org, fp in named.items())
    return view


def agreement_view(row, versions: list[Version], seals_now: dict) -> dict:
    parties = (row.county_cooperative, row.hr_company)
    return dict(summary_view(row), versions=[version_view(v, parties, seals_now) for v in versions])
