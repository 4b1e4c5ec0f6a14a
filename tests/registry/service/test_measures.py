"""One person, one measure: the plan a registered-poor labourer carries, through RegistryService's
entrypoints on a real database."""

import uuid
from datetime import date, timedelta

import pytest

from registry.exceptions import LabourerNotFound, MeasureNotFound, MeasureRefused
from sanbao_common.errors import InvalidInput
from testkit import principal

VILLAGE = "532501001201"


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def operator(registry_worker):
    return registry_worker(principal(["coop_operator"], scope="532501"))


@pytest.fixture
def poor(operator, sample):
    return operator.register_labourer(
        {"name": sample.name(), "id_number": sample.id_number("532501"), "village_code": VILLAGE,
         "household_number": "H-1", "relation_to_head": "户主", "poor": "是",
         "poverty_file_number": "YN0000000001"},
        key(),
    )  # fmt: skip


def plan(**fields):
    return {"kind": "training", "description": "电工中级培训", "owner": "县人社局培训股",
            "due_date": (date.today() + timedelta(days=30)).isoformat()} | fields  # fmt: skip


def test_a_poor_labourer_carries_a_plan_of_measures(operator, poor):
    first = operator.add_measure(poor["person_id"], plan(), key())
    operator.add_measure(poor["person_id"], plan(kind="referral", description="推荐至东莞电子厂"),
                         key())  # fmt: skip
    assert first["status"] == "planned" and first["version"] == 1
    listed = operator.list_measures(person_id=poor["person_id"])
    assert [m["kind"] for m in listed] == ["training", "referral"]
    assert operator.get_labourer(poor["person_id"])["poor"] is True


def test_only_labourers_of_registered_poor_households_get_measures(operator, sample):
    someone = operator.register_labourer(
        {"name": sample.name(), "id_number": sample.id_number("532501"), "village_code": VILLAGE},
        key(),
    )
    with pytest.raises(MeasureRefused, match="registered-poor"):
        operator.add_measure(someone["person_id"], plan(), key())
    assert operator.list_measures(person_id=someone["person_id"]) == []


def test_a_measure_moves_forward_and_every_change_is_history(operator, poor):
    measure = operator.add_measure(poor["person_id"], plan(), key())
    changes = {"status": "in_progress", "owner": "乡镇劳务站"}
    moved = operator.update_measure(measure["measure_id"], changes, key())
    assert (moved["status"], moved["owner"], moved["version"]) == ("in_progress", "乡镇劳务站", 2)
    done = operator.update_measure(measure["measure_id"], {"status": "done"}, key())
    assert done["status"] == "done"
    with pytest.raises(MeasureRefused, match="no longer changes"):
        operator.update_measure(measure["measure_id"], {"status": "planned"}, key())
    history = operator.measure_history(measure["measure_id"])
    assert [(h["field"], h["before"], h["after"]) for h in history] == [
        ("owner", "县人社局培训股", "乡镇劳务站"),
        ("status", "planned", "in_progress"),
        ("status", "in_progress", "done"),
    ]
    assert all(h["changed_by"] == "cli:tester" for h in history)


def test_cancelling_needs_a_reason_and_bad_input_is_refused_whole(operator, poor):
    measure = operator.add_measure(poor["person_id"], plan(), key())
    with pytest.raises(MeasureRefused, match="why"):
        operator.update_measure(measure["measure_id"], {"status": "cancelled"}, key())
    cancelled = operator.update_measure(
        measure["measure_id"], {"status": "cancelled", "note": "本人已自行就业"}, key()
    )
    assert cancelled["status"] == "cancelled" and cancelled["note"] == "本人已自行就业"
    with pytest.raises(InvalidInput):
        operator.add_measure(poor["person_id"], plan(kind="lottery", due_date="明年"), key())
    with pytest.raises(InvalidInput):
        operator.update_measure(measure["measure_id"], {"colour": "red"}, key())
    with pytest.raises(MeasureNotFound):
        operator.update_measure("no-such-measure", {"status": "done"}, key())


def test_overdue_measures_of_an_area_are_listed(operator, poor, registry_worker):
    late = operator.add_measure(
        poor["person_id"], plan(due_date=(date.today() - timedelta(days=3)).isoformat()), key()
    )
    operator.add_measure(poor["person_id"], plan(kind="placement"), key())
    overdue = operator.list_measures(overdue=True)
    assert [m["measure_id"] for m in overdue] == [late["measure_id"]]
    assert overdue[0]["overdue"] is True
    elsewhere = registry_worker(
        principal(["coop_operator"], kind="village_coop", scope="532501002205")
    )
    assert elsewhere.list_measures(overdue=True) == []
    with pytest.raises(LabourerNotFound):
        elsewhere.add_measure(poor["person_id"], plan(), key())
