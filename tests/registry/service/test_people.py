"""People through RegistryService's entrypoints, on a real database: the four clears and their
history, households, search and counts, merging, rosters in and out, and what a database dump
would reveal."""

import base64
import json
import uuid

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select, text

from registry.adapters.tables import (
    disclosures,
    households,
    labourers,
    people_history,
    roster_imports,
)
from registry.exceptions import LabourerAlreadyRegistered, LabourerNotFound, RosterRefused
from registry.rosters.reading import open_roster
from registry_contract.rosters import COLUMNS
from sanbao_common.access import Forbidden
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.tables import OUTBOX
from sanbao_common.privacy import mask_id_number
from sanbao_common.sample_rosters import generate_roster_rows, roster_bytes
from sanbao_common.spreadsheets import write_table
from testkit import principal

VILLAGE = "532501001201"


@pytest.fixture
def operator(registry_worker):
    return registry_worker(principal(["coop_operator"], scope="532501"))


def key() -> str:
    return uuid.uuid4().hex


def events(db) -> list[dict]:
    with db.reader() as uow:
        bodies = uow.connection.execute(select(OUTBOX.c.body).order_by(OUTBOX.c.position))
        return [json.loads(body) for body in bodies.scalars()]


def count(db, table) -> int:
    with db.reader() as uow:
        return uow.connection.execute(select(func.count()).select_from(table)).scalar_one()


def someone(sample, **fields):
    return {
        "name": sample.name(),
        "id_number": sample.id_number("532501"),
        "village_code": VILLAGE,
        "phone": sample.phone(),
    } | fields


def gauge(service, name: str, **labels) -> float | None:
    """The metric as a scrape of `service` would show it."""
    service.refresh_gauges()
    return REGISTRY.get_sample_value(name, labels)


def import_file(service, content: bytes, filename="花名册.csv") -> dict:
    encoded = base64.b64encode(content).decode()
    status = service.start_roster_import(filename, encoded, key())
    return service.roster_import_status(status["import_id"])


# -- the four clears -----------------------------------------------------------------------------


def test_an_update_is_history_and_one_event_and_the_same_update_again_only_confirms(
    operator, db, sample
):
    person_id = operator.register_labourer(someone(sample), key())["person_id"]
    changes = {"employment_status": "失业", "intention_regions": ["广东省", "浙江省"],
               "expected_wage": "4500"}  # fmt: skip
    after = operator.update_labourer(person_id, changes, key())
    assert after["employment_status"] == "unemployed" and after["version"] == 2
    assert after["expected_wage_fen"] == 450000 and after["willing_to_go"] is True
    assert after["four_clears"]["employment"]["by"] == "cli:tester"
    assert after["four_clears"]["skills"]["changed_at"] is None
    history = operator.labourer_history(person_id)
    assert sorted((h["field"], h["before"], h["after"]) for h in history) == [
        ("employment_status", None, "unemployed"),
        ("expected_wage_fen", None, 450000),
        ("intention_regions", [], ["广东省", "浙江省"]),
        ("intention_scope", None, "outside_province"),
    ]
    assert all(h["changed_by"] == "cli:tester" and h["source"] == "rpc" for h in history)
    updated = [e for e in events(db) if e["type"] == "labourer_updated"]
    assert [sorted(e["payload"]["people"][0]["changed"]) for e in updated] == [
        ["employment_status", "expected_wage_fen", "intention_regions", "intention_scope"]
    ]

    again = operator.update_labourer(person_id, changes, key())
    assert again["version"] == 2 and again["confirmed_at"] > after["confirmed_at"]
    assert len(operator.labourer_history(person_id)) == 4
    assert len([e for e in events(db) if e["type"] == "labourer_updated"]) == 1


def test_an_unemployed_person_must_have_an_intention(operator, db, sample):
    person_id = operator.register_labourer(someone(sample), key())["person_id"]
    with pytest.raises(InvalidInput, match="employment intention"):
        operator.update_labourer(person_id, {"employment_status": "失业"}, key())
    assert operator.get_labourer(person_id)["version"] == 1
    assert count(db, people_history) == 0


def test_the_id_number_cannot_be_changed_by_an_update(operator, sample):
    person_id = operator.register_labourer(someone(sample), key())["person_id"]
    with pytest.raises(InvalidInput, match="merge"):
        operator.update_labourer(person_id, {"id_number": sample.id_number("532501")}, key())


