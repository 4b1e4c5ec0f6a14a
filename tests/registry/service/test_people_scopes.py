"""How far people work and mean to go, through RegistryService's entrypoints on a real database:
the dashboard counts working in the county apart from working away (转移就业), "no intention"
(无) is an answer that registers an unemployed person, and the scope is stored, searched,
recorded as history and carried in the person's events."""

import base64
import json
import uuid

import pytest
from sqlalchemy import select

from registry.adapters.tables import labourers
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.tables import OUTBOX
from sanbao_common.spreadsheets import write_table
from testkit import principal

VILLAGE = "532501001201"
OTHER_VILLAGE = "532501002205"


@pytest.fixture
def operator(registry_worker):
    return registry_worker(principal(["coop_operator"], scope="532501"))


def key() -> str:
    return uuid.uuid4().hex


def someone(sample, **fields):
    return {"name": sample.name(), "id_number": sample.id_number("532501"),
            "village_code": VILLAGE} | fields  # fmt: skip


def people_in_events(db) -> list[dict]:
    with db.reader() as uow:
        bodies = uow.connection.execute(select(OUTBOX.c.body).order_by(OUTBOX.c.position))
        return [p for body in bodies.scalars() for p in json.loads(body)["payload"]["people"]]


def test_counts_report_working_in_the_county_apart_from_working_away(operator, sample):
    poor_head = someone(sample, household_number="H-1", relation_to_head="户主", poor="是",
                        poverty_file_number="YN1", employment_status="县内务工")  # fmt: skip
    rows = [
        poor_head,
        someone(sample, employment_status="县内务工"),
        someone(sample, employment_status="州内县外务工"),
        someone(sample, employment_status="省内州外务工"),
        someone(sample, employment_status="外出务工", employment_place="广东省东莞市"),
        someone(sample, employment_status="在家务农", intention_regions="省外"),
        someone(sample, employment_status="失业", intention_regions="无"),
        someone(
            sample,
            village_code=OTHER_VILLAGE,
            employment_status="省外务工",
            household_number="H-2",
            relation_to_head="户主",
            poor="是",
            poverty_file_number="YN2",
        ),  # fmt: skip
    ]
    reply = operator.register_labourers(rows, key())
    assert reply["refused"] == [] and len(reply["registered"]) == 8
    by_village = {row["area"]: row for row in operator.labourer_counts("village")}
    assert {name: by_village[VILLAGE][name] for name in (
        "labour_force", "poor_labour_force", "employed_in_county", "poor_employed_in_county",
        "transferred", "poor_transferred", "willing_to_go")} == {
        "labour_force": 7, "poor_labour_force": 1, "employed_in_county": 2,
        "poor_employed_in_county": 1, "transferred": 3, "poor_transferred": 0,
        "willing_to_go": 1,
    }  # fmt: skip
    other = by_village[OTHER_VILLAGE]
    assert (other["transferred"], other["poor_transferred"], other["employed_in_county"]) == (
        1,
        1,
        0,
    )
    found = operator.search_labourers({"employment_status": "in_county"})["labourers"]
    assert len(found) == 2


def test_an_unemployed_person_who_answers_no_intention_is_registered(operator, sample):
    person = operator.register_labourer(
        someone(sample, employment_status="失业", intention_regions="无"), key()
    )
    assert (person["employment_status"], person["intention_scope"]) == ("unemployed", "none")
    assert person["intention_regions"] == [] and person["willing_to_go"] is False
    # An answer left blank is still no answer.
    with pytest.raises(InvalidInput, match="employment intention"):
        operator.register_labourer(someone(sample, employment_status="失业"), key())


def test_a_roster_of_unemployed_people_answering_no_intention_registers_them(operator, sample):
    headers = ["姓名", "身份证号", "村代码", "就业状态", "意向地区"]
    rows = [
        [sample.name(), sample.id_number("532501"), VILLAGE, "失业", answer]
        for answer in ("无", "不外出", "省外", "")
    ]
    content = write_table("csv", headers, rows)
    started = operator.start_roster_import("花名册.csv", base64.b64encode(content).decode(), key())
    status = operator.roster_import_status(started["import_id"])
    assert status["registered"] == 3, status
    stored = {p["name"]: p for p in operator.search_labourers({}, None, 10)["labourers"]}
    assert sorted(p["intention_scope"] for p in stored.values()) == [
        "none", "none", "outside_province"
    ]  # fmt: skip
    assert rows[3][0] not in stored  # blank: refused, it needs an intention


def test_the_scope_is_stored_searched_recorded_and_published(operator, db, sample):
    person_id = operator.register_labourer(
        someone(sample, employment_status="在家务农", intention_regions="蒙自市"), key()
    )["person_id"]
    with db.reader() as uow:
        stored = uow.connection.execute(
            select(labourers.c.intention_scope).where(labourers.c.person_id == person_id)
        ).scalar_one()
    assert stored == "in_prefecture"
    assert [p["person_id"] for p in
            operator.search_labourers({"intention_scope": "in_prefecture"})["labourers"]] == [
        person_id
    ]  # fmt: skip
    with pytest.raises(InvalidInput):
        operator.search_labourers({"intention_scope": "far"})
    after = operator.update_labourer(person_id, {"intention_scope": "无"}, key())
    assert (after["intention_scope"], after["intention_regions"]) == ("none", [])
    assert after["willing_to_go"] is False
    history = {h["field"]: (h["before"], h["after"]) for h in
               operator.labourer_history(person_id)}  # fmt: skip
    assert history["intention_scope"] == ("in_prefecture", "none")
    assert history["intention_regions"] == (["蒙自市"], [])
    states = [p for p in people_in_events(db) if p["person_id"] == person_id]
    assert [p["intention_scope"] for p in states] == ["in_prefecture", "none"]
    assert "intention_scope" in states[1]["changed"]
