"""A roster import through RegistryService's entrypoints, on both databases: a summary that adds
up (the reply, the status and the rows metric count the same things), nothing left unread
silently, a dry run that writes nothing, and identity conflicts held for the county, of which
the importing township learns nothing."""

import base64
import json
import uuid

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from registry.adapters.tables import (
    households,
    idempotency_keys,
    labourers,
    people_history,
    roster_conflicts,
    roster_import_errors,
    roster_imports,
)
from registry.exceptions import ConflictResolved, LabourerAlreadyRegistered, RosterRefused
from registry.rosters import use_cases
from sanbao_common.access import OutOfScope
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.tables import OUTBOX
from sanbao_common.sample_rosters import generate_roster_rows
from sanbao_common.township_rosters import as_township_keeps, township_roster
from testkit import principal, workbook

KAFANG, JIJIE = "532501001", "532501002"  # two townships of the sample county
OUTCOMES = ("registered", "updated", "confirmed", "refused_validating", "refused_applying",
            "held_conflicts")  # fmt: skip
METRIC = "sanbao_registry_roster_rows_total"
TABLES = (labourers, households, people_history, OUTBOX, roster_imports, roster_import_errors,
          roster_conflicts, idempotency_keys)  # fmt: skip


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def county(registry_worker):
    return registry_worker(principal(["county_admin"], username="zhou.county"), "user:zhou.county")


@pytest.fixture
def kafang(registry_worker):
    """An operator of 卡房镇's township cooperative."""
    scope = principal(["coop_operator"], scope=KAFANG, kind="township_coop", username="li.kf")
    return registry_worker(scope, "user:li.kf")


@pytest.fixture
def jijie(registry_worker):
    """An operator of 鸡街镇's: another township."""
    scope = principal(["coop_operator"], scope=JIJIE, kind="township_coop", username="wang.jj")
    return registry_worker(scope, "user:wang.jj")


def start(service, content: bytes, filename="花名册.xlsx", **options) -> dict:
    encoded = base64.b64encode(content).decode()
    return service.start_roster_import(filename, encoded, key(), **options)


def count(db, table) -> int:
    with db.reader() as uow:
        return uow.connection.execute(select(func.count()).select_from(table)).scalar_one()


def rows_metric() -> dict[str, float]:
    """sanbao_registry_roster_rows_total by outcome, as a scrape shows it."""
    found = {o: REGISTRY.get_sample_value(METRIC, {"outcome": o}) for o in OUTCOMES}
    return {outcome: value or 0.0 for outcome, value in found.items()}


def someone(sample, village: str, **fields) -> dict:
    return {"name": sample.name(), "id_number": sample.id_number("532501"),
            "village_code": village} | fields  # fmt: skip


def messy(sample, county):
    """A township's workbook: two sheets of people under different headers, one of notes, a
    column that looks like poverty data and one that does not; new people, known ones (one
    unchanged, one changed, one registered in another township), a wrong check digit, an ID
    number stored as an Excel number, an ID number twice, an agent nobody knows. Returns the
    file and the people registered before it."""
    village, elsewhere = f"{KAFANG}201", f"{JIJIE}205"
    known = [someone(sample, village, employment_status="在家务农") for _ in range(2)]
    moved = someone(sample, elsewhere)
    for person in (*known, moved):
        county.register_labourer(person, key())
    new = [someone(sample, village) for _ in range(4)]
    bad = someone(sample, village)
    bad["id_number"] = bad["id_number"][:17] + ("0" if bad["id_number"][17] != "0" else "1")
    as_number = someone(sample, village)
    one = ["姓名", "身份证号", "村代码", "就业状态", "低保情况", "备用"]
    sheet_one = [
        one,
        [new[0]["name"], new[0]["id_number"], village, "在家务农", "否", ""],
        [new[1]["name"], new[1]["id_number"], village, "省外务工", "是", "x"],
        [known[0]["name"], known[0]["id_number"], village, "在家务农", "", ""],  # confirmed
        [known[1]["name"], known[1]["id_number"], village, "省外务工", "", ""],  # updated
        [bad["name"], bad["id_number"], village, "", "", ""],  # check digit
        [as_number["name"], int(as_number["id_number"][:17]) * 10, village, "", "", ""],  # a number
    ]
    sheet_two = [
        ["村代码", "姓名", "身份证号", "经纪人"],
        [village, new[2]["name"], new[2]["id_number"], ""],
        [village, new[0]["name"], new[0]["id_number"], ""],  # the same ID as 一组's row 2
        [village, new[3]["name"], new[3]["id_number"], "nobody.agent"],  # refused applying
        [village, moved["name"], moved["id_number"], ""],  # registered in 鸡街镇: held
    ]
    notes = [["填表说明：每户一行"], ["本表由村委会填报"]]
    content = workbook({"一组": sheet_one, "二组": sheet_two, "说明": notes})
    return content, {"known": known, "moved": moved, "new": new}