def test_stale_four_clears_are_found_and_a_confirmation_refreshes_them(operator, db, sample):
    person_id = operator.register_labourer(someone(sample), key())["person_id"]
    with db.unit_of_work() as uow:
        uow.connection.execute(
            labourers.update().values(confirmed_at=func.datetime("now", "-40 days"))
            if uow.connection.dialect.name == "sqlite"
            else labourers.update().values(confirmed_at=text("now() - interval '40 days'"))
        )
        uow.commit()
    assert operator.get_labourer(person_id)["stale"] is True
    stale = operator.search_labourers({"stale": True})["labourers"]
    assert [p["person_id"] for p in stale] == [person_id]
    assert gauge(operator, "sanbao_registry_labourers_stale") == 1
    assert operator.confirm_four_clears(person_id, key())["stale"] is False
    assert operator.search_labourers({"stale": True})["labourers"] == []
    assert gauge(operator, "sanbao_registry_labourers_stale") == 0


# -- households ----------------------------------------------------------------------------------


def test_a_new_head_never_moves_the_household_and_poverty_changes_are_published(
    operator, db, sample
):
    head = someone(sample, household_number="H-001", relation_to_head="户主", poor="是",
                   poverty_file_number="YN0000000001")  # fmt: skip
    member = someone(sample, household_number="H-001", relation_to_head="配偶")
    reply = operator.register_labourers([head, member], key())
    first, second = (p["person_id"] for p in reply["registered"])
    assert operator.get_labourer(first)["poor"] and operator.get_labourer(second)["poor"]
    # The spouse becomes the head; the household stays the one it was, in its village (a
    # household is numbered within its village: test_household_villages).
    operator.update_labourer(
        second, {"household_number": "H-001", "relation_to_head": "户主"}, key()
    )
    with db.reader() as uow:
        household = uow.connection.execute(select(households)).one()
    assert household.head_person_id == second and household.village_code == VILLAGE
    operator.update_labourer(first, {"household_number": "H-001", "relation_to_head": "配偶",
                                     "poor": "否"}, key())  # fmt: skip
    (changed,) = [e for e in events(db) if e["type"] == "household_poverty_status_changed"]
    assert changed["payload"]["poor"] is False
    assert sorted(changed["payload"]["members"]) == sorted([first, second])
    assert operator.get_labourer(second)["poor"] is False


# -- search and counts ---------------------------------------------------------------------------


def test_counts_by_area_add_up_to_the_records_behind_them(operator, sample):
    rows = generate_roster_rows(120, seed=7)
    import_file(operator, roster_bytes(rows, "csv"))
    by_village = operator.labourer_counts("village")
    by_township = operator.labourer_counts("township")
    for measure in ("labour_force", "poor_labour_force", "willing_to_go", "transferred",
                    "employed_in_county"):  # fmt: skip
        assert sum(r[measure] for r in by_village) == sum(r[measure] for r in by_township)
    total = sum(r["labour_force"] for r in by_township)
    assert total == operator.count_labourers()["labourers"]
    for row in by_township:
        found, after = 0, None
        while True:
            page = operator.search_labourers({"area": row["area"]}, after, 50)
            found += len(page["labourers"])
            if not (after := page["next"]):
                break
        assert found == row["labour_force"]
        willing = operator.search_labourers({"area": row["area"], "willing_to_go": True}, None, 500)
        assert len(willing["labourers"]) == row["willing_to_go"]
        poor = operator.search_labourers({"area": row["area"], "poor": True}, None, 500)
        assert len(poor["labourers"]) == row["poor_labour_force"]


def test_search_finds_by_skill_and_status_and_stays_inside_the_callers_area(
    registry_worker, operator, sample
):
    welder = operator.register_labourer(
        someone(sample, skills="焊工(中级,持证)；电工", employment_status="在家务农"), key()
    )
    operator.register_labourer(someone(sample, village_code="532501002205", skills="电工"), key())
    found = operator.search_labourers({"skill": "焊工"})["labourers"]
    assert [p["person_id"] for p in found] == [welder["person_id"]]
    assert found[0]["skills"][0] == {"name": "焊工", "level": "中级", "certificate": True}
    assert len(operator.search_labourers({"skill": "电工"})["labourers"]) == 2
    at_home = operator.search_labourers({"employment_status": "at_home"})["labourers"]
    assert [p["person_id"] for p in at_home] == [welder["person_id"]]
    village = registry_worker(principal(["coop_operator"], kind="village_coop", scope=VILLAGE))
    assert len(village.search_labourers({"skill": "电工"})["labourers"]) == 1
    with pytest.raises(InvalidInput):
        village.search_labourers({"favourite": 1})


# -- merging -------------------------------------------------------------------------------------


