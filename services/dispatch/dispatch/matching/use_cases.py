"""Matching one job order: who may ask (the order's HR company, the cooperatives, the county,
auditors), over which part of the pool (an area-bound cooperative: its own area), and the reply.
"""

from __future__ import annotations

from dispatch.matching.pool import Match
from dispatch.matching.repository import count_eligible, load_pool
from dispatch.matching.scoring import OrderTerms, explain
from dispatch.orders.errors import OrderNotFound, OrderNotOpen
from dispatch.orders.queries import order_for_matching
from dispatch.orders.use_cases import reading_company
from dispatch_contract.vocabularies import ORDER_OPEN
from sanbao_common.access import AREA_KINDS, OutOfScope, Principal
from sanbao_common.db import UnitOfWork


def candidates_area(principal: Principal) -> str | None:
    """The division code whose villages' people a caller is shown (None: the whole county): a
    cooperative's people see their own area's, as everywhere else (`Principal.covers`)."""
    if principal.organisation_kind in AREA_KINDS:
        return principal.scope.split("-")[0]
    return None


def match_order(uow: UnitOfWork, principal: Principal, order_id: str, with_factors: bool) -> dict:
    """The best 3 x head count candidates for an open order, poor first, each with its score
    (and, `with_factors`, each factor's weight, points and reason)."""
    order = order_for_matching(uow.connection, order_id)
    if order is None:
        raise OrderNotFound(order_id=order_id)
    company = reading_company(principal)
    if company is not None and company != order["hr_company"]:
        raise OutOfScope(
            message_en="this order belongs to another HR company",
            message_zh="该用工需求属于其他人力资源公司",
            order_id=order_id,
        )
    if order["status"] != ORDER_OPEN:
        raise OrderNotOpen(
            message_en=f"the job order is {order['status']}: only open orders are matched",
            message_zh="该用工需求已结束，只为进行中的需求匹配人选",
            order_id=order_id,
        )
    terms = OrderTerms.of(order)
    area = candidates_area(principal)
    matches = load_pool(uow.connection, terms, area).rank(terms)
    return {
        "order_id": order_id,
        "head_count": order["head_count"],
        "wanted": terms.wanted,
        "eligible": count_eligible(uow.connection, terms, area),
        "area": area,
        "candidates": [_candidate(match, terms, with_factors) for match in matches],
    }


def _candidate(match: Match, order: OrderTerms, with_factors: bool) -> dict:
    row = match.candidate
    found = {
        "person_id": row.person_id,
        "name": row.name,
        "id_number_masked": row.id_number_masked,
        "village_code": row.village_code,
        "agent_id": row.agent_id,
        "poor": bool(row.poor),
        "score": match.score,
    }
    if with_factors:
        found["factors"] = [factor.as_reply() for factor in explain(row, order)]
    return found