def test_a_messy_roster_adds_up_in_the_reply_the_status_the_errors_and_the_metric(
    county, kafang, db, sample
):
    content, _ = messy(sample, county)
    before = rows_metric()
    started = start(kafang, content, ignore_columns=["低保情况"])
    assert started["status"] == "validating" and started["total_rows"] == 10
    done = kafang.roster_import_status(started["import_id"])
    assert done["status"] == "done"
    assert {name: done[name] for name in OUTCOMES} == {
        "registered": 3, "updated": 1, "confirmed": 1, "refused_validating": 3,
        "refused_applying": 1, "held_conflicts": 1,
    }  # fmt: skip
    assert sum(done[name] for name in OUTCOMES) == done["total_rows"] == 10
    assert done["validated_rows"] == 10 and done["valid_rows"] == 7 and done["refused_rows"] == 4
    # The metric counts the same rows by the same names.
    after = rows_metric()
    assert {name: after[name] - before[name] for name in OUTCOMES} == {
        name: done[name] for name in OUTCOMES
    }
    # Nothing was left unread without a word: each column and sheet not read is named.
    assert {(c["sheet"], c["header"]) for c in done["ignored_columns"]} == {
        ("一组", "低保情况"), ("一组", "备用"),
    }  # fmt: skip
    assert [s["sheet"] for s in done["ignored_sheets"]] == ["说明"]
    # The error report names the sheet of each row: the two sheets share row numbers.
    report = kafang.roster_import_errors(started["import_id"], "csv")
    lines = base64.b64decode(report["content_base64"]).decode("utf-8-sig").splitlines()
    assert lines[0] == "工作表,行号,列,原因"
    by_place = {tuple(line.split(",")[:2]) for line in lines[1:]}
    assert by_place == {("一组", "6"), ("一组", "7"), ("二组", "3"), ("二组", "4"), ("二组", "5")}
    assert any(line.startswith("二组,3,身份证号,") and "一组" in line for line in lines)
    assert any(line.startswith("二组,5,,") and "待县级核实确认" in line for line in lines)


def test_a_file_whose_unread_columns_look_like_data_is_refused_until_each_is_let_go(
    county, kafang, db, sample
):
    content, _ = messy(sample, county)
    stored = count(db, labourers)
    with pytest.raises(RosterRefused, match="UNREAD_COLUMNS") as refused:
        start(kafang, content)
    assert "低保情况" in str(refused.value) and "--ignore-column 低保情况" in str(refused.value)
    assert "备用" not in str(refused.value)  # nothing like data: named in the summary only
    assert (count(db, roster_imports), count(db, labourers)) == (0, stored)
    # Compared as headers are: spaces and a "*" aside.
    assert start(kafang, content, ignore_columns=[" 低保 情况*"])["status"] == "validating"


def test_a_dry_run_tells_what_the_import_will_do_and_writes_nothing(county, kafang, db, sample):
    content, _ = messy(sample, county)
    before = {table.name: count(db, table) for table in TABLES}
    metric = rows_metric()
    tried = start(kafang, content, dry_run=True)
    assert {table.name: count(db, table) for table in TABLES} == before
    assert rows_metric() == metric
    assert tried["dry_run"] is True and tried["import_id"] is None
    assert [c["header"] for c in tried["needs_ignore_column"]] == ["低保情况"]
    assert tried["conflicts"] == [{"sheet": "二组", "row_number": 5}]
    assert tried["errors_total"] == len(tried["errors"]) == 4
    imported = start(kafang, content, ignore_columns=["低保情况"])
    done = kafang.roster_import_status(imported["import_id"])
    assert {name: tried[name] for name in (*OUTCOMES, "total_rows")} == {
        name: done[name] for name in (*OUTCOMES, "total_rows")
    }


