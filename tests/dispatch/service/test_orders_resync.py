"""Job orders' resync sources (`sanbao events resync CONSUMER`): every open order as
`job_order_opened`, every ended one as `job_order_closed`, each at its current version with its
whole state (what `get_job_order` shows), in pages that together carry each order once."""

from datetime import timedelta

from dispatch.orders.events import ended_orders, open_orders
from dispatch.resync import RESYNC_SOURCES
from dispatch_support import key, today
from sanbao_common.context import Caller
from sanbao_common.envelope import parse_envelope

COUNTY = "532501"
OPERATOR = Caller(COUNTY, "user:admin", "resync-1")


def open_some(dispatch, count: int) -> list[dict]:
    hr = dispatch.as_(["hr_operator"], dispatch.hr, user="zhou.hr")
    agreement_id = dispatch.sealed_agreement()
    employer = hr.register_employer(
        {
            "name": "红河州建工集团",
            "credit_code": "91350100M000100Y43",
            "place_scope": "in_prefecture",
            "place": "蒙自市",
            "industry": "E48",
        },
        key(),
    )
    return [
        hr.open_job_order(
            {
                "agreement_id": agreement_id,
                "employer_id": employer["employer_id"],
                "title": f"修路工{n}",
                "head_count": 10 + n,
                "wage_min": "3800.00",
                "wage_max": "5200.00",
                "skills": ["concrete"],
                "starts_on": (today() + timedelta(days=7 + n)).isoformat(),
            },
            key(),
        )
        for n in range(count)
    ]


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


def test_dispatch_offers_both_order_events_for_resync():
    assert RESYNC_SOURCES["job_order_opened"] is open_orders
    assert RESYNC_SOURCES["job_order_closed"] is ended_orders


def test_open_and_ended_orders_are_resynced_at_their_current_versions(dispatch):
    orders = open_some(dispatch, 5)
    hr = dispatch.as_(["hr_operator"], dispatch.hr, user="zhou.hr")
    ended = {
        o["order_id"]: hr.close_job_order(o["order_id"], outcome, "够了", key())
        for o, outcome in zip(orders[:2], ("filled", "cancelled"), strict=True)
    }
    still_open = {o["order_id"]: o for o in orders[2:]}

    opened_pages = pages(dispatch, open_orders, limit=2)
    closed_pages = pages(dispatch, ended_orders, limit=2)
    assert [len(p) for p in opened_pages] == [2, 1]
    assert [len(p) for p in closed_pages] == [2, 0]  # a full page may be the last: one more read

    opened = [parse_envelope(e, COUNTY) for p in opened_pages for e in p]
    closed = [parse_envelope(e, COUNTY) for p in closed_pages for e in p]
    assert {e.type for e in opened} == {"job_order_opened"}
    assert {e.type for e in closed} == {"job_order_closed"}
    assert {e.record_id: e.payload for e in opened} == still_open
    assert {e.record_id: e.payload for e in closed} == ended
    assert all(e.version == e.payload["version"] for e in opened + closed)
    assert [e.version for e in closed] == [2, 2]
    # Fresh events, as the operator's request, never copies of what the outbox holds.
    published = {e["event_id"] for e in dispatch.events()}
    assert not published & {str(e.event_id) for e in opened + closed}
    assert {(e.actor, e.correlation_id) for e in opened + closed} == {("user:admin", "resync-1")}
    # The same again gives the same states (a consumer keeping the highest version is unmoved).
    again = [parse_envelope(e, COUNTY) for p in pages(dispatch, open_orders, 10) for e in p]
    assert [(e.record_id, e.version, e.payload) for e in again] == [
        (e.record_id, e.version, e.payload) for e in opened
    ]


def test_nothing_to_resync_is_one_empty_page(dispatch):
    assert pages(dispatch, open_orders, 500) == [[]]
    assert pages(dispatch, ended_orders, 500) == [[]]