def test_merging_folds_one_record_into_the_other_and_tells_the_other_services(operator, db, sample):
    kept = operator.register_labourer(someone(sample), key())
    mistyped = someone(sample)
    merged = operator.register_labourer(mistyped, key())
    reply = operator.merge_labourers(
        kept["person_id"], merged["person_id"], "同一人，身份证号录错", key()
    )
    assert reply["person_id"] == kept["person_id"] and reply["version"] == 2
    assert operator.get_labourer(merged["person_id"])["merged_into"] == kept["person_id"]
    assert operator.count_labourers() == {"labourers": 1}
    (event,) = [e for e in events(db) if e["type"] == "labourer_merged"]
    assert event["payload"]["merged_person_id"] == merged["person_id"]
    assert event["payload"]["kept"]["person_id"] == kept["person_id"]
    with pytest.raises(LabourerAlreadyRegistered):
        operator.register_labourer(mistyped, key())
    with pytest.raises(Exception, match="already merged"):
        operator.merge_labourers(kept["person_id"], merged["person_id"], "again", key())


# -- rosters -------------------------------------------------------------------------------------


def test_a_roster_imports_its_good_rows_and_reports_each_bad_one(operator, db):
    rows = generate_roster_rows(200, seed=3, bad_fraction=0.05)
    bad = {index for index, row in enumerate(rows) if row.get("_bad")}
    status = import_file(operator, roster_bytes(rows, "csv"))
    assert status["status"] == "done" and status["total_rows"] == 200
    report = operator.roster_import_errors(status["import_id"], "csv")
    content = base64.b64decode(report["content_base64"]).decode("utf-8-sig")
    assert status["refused_rows"] == len(bad) == 10, content[:2000]
    assert status["registered"] == count(db, labourers) == 190
    assert content.splitlines()[0].split(",")[:3] == ["行号", "列", "原因"]
    refused_rows = {int(line.split(",")[0]) for line in content.splitlines()[1:] if line}
    assert refused_rows == {index + 2 for index in bad}  # the header is row 1
    # one event per chunk of 500 people: the 190 arrive in one
    registered = [e for e in events(db) if e["type"] == "labourer_registered"]
    assert sum(len(e["payload"]["people"]) for e in registered) == 190 and len(registered) == 1
    assert gauge(operator, "sanbao_registry_roster_imports", status="done") == 1
    assert gauge(operator, "sanbao_registry_roster_imports", status="applying") == 0
    # The file (numbers in full) is gone once the import is done; its report stays.
    with db.reader() as uow:
        stored = uow.connection.execute(select(roster_imports.c.content)).scalar_one()
    assert bytes(stored) == b""


def test_importing_the_same_roster_twice_adds_no_person_no_history_and_no_event(operator, db):
    content = roster_bytes(generate_roster_rows(150, seed=5), "xlsx")
    first = import_file(operator, content, "花名册.xlsx")
    before = (
        count(db, labourers),
        count(db, households),
        count(db, people_history),
        len(events(db)),
    )
    second = import_file(operator, content, "花名册.xlsx")
    assert (second["registered"], second["updated"], second["confirmed"]) == (
        0,
        0,
        first["registered"],
    )
    after = (
        count(db, labourers),
        count(db, households),
        count(db, people_history),
        len(events(db)),
    )
    assert after == before


def test_a_changed_row_on_reimport_is_an_update_attributed_to_the_import(operator, db):
    rows = generate_roster_rows(20, seed=9)
    import_file(operator, roster_bytes(rows, "csv"))
    rows[4] = dict(rows[4], employment_status="省外务工", employment_place="广东省东莞市")
    status = import_file(operator, roster_bytes(rows, "csv"))
    assert (status["registered"], status["updated"], status["confirmed"]) == (0, 1, 19)
    with db.reader() as uow:
        sources = (
            uow.connection.execute(
                select(people_history.c.source)
                .where(people_history.c.record_kind == "labourer")
                .distinct()
            )
            .scalars()
            .all()
        )
    assert sources == [f"import:{status['import_id']}"]


def test_an_unreadable_roster_is_refused_whole_and_writes_nothing(operator, db):
    with pytest.raises(RosterRefused):
        import_file(operator, b"\xd0\xcf\x11\xe0" + b"\0" * 200, "old.xls")
    headerless = "名字,号码\n张三,1\n".encode()
    with pytest.raises(RosterRefused):
        import_file(operator, headerless)
    assert count(db, labourers) == 0 and events(db) == []