def test_the_township_learns_only_that_a_row_is_held(county, kafang, jijie, db, sample):
    """From the attacker's side: 鸡街镇 imports an ID number registered in 卡房镇, under a name
    of its own choosing, and learns nothing of the person from what it can see."""
    victim = someone(sample, f"{KAFANG}201", phone=sample.phone())
    stored = county.register_labourer(victim, key())
    secrets = [victim["name"], stored["person_id"], victim["village_code"], victim["phone"]]
    events = count(db, OUTBOX)
    header = ["姓名", "身份证号", "村代码"]
    content = workbook({"Sheet1": [header, ["冒名顶替", victim["id_number"], f"{JIJIE}205"]]})
    tried = start(jijie, content, dry_run=True)
    started = start(jijie, content)
    status = jijie.roster_import_status(started["import_id"])
    report = jijie.roster_import_errors(started["import_id"], "csv")
    seen = json.dumps([tried, started, status], ensure_ascii=False)
    seen += base64.b64decode(report["content_base64"]).decode("utf-8-sig")
    assert not [secret for secret in secrets if secret in seen]
    assert status["held_conflicts"] == tried["held_conflicts"] == 1
    assert status["registered"] + status["updated"] + status["confirmed"] == 0
    assert "待县级核实确认" in seen
    assert count(db, OUTBOX) == events  # no event: nobody was changed
    assert county.get_labourer(stored["person_id"])["name"] == victim["name"]
    with pytest.raises(OutOfScope):
        jijie.list_roster_conflicts()
    # The same ID number under its own name and township, imported by 卡房镇, only confirms.
    own = workbook({"Sheet1": [header, [victim["name"], victim["id_number"], f"{KAFANG}201"]]})
    again = kafang.roster_import_status(start(kafang, own)["import_id"])
    assert (again["confirmed"], again["held_conflicts"]) == (1, 0)


def test_the_county_confirms_or_rejects_a_held_row(county, kafang, db, sample):
    content, people = messy(sample, county)
    imported = start(kafang, content, ignore_columns=["低保情况"])
    held_one = kafang.roster_import_status(imported["import_id"])
    moved = people["moved"]
    renamed = someone(sample, f"{KAFANG}202")
    county.register_labourer(renamed, key())
    header = ["姓名", "身份证号", "村代码"]
    start(kafang, workbook({"S": [header, ["改了名", renamed["id_number"], f"{KAFANG}202"]]}))
    with db.reader() as uow:  # held rows are sealed: no ID number in clear
        dump = str([tuple(r) for r in uow.connection.execute(select(roster_conflicts))])
    assert moved["id_number"] not in dump and renamed["id_number"] not in dump
    (first, second) = county.list_roster_conflicts()
    assert (first["import_id"], first["sheet"], first["row_number"]) == (
        held_one["import_id"], "二组", 5,
    )  # fmt: skip
    assert first["stored"] == {"name": moved["name"], "village_code": moved["village_code"]}
    assert first["row"] == {"name": moved["name"], "village_code": f"{KAFANG}201"}
    assert first["why"] == ["township", "outside_importer_area"]
    assert "village_code" in first["changes"]
    assert first["id_number"] == moved["id_number"]  # a county admin sees it in full
    assert second["why"] == ["name"] and second["row"]["name"] == "改了名"

    confirmed = county.resolve_roster_conflict(first["conflict_id"], "confirm", key())
    assert (confirmed["status"], confirmed["outcome"]) == ("confirmed", "updated")
    person = county.get_labourer(first["person_id"])
    assert person["village_code"] == f"{KAFANG}201"
    history = county.labourer_history(first["person_id"])
    assert {(h["source"], h["changed_by"]) for h in history} == {
        (f"import:{held_one['import_id']}", "user:zhou.county")
    }
    with db.reader() as uow:  # nor does the reply kept for a retry
        kept = uow.connection.execute(select(idempotency_keys.c.response)).scalars().all()
    assert not [reply for reply in kept if moved["id_number"] in str(reply)]
    rejected = county.resolve_roster_conflict(second["conflict_id"], "reject", key())
    assert rejected["status"] == "rejected" and rejected["outcome"] is None
    assert county.get_labourer(second["person_id"])["name"] == renamed["name"]
    with pytest.raises(ConflictResolved):
        county.resolve_roster_conflict(second["conflict_id"], "confirm", key())
    assert county.list_roster_conflicts() == []
    with db.reader() as uow:  # the sealed rows are dropped once resolved
        kept = uow.connection.execute(select(roster_conflicts.c.content_sealed)).scalars().all()
    assert [bytes(content) for content in kept] == [b"", b""]
    with pytest.raises(OutOfScope):
        kafang.resolve_roster_conflict(first["conflict_id"], "reject", key())


