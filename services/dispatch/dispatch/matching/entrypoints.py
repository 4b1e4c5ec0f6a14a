"""Matching's entrypoint: a ranked, explainable list of candidates for one job order
(`orders.match`: the order's HR company, the cooperatives, the county, auditors)."""

from __future__ import annotations

from dispatch.matching import use_cases as matching
from dispatch.parts import DispatchPart
from sanbao_common.errors import InvalidInput
from sanbao_common.rpc import rpc


class MatchingEntrypoints(DispatchPart):
    @rpc(permission="orders.match")
    def match_order(self, order_id: str, explain: bool = False) -> dict:
        """The best 3 x head count candidates for an open order: registered-poor first, then by
        fit score, then by person id; `explain`: each score's factors."""
        if not isinstance(order_id, str) or not 1 <= len(order_id) <= 36:
            raise InvalidInput({"order_id": ["a job order's id"]})
        if not isinstance(explain, bool):
            raise InvalidInput({"explain": ["true or false"]})
        with self.db.reader() as uow:
            return matching.match_order(uow, self.access.principal, order_id, explain)