def test_an_export_masks_what_the_caller_may_not_see_and_imports_back(
    registry_worker, operator, db
):
    rows = generate_roster_rows(30, seed=11)
    import_file(operator, roster_bytes(rows, "csv"))
    exported = operator.export_labourers({}, "xlsx")
    roster = open_roster(base64.b64decode(exported["content_base64"]), "export.xlsx")
    ids = {row.values["id_number"] for row in roster.rows()}
    assert ids == {row["id_number"].upper() for row in rows}
    again = import_file(operator, base64.b64decode(exported["content_base64"]), "export.xlsx")
    assert (again["registered"], again["updated"]) == (0, 0)

    company = registry_worker(principal(["hr_operator"], kind="hr_company", scope="org-hr"))
    masked = company.export_labourers({}, "csv")
    text_ = base64.b64decode(masked["content_base64"]).decode("utf-8-sig")
    assert masked["rows"] == 30
    assert not any(row["id_number"].upper() in text_ for row in rows)
    assert not any(row["phone"] in text_ for row in rows if row.get("phone"))


# -- privacy -------------------------------------------------------------------------------------


def test_an_auditor_sees_one_persons_numbers_only_with_a_reason_and_it_is_recorded(
    registry_worker, operator, db, sample
):
    person = someone(sample)
    person_id = operator.register_labourer(person, key())["person_id"]
    auditor = registry_worker(
        principal(["auditor"], kind="audit_bureau", scope="org-audit", username="zhao.audit"),
        actor="user:zhao.audit",
    )
    seen = auditor.get_labourer(person_id)
    assert "id_number" not in seen and "phone" not in seen  # only the masked forms
    assert seen["id_number_masked"] == mask_id_number(person["id_number"])

    for reason in ("", "  ", "查", None):
        with pytest.raises(InvalidInput):
            auditor.disclose_labourer(person_id, reason)
    assert count(db, disclosures) == 0  # nothing shown, nothing recorded

    shown = auditor.disclose_labourer(person_id, "  核查2026年第一批务工人员身份  ")
    assert (shown["id_number"], shown["phone"]) == (person["id_number"], person["phone"])
    (recorded,) = auditor.list_disclosures(person_id)
    assert recorded == shown["disclosure"]
    assert (recorded["reason"], recorded["disclosed_to"], recorded["person_id"]) == (
        "核查2026年第一批务工人员身份",
        "user:zhao.audit",
        person_id,
    )
    auditor.disclose_labourer(person_id, "再次核对联系电话")  # every look is recorded
    admin = registry_worker(principal(["county_admin"]))
    assert [d["reason"] for d in admin.list_disclosures()] == [
        "再次核对联系电话",
        "核查2026年第一批务工人员身份",
    ]

    # Only auditors disclose; the others see what their role allows, and nothing more.
    with pytest.raises(Forbidden):
        operator.disclose_labourer(person_id, "我本来就能看到")
    company = registry_worker(principal(["hr_operator"], kind="hr_company", scope="org-hr"))
    with pytest.raises(Forbidden):
        company.disclose_labourer(person_id, "想看身份证号")
    with pytest.raises(Forbidden):
        company.list_disclosures()
    with pytest.raises(LabourerNotFound):
        auditor.disclose_labourer("no-such-person", "核查身份信息")
    with db.reader() as uow:
        stored = str([tuple(r) for r in uow.connection.execute(select(disclosures))])
    assert person["id_number"] not in stored and person["phone"] not in stored


def test_a_database_dump_reveals_no_id_number_or_phone(operator, db, sample):
    person = someone(sample)
    operator.register_labourer(person, key())
    operator.update_labourer(
        operator.search_labourers()["labourers"][0]["person_id"], {"phone": sample.phone()}, key()
    )
    dump = []
    with db.reader() as uow:
        for table in ("labourers", "people_history", "outbox", "idempotency_keys"):
            dump += [
                str(tuple(row)) for row in uow.connection.execute(text(f"SELECT * FROM {table}"))
            ]
    everything = "\n".join(dump)
    assert person["id_number"] not in everything
    assert person["phone"] not in everything


def test_a_blank_cell_clears_a_value_and_a_missing_column_leaves_it(operator, db):
    rows = generate_roster_rows(10, seed=13)
    rows = [dict(row, skills="电工(初级)", training_intention="焊工") for row in rows]
    import_file(operator, roster_bytes(rows, "csv"))
    # The next roster blanks the skills of one person and has no training column at all.
    columns = [c for c in COLUMNS if c.key != "training_intention"]
    rows[2] = dict(rows[2], skills="")
    content = write_table(
        "csv", [c.header_zh for c in columns], ([row.get(c.key) for c in columns] for row in rows)
    )
    status = import_file(operator, content)
    assert (status["updated"], status["confirmed"]) == (1, 9)
    people = {p["id_number"]: p for p in operator.search_labourers({}, None, 100)["labourers"]}
    assert people[rows[2]["id_number"].upper()]["skills"] == []
    assert people[rows[3]["id_number"].upper()]["skills"][0]["name"] == "电工"
    assert all(p["training_intention"] == ["焊工"] for p in people.values())
