"""Batches' resync sources: each batch republished at its current version with its whole state.
`batch_departed` covers every batch that left, arrived ones included, so that a consumer that
missed a departure (the fund: no-shows become claims) still gets it."""

from batch_support import cost
from dispatch.batches.events import departed_batches
from dispatch.resync import RESYNC_SOURCES
from sanbao_common.context import Caller
from sanbao_common.envelope import parse_envelope

COUNTY = "532501"
OPERATOR = Caller(COUNTY, "user:admin", "resync-1")


def resent(dispatch, source, limit: int = 10) -> list:
    found, after = [], None
    while True:
        with dispatch.db.reader() as uow:
            page = source(uow, OPERATOR, after, limit)
        found += [parse_envelope(e, COUNTY) for e in page.events]
        if page.after is None:
            return found
        after = page.after


def test_dispatch_offers_the_six_batch_events_for_resync():
    names = ["formed", "updated", "approved", "departed", "arrived", "cancelled"]
    assert all(f"batch_{name}" in RESYNC_SOURCES for name in names)
    assert RESYNC_SOURCES["batch_departed"] is departed_batches


def test_batch_departed_is_resent_for_departed_and_arrived_batches(dispatch, desk):
    arrived = desk.arrived_batch(2, costs=[cost("transport", "person", "100.00")], no_shows=1)
    people = desk.people(1)
    gone = desk.form(desk.order(head_count=1), people)
    desk.answer(gone, people)
    desk.approve(gone)
    departed = desk.depart(gone)
    desk.form(desk.order(head_count=1), desk.people(1))  # still forming: not a departure

    events = resent(dispatch, departed_batches, limit=1)
    assert {e.type for e in events} == {"batch_departed"}
    assert {e.record_id: (e.version, e.payload) for e in events} == {
        b["batch_id"]: (b["version"], b) for b in (arrived, departed)
    }
    (again,) = [e for e in events if e.record_id == arrived["batch_id"]]
    assert [m["status"] for m in again.payload["members"]] == ["arrived", "no_show"]
