"""Properties of settlement against the databases (fewer examples than the pure domain's, each
a whole month closed): for any small set of placements — some ended early, some registered
poor, some with an agent — delivered as dispatch's events,

1. running a period twice gives the same lines (and closing it, which runs it once more, too);
2. once it is closed, running the next period settles nothing twice: no (item, party) of the
   closed month comes again, nothing is an adjustment;
3. each statement's lines per labourer add up to the labourer's line, the labourers' lines per
   village to the village's total, and those to the statement's total; the period's total is
   its lines' sum, to the fen.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from sanbao_common import clock
from sanbao_common.db import create_database_engine
from settlement.adapters.tables import metadata
from settlement_periods_support import County, today_is
from settlement_support import Settlement, key

FIRST_START = date(2025, 12, 1)
SETTINGS = settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

placements = st.lists(
    st.fixed_dictionaries(
        {
            "start": st.integers(0, 150),  # days after 2025-12-01: up to 2026-04-30
            "lasted": st.none() | st.integers(1, 150),  # ended that many days after it started
            "poor": st.booleans(),
            "agent": st.sampled_from([None, "agent-1", "agent-2"]),
        }
    ),
    min_size=1,
    max_size=6,
)


def _wipe(settlement: Settlement) -> None:
    """Every row of settlement's tables gone: each example starts on an empty county."""
    with settlement.db.unit_of_work() as uow:
        for table in reversed(metadata.sorted_tables):
            uow.connection.execute(delete(table))
        uow.commit()


def _place(county: County, drawn: dict) -> None:
    starts_on = FIRST_START + timedelta(days=drawn["start"])
    placement_id = county.place(
        starts_on=starts_on.isoformat(), poor=drawn["poor"], agent_id=drawn["agent"]
    )
    if drawn["lasted"] is not None:
        ended_on = min(starts_on + timedelta(days=drawn["lasted"]), date(2026, 4, 30))
        if ended_on > starts_on:
            county.end(placement_id, ended_on.isoformat())


def _lines(county: County, period: str) -> list[tuple]:
    return sorted(
        (line["line_id"], line["item_key"], line["party"], line["payee_id"], line["amount_fen"],
         bool(line["adjustment"]), line["statement_id"])
        for line in county.lines(period)
    )  # fmt: skip


def _check_statements_add_up(settlement: Settlement, county: County, period: str) -> None:
    admin = settlement.county_admin()
    found = admin.get_period(period)
    lines = county.lines(period)
    assert found["total_fen"] == sum(line["amount_fen"] for line in lines)
    for listed in admin.list_statements(period=period)["statements"]:
        statement = admin.get_statement(listed["statement_id"])
        own = [line for line in lines if line["statement_id"] == statement["statement_id"]]
        villages: dict[str, int] = defaultdict(int)
        for labourer in statement["labourers"]:
            assert labourer["amount_fen"] == sum(x["amount_fen"] for x in labourer["lines"])
            villages[labourer["village_code"]] += labourer["amount_fen"]
        by_village: dict[str, int] = defaultdict(int)
        for line in own:
            by_village[line["village_code"]] += line["amount_fen"]
        assert dict(villages) == dict(by_village)
        assert sum(villages.values()) == statement["shown_fen"] == statement["total_fen"]


def test_runs_repeat_close_settles_once_and_statements_add_up(databases):
    engine = create_database_engine(databases["settlement"])
    settlement = Settlement(engine)

    @SETTINGS
    @given(drawn=placements)
    def check(drawn):
        _wipe(settlement)
        clock.reset()
        county = County(settlement)
        for one in drawn:
            _place(county, one)
        today_is("2026-05-06")
        coop = settlement.county_coop_operator()
        coop.run_period("2026-04", key())
        first = _lines(county, "2026-04")
        coop.run_period("2026-04", key())
        assert _lines(county, "2026-04") == first
        coop.close_period("2026-04", key())
        closed = _lines(county, "2026-04")
        assert [line[:6] for line in closed] == [line[:6] for line in first]
        _check_statements_add_up(settlement, county, "2026-04")

        today_is("2026-06-02")
        coop.run_period("2026-05", key())
        settled = {(line[1], line[2]) for line in closed}
        later = _lines(county, "2026-05")
        assert not settled & {(line[1], line[2]) for line in later}
        assert not any(line[5] for line in later)  # nothing to adjust: nothing changed

    try:
        check()
    finally:
        clock.reset()
        engine.dispose()
