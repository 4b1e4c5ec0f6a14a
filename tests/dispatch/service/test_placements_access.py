"""Who may see and change a placement: an HR operator of another company neither reads nor
changes it, nor sees it in due lists; an area-bound cooperative reads its own area's; a return
may be recorded by the labourer's agent or cooperative, not by one of another area."""

from datetime import date

import pytest

from dispatch_support import key
from placement_support import YEAR, Placements, move_clock_to, worker
from sanbao_common.access import Forbidden, OutOfScope

OTHER_VILLAGE = "532501002203"


@pytest.fixture
def scene(dispatch):
    return Placements(dispatch)


@pytest.fixture
def placed(scene):
    (li,) = scene.people("李娜", agent_id="agent-li")
    placement = scene.start(scene.arrived_batch(li), li)
    move_clock_to(date(YEAR, 3, 20))  # the 1-month follow-up is overdue
    return placement


def test_an_hr_operator_of_another_company_cannot_read_change_or_list_it(dispatch, scene, placed):
    other = dispatch.hr_company("org-hr-2")
    intruder = dispatch.as_(["hr_operator"], other, user="mallory")
    pid = placed["placement_id"]
    follow_up = {"month": 1, "contacted_on": f"{YEAR}-03-01", "outcome": "not_reached"}
    before = dispatch.events()

    for call in (
        lambda: intruder.get_placement(pid),
        lambda: intruder.record_follow_up(pid, follow_up, key()),
        lambda: intruder.end_placement(pid, f"{YEAR}-03-01", "returned", key()),
        lambda: intruder.list_placements(hr_company=dispatch.hr.org_id),
        lambda: intruder.list_follow_ups(hr_company=dispatch.hr.org_id),
    ):
        with pytest.raises(OutOfScope):
            call()
    assert intruder.list_placements()["placements"] == []
    assert intruder.list_follow_ups()["follow_ups"] == []
    assert intruder.list_follow_ups("overdue")["follow_ups"] == []
    assert dispatch.events() == before
    assert scene.hr.get_placement(pid) == placed  # unchanged
    # Nor may it place another company's batch members.
    (wang,) = scene.people("王芳")
    batch = scene.arrived_batch(wang)
    with pytest.raises(OutOfScope):
        scene.start(batch, wang, worker=intruder)
    assert scene.booked_by(wang) == batch
    # Its own due list is its own; the county's administrator sees everyone's.
    admin_due = dispatch.admin().list_follow_ups()["follow_ups"]
    assert [(i["placement_id"], i["state"]) for i in admin_due] == [(pid, "overdue")]


def test_people_without_the_permission_are_refused(dispatch, placed):
    auditor = dispatch.as_(["auditor"], user="audit")
    assert auditor.get_placement(placed["placement_id"]) == placed  # reads
    with pytest.raises(Forbidden):
        auditor.end_placement(placed["placement_id"], f"{YEAR}-03-01", "returned", key())
    coop = dispatch.as_(["coop_operator"], user="coop")
    with pytest.raises(Forbidden):
        coop.record_follow_up(
            placed["placement_id"],
            {"month": 1, "contacted_on": f"{YEAR}-03-01", "outcome": "not_reached"},
            key(),
        )


def test_an_area_reads_its_own_people_only(dispatch, placed):
    village = placed["village_code"]
    own = worker(dispatch, ["coop_operator"], org="org-v1", kind="village_coop", scope=village)
    far = worker(
        dispatch, ["coop_operator"], org="org-v2", kind="village_coop", scope=OTHER_VILLAGE
    )
    assert own.get_placement(placed["placement_id"]) == placed
    assert [p["placement_id"] for p in own.list_placements()["placements"]] == [
        placed["placement_id"]
    ]
    with pytest.raises(OutOfScope):
        far.get_placement(placed["placement_id"])
    assert far.list_placements()["placements"] == []
    assert far.list_follow_ups()["follow_ups"] == []


def test_a_return_is_recorded_by_the_labourers_agent_or_cooperative_not_another_area(
    dispatch, scene, placed
):
    pid = placed["placement_id"]
    far_agent = worker(
        dispatch, ["agent"], org="org-v2", kind="village_coop", scope=OTHER_VILLAGE, user="x"
    )
    with pytest.raises(OutOfScope):
        far_agent.end_placement(pid, f"{YEAR}-03-01", "returned", key())
    # The person's own agent (by user id), wherever their organisation is.
    agent = worker(
        dispatch, ["agent"], org="org-v2", kind="village_coop", scope=OTHER_VILLAGE,
        user="agent-li",
    )  # fmt: skip
    ended = agent.end_placement(pid, f"{YEAR}-03-01", "returned", key(), note="回乡照顾老人")
    assert ended["ended_by"] == "user:agent-li" and ended["end_note"] == "回乡照顾老人"


def test_a_cooperative_of_the_labourers_township_records_a_return(dispatch, placed):
    township = placed["township_code"]
    coop = worker(dispatch, ["coop_operator"], org="org-t1", kind="township_coop", scope=township)
    ended = coop.end_placement(placed["placement_id"], f"{YEAR}-03-01", "changed_job", key())
    assert ended["status"] == "ended"
