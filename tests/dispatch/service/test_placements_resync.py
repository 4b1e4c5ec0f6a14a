"""Placements' resync sources: every active placement as `placement_started` and every ended one
as `placement_ended`, each at its current version with its whole state (follow-ups included), in
pages that together carry each placement once."""

from datetime import date

from dispatch.placements.events import active_placements, ended_placements
from dispatch.resync import RESYNC_SOURCES
from dispatch_support import key
from placement_support import START, YEAR, Placements, move_clock_to
from sanbao_common.context import Caller
from sanbao_common.envelope import parse_envelope

COUNTY = "532501"
OPERATOR = Caller(COUNTY, "user:admin", "resync-1")


def pages(dispatch, source, limit: int) -> list[list[dict]]:
    found, after = [], None
    while True:
        with dispatch.db.reader() as uow:
            page = source(uow, OPERATOR, after, limit)
        assert page.records == len(page.events)
        found.append(page.events)
        if page.after is None:
            return found
        after = page.after


def test_dispatch_offers_the_placement_events_for_resync():
    assert RESYNC_SOURCES["placement_started"] is active_placements
    assert RESYNC_SOURCES["placement_ended"] is ended_placements


def test_placements_are_resynced_at_their_current_versions(dispatch):
    scene = Placements(dispatch)
    people = scene.people("甲", "乙", "丙", "丁")
    batch = scene.arrived_batch(*people)
    placed = [scene.start(batch, person) for person in people]
    move_clock_to(date(YEAR, 3, 1))
    followed = scene.hr.record_follow_up(
        placed[0]["placement_id"],
        {"month": 1, "contacted_on": f"{YEAR}-02-28", "outcome": "employed", "wage": "5300"},
        key(),
    )
    ended = scene.hr.end_placement(placed[1]["placement_id"], START.isoformat(), "returned", key())
    still = {p["placement_id"]: p for p in placed[2:]} | {followed["placement_id"]: followed}

    started_pages = pages(dispatch, active_placements, limit=2)
    ended_pages = pages(dispatch, ended_placements, limit=2)
    assert [len(p) for p in started_pages] == [2, 1]
    assert [len(p) for p in ended_pages] == [1]
    started = [parse_envelope(e, COUNTY) for p in started_pages for e in p]
    (closed,) = [parse_envelope(e, COUNTY) for p in ended_pages for e in p]
    assert {e.type for e in started} == {"placement_started"}
    assert {e.record_id: e.payload for e in started} == still
    assert all(e.version == e.payload["version"] for e in started)
    assert (closed.type, closed.version, closed.payload) == ("placement_ended", 2, ended)
    assert {(e.actor, e.correlation_id) for e in [*started, closed]} == {("user:admin", "resync-1")}