def test_registering_over_rpc_still_refuses_an_id_number_registered_elsewhere(
    county, jijie, sample
):
    """...without naming the record to a township whose area does not hold it (docs/access.md:
    not its record id), in the single and the batch command alike."""
    person = someone(sample, f"{KAFANG}201")
    person_id = county.register_labourer(person, key())["person_id"]
    with pytest.raises(LabourerAlreadyRegistered) as caught:
        jijie.register_labourer(dict(person, village_code=f"{JIJIE}205"), key())
    assert person_id not in repr(caught.value) and person_id not in repr(caught.value.__dict__)
    batch = jijie.register_labourers([dict(person, village_code=f"{JIJIE}205")], key())
    assert person_id not in repr(batch)
    assert "LABOURER_ALREADY_REGISTERED" in repr(batch)
    with pytest.raises(LabourerAlreadyRegistered) as named:  # the county's area holds it
        county.register_labourer(dict(person, name="王芳"), key())
    assert person_id in str(named.value)


def test_progress_moves_while_validating(kafang, db, sample, monkeypatch):
    rows = [["姓名", "身份证号", "村代码"]] + [
        [sample.name(), sample.id_number("532501"), f"{KAFANG}201"] for _ in range(25)
    ]
    seen = []
    step = use_cases.validate

    def watched(validation, _rows):
        with db.reader() as uow:
            seen.append(uow.connection.execute(select(roster_imports.c.validated_rows)).scalar())
        return step(validation, 10)

    monkeypatch.setattr(use_cases, "validate", watched)
    done = kafang.roster_import_status(start(kafang, workbook({"S": rows}))["import_id"])
    assert seen == [0, 10, 20] and done["validated_rows"] == 25 and done["registered"] == 25


def test_the_township_option_names_a_township_of_the_importers_area(kafang, sample):
    with pytest.raises(InvalidInput, match="township"):
        start(kafang, workbook({"S": [["姓名"]]}), township="鸡街镇")
    header = ["姓名", "身份证号", "村委会"]
    content = workbook({"S": [header, [sample.name(), sample.id_number("532501"), "大寨村"]]})
    done = kafang.roster_import_status(start(kafang, content, township="卡房镇")["import_id"])
    assert done["registered"] == 1


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv"])
def test_a_roster_as_townships_keep_theirs_adds_up_in_every_format(county, fmt):
    """Several village sheets (the CSV: the first), households' cells merged down, notes and
    empty sheets beside them, an ID number typed as a number: every row ends as one outcome."""
    rows = as_township_keeps(generate_roster_rows(40, seed=31, bad_fraction=0.1))
    typed = next(row["id_number"] for row in rows[20:] if row["id_number"][-1].isdigit())
    sheets = {"一村": rows[:20], "二村": rows[20:]}
    content = township_roster(sheets, fmt, numbers=frozenset({typed}))
    done = county.roster_import_status(start(county, content, f"新街镇.{fmt}")["import_id"])
    assert done["status"] == "done" and done["total_rows"] == (20 if fmt == "csv" else 40)
    assert sum(done[name] for name in OUTCOMES) == done["total_rows"]
    written = rows[:20] if fmt == "csv" else rows
    bad = sum(
        1 for row in written if row.get("_bad") or (fmt != "csv" and row["id_number"] == typed)
    )
    assert done["registered"] > 0 and done["refused_validating"] == bad > 0
    errors = county.roster_import_errors(done["import_id"], "csv")
    report = base64.b64decode(errors["content_base64"]).decode("utf-8-sig")
    if fmt != "csv":
        assert any(line.startswith("二村,") and "数字" in line for line in report.splitlines())
        assert {s["sheet"] for s in done["ignored_sheets"]} >= {"填表说明"}


