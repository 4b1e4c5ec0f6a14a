"""Who asks for a distribution again, and who reads which (`settlement.read` is wide; the
handler narrows it): anyone of an HR company (its operators, and its signatories too) the
distributions of its own receivables whole, and the lines paying itself in others; the county's
administrators, finance people, auditors and signatories, and the county cooperative, every
distribution whole; a township or village cooperative the lines paying cooperatives of its area;
an agent none (they are paid by their village)."""

from __future__ import annotations

from collections.abc import Callable

from sanbao_common.access import (
    AUDITOR,
    COOP_OPERATOR,
    COUNTY_ADMIN,
    FINANCE,
    HR_OPERATOR,
    SIGNATORY,
    Forbidden,
    Principal,
)

COUNTY_COOP = "county_coop"
HR_COMPANY = "hr_company"
SEES_ALL = frozenset({COUNTY_ADMIN, FINANCE, AUDITOR, SIGNATORY})


def may_request(principal: Principal) -> bool:
    return COUNTY_ADMIN in principal.roles or principal.organisation_kind == COUNTY_COOP


def check_requester(principal: Principal) -> None:
    if not may_request(principal):
        raise Forbidden(
            message_en="distributions are asked for by the county cooperative",
            message_zh="收益分配由县级合作社申请",
        )


def line_filter(principal: Principal, divisions: dict[str, str | None]) -> Callable:
    """`keep(distribution, lines) -> lines the caller sees` (an empty list: not theirs at all);
    `divisions` gives the payees' division codes (organisations settlement knows)."""
    if principal.organisation_kind == HR_COMPANY:  # by company first, whatever the role
        return _company_filter(principal.organisation_id)
    if SEES_ALL.intersection(principal.roles) or principal.organisation_kind == COUNTY_COOP:
        return lambda row, lines: lines
    if not {COOP_OPERATOR, HR_OPERATOR}.intersection(principal.roles):
        return lambda row, lines: []
    own = principal.organisation_id
    area = principal.area

    def keep(row: dict, lines: list[dict]) -> list[dict]:
        return [
            line
            for line in lines
            if line["payee_id"] == own
            or (
                area is not None
                and divisions.get(line["payee_id"]) is not None
                and principal.covers(divisions[line["payee_id"]])
            )
        ]

    return keep


def sees_whole(principal: Principal, row: dict) -> bool:
    """Whether the caller reads the distribution whole: so also one settlement refused, which
    has no lines (the county's people and cooperative, the HR company that owes it)."""
    if principal.organisation_kind == HR_COMPANY:
        return row["counterparty_id"] == principal.organisation_id
    return (
        bool(SEES_ALL.intersection(principal.roles)) or principal.organisation_kind == COUNTY_COOP
    )


def _company_filter(company: str | None) -> Callable:
    def keep(row: dict, lines: list[dict]) -> list[dict]:
        if company is None:
            return []
        if row["counterparty_id"] == company:
            return lines
        return [line for line in lines if line["payee_id"] == company]

    return keep
