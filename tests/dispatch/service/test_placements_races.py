"""Placements under concurrent callers: of two racing starts of one person one places them; of
two racing follow-ups of one month, or two racing ends, one counts; storage decides."""

from datetime import date

import eventlet

from dispatch_support import key
from placement_support import YEAR, Placements, move_clock_to
from sanbao_common.errors import DomainError


def outcome(call):
    try:
        return call()["placement_id"]
    except DomainError as error:
        return error.code


def race(*calls) -> list[str]:
    threads = [eventlet.spawn(outcome, call) for call in calls]
    return [thread.wait() for thread in threads]


def test_of_two_racing_starts_of_one_person_one_places_them(dispatch):
    scene = Placements(dispatch)
    (li,) = scene.people("李娜")
    batch = scene.arrived_batch(li)
    admin = dispatch.admin()
    outcomes = race(lambda: scene.start(batch, li), lambda: scene.start(batch, li, worker=admin))
    refusals = [o for o in outcomes if o in ("ALREADY_PLACED", "NOT_IN_BATCH")]
    (placed,) = [o for o in outcomes if o not in refusals]
    assert len(refusals) == 1
    assert [p["placement_id"] for p in scene.hr.list_placements()["placements"]] == [placed]
    assert scene.booked_by(li) == placed
    assert len(dispatch.events("placement_started")) == 1


def test_of_two_racing_follow_ups_or_ends_one_counts(dispatch):
    scene = Placements(dispatch)
    (li,) = scene.people("李娜")
    placed = scene.start(scene.arrived_batch(li), li)
    pid = placed["placement_id"]
    move_clock_to(date(YEAR, 3, 1))
    request = {"month": 1, "contacted_on": f"{YEAR}-02-28", "outcome": "not_reached"}
    admin = dispatch.admin()
    outcomes = race(
        lambda: scene.hr.record_follow_up(pid, request, key()),
        lambda: admin.record_follow_up(pid, request, key()),
    )
    assert set(outcomes) in ({pid, "PLACEMENT_CHANGED"}, {pid, "FOLLOW_UP_RECORDED"})
    assert len(scene.hr.get_placement(pid)["follow_ups"]) == 1
    assert len(dispatch.events("placement_followed_up")) == 1

    outcomes = race(
        lambda: scene.hr.end_placement(pid, f"{YEAR}-02-28", "returned", key()),
        lambda: admin.end_placement(pid, f"{YEAR}-02-27", "changed_job", key()),
    )
    assert set(outcomes) == {pid, "PLACEMENT_ENDED"}
    (event,) = dispatch.events("placement_ended")
    assert event["version"] == 3 and scene.booked_by(li) is None