def test_numbers_typed_in_the_wrong_columns_are_in_clear_nowhere(kafang, db, sample):
    """From the attacker's side: other people's ID numbers and phones in a village, sex, skill,
    place of work and agent cell. Reasons quote cells, masked; free text holding one is refused;
    nothing stored, replied or published holds one in clear."""
    ids = [sample.id_number("532501") for _ in range(4)]
    phones = ["13769347503", "15912345678"]
    village = f"{KAFANG}201"
    header = ["姓名", "身份证号", "村代码", "村委会", "性别", "技能", "务工地点", "经纪人"]

    def row(**cells):
        cells = {"id": sample.id_number("532501"), "code": village} | cells
        return [sample.name(), cells["id"], cells["code"], cells.get("village", ""),
                cells.get("sex", ""), cells.get("skills", "电工"), cells.get("place", ""),
                cells.get("agent", "")]  # fmt: skip

    rows = [
        header,
        row(),  # registered: its events are published
        row(code="", village=ids[0]),
        row(sex=ids[1]),
        row(skills=f"电工；{ids[2]}"),
        row(place=f"广东省 {phones[0]}"),
        row(agent=phones[1]),  # refused applying: no such agent
        row(skills=ids[3]),
    ]
    content = workbook({"一组": rows})
    tried = start(kafang, content, dry_run=True)
    assert tried["refused_rows"] == 6 and tried["registered"] == 1
    done = kafang.roster_import_status(start(kafang, content)["import_id"])
    assert (done["registered"], done["refused_validating"], done["refused_applying"]) == (1, 5, 1)
    report = kafang.roster_import_errors(done["import_id"], "csv")
    texts = [json.dumps(tried, ensure_ascii=False), json.dumps(done, ensure_ascii=False),
             base64.b64decode(report["content_base64"]).decode("utf-8-sig")]  # fmt: skip
    with db.reader() as uow:
        for table in (roster_import_errors, roster_imports, labourers, people_history, OUTBOX):
            found = uow.connection.execute(select(table)).all()
            texts.append(str([tuple(r) for r in found]))
    for text in texts:
        for number in (*ids, *phones):
            assert number not in text
    assert "532501***********" in texts[2]  # the quoted cells are still recognisable, masked
    assert (
        "技能中含有身份证号或手机号码" in texts[2]
        and "务工地点中含有身份证号或手机号码" in texts[2]
    )


def test_nothing_is_dropped_under_an_empty_header_or_in_a_sheet_that_narrowly_misses(
    kafang, db, sample
):
    village = f"{KAFANG}201"
    good = [["姓名", "身份证号（18位）", "村代码", ""]] + [
        [sample.name(), sample.id_number("532501"), village, "是"] for _ in range(2)
    ]
    with pytest.raises(RosterRefused, match="UNREAD_COLUMNS") as refused:
        start(kafang, workbook({"一组": good}))
    assert "--ignore-column D列" in str(refused.value)
    tried = start(kafang, workbook({"一组": good}), dry_run=True)
    assert [c["header"] for c in tried["needs_ignore_column"]] == ["D列（无表头）"]
    done = kafang.roster_import_status(
        start(kafang, workbook({"一组": good}), ignore_columns=["D列"])["import_id"]
    )
    assert done["registered"] == 2
    assert [(c["header"], c["looks_like"]) for c in done["ignored_columns"]] == [
        ("D列（无表头）", "no_header")
    ]
    # A second sheet of people whose header lacks the ID number refuses the whole file.
    missed = [["姓名", "身份号", "村代码"], [sample.name(), sample.id_number("532501"), village]]
    stored = count(db, labourers)
    with pytest.raises(RosterRefused, match="MISSING_COLUMNS") as refused:
        start(kafang, workbook({"一组": good, "二组": missed}), ignore_columns=["D列"])
    assert "二组" in str(refused.value)
    assert count(db, labourers) == stored
