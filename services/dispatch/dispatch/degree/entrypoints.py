"""The degree of organisation's entrypoint (`organisation_degree.read`: everyone; counts only)."""

from __future__ import annotations

from datetime import date

from nameko import config as nameko_config

from dispatch.degree.use_cases import organisation_degree as report
from dispatch.parts import DispatchPart
from dispatch_contract.placements import DEGREE_LEVELS
from sanbao_common import clock
from sanbao_common.errors import InvalidInput
from sanbao_common.rpc import optional_argument, rpc


def _as_of(value: str | None) -> date:
    text = optional_argument(value, "as_of", most=10)
    if text is None:
        return clock.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput({"as_of": ["a date, YYYY-MM-DD"]}) from None


class DegreeEntrypoints(DispatchPart):
    @rpc(permission="organisation_degree.read")
    def organisation_degree(self, as_of: str | None = None, by: str = "county") -> dict:
        """The degree of organisation on `as_of` (today by the kit's clock), per county,
        township or village (docs/organisation-degree.md)."""
        day = _as_of(as_of)
        level = optional_argument(by, "by", DEGREE_LEVELS) or "county"
        county = nameko_config.get("COUNTY") or self.access.principal.county
        with self.db.reader() as uow:
            return report(uow, day, level, county)
