"""Review findings on roster imports, through RegistryService's entrypoints, on both databases:
a held row is bound to the person as they were when it was held (a confirm after they changed
is refused), one decision settles the other rows held for the same person, the reply kept for a
repeated decision holds no name or village; an import resumed after a crash applies exactly the
rows it validated, whatever the village list became meanwhile; a dry run leaves a trace."""

import base64
import hashlib
import json
import logging
import uuid

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from registry.adapters.tables import idempotency_keys, labourers, roster_conflicts
from registry.exceptions import ConflictResolved, ConflictStale
from registry.people import registration
from registry.rosters import use_cases
from sanbao_common.context import Caller
from sanbao_common.sample_villages import sample_villages
from testkit import TEST_COUNTY, principal

KAFANG, JIJIE = "532501001", "532501002"
OUTCOMES = ("registered", "updated", "confirmed", "refused_validating", "refused_applying",
            "held_conflicts")  # fmt: skip
HEADER = "姓名,身份证号,村代码"


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def county(registry_worker):
    """A county cooperative's administrator: decides held rows, keeps the village list."""
    scope = principal(["coop_operator", "county_admin"], username="zhou.county")
    return registry_worker(scope, "user:zhou.county")


@pytest.fixture
def kafang(registry_worker):
    scope = principal(["coop_operator"], scope=KAFANG, kind="township_coop", username="li.kf")
    return registry_worker(scope, "user:li.kf")


def csv(*rows: tuple[str, str, str]) -> bytes:
    return ("\n".join([HEADER, *(",".join(row) for row in rows)]) + "\n").encode("utf-8-sig")


def start(service, content: bytes, **options) -> dict:
    encoded = base64.b64encode(content).decode()
    status = service.start_roster_import("花名册.csv", encoded, key(), **options)
    return status if options.get("dry_run") else service.roster_import_status(status["import_id"])


def registered_in_jijie(county, sample) -> dict:
    person = {"name": sample.name(), "id_number": sample.id_number("532501"),
              "village_code": f"{JIJIE}205"}  # fmt: skip
    return person | county.register_labourer(person, key())


# -- held rows -----------------------------------------------------------------------------------


def test_a_held_row_cannot_be_confirmed_once_its_person_changed(county, kafang, sample):
    person = registered_in_jijie(county, sample)
    moving = (person["name"], person["id_number"], f"{KAFANG}201")  # another township: held
    assert start(kafang, csv(moving))["held_conflicts"] == 1
    (held,) = county.list_roster_conflicts()
    assert (held["person_version"], held["changed_since_held"]) == (person["version"], False)

    county.update_labourer(person["person_id"], {"phone": sample.phone()}, key())
    (held,) = county.list_roster_conflicts()
    assert held["changed_since_held"] is True
    with pytest.raises(ConflictStale) as refused:
        county.resolve_roster_conflict(held["conflict_id"], "confirm", key())
    assert "the person changed since the row was held; list again" in str(refused.value)
    assert "请重新列出" in str(refused.value)
    assert county.get_labourer(person["person_id"])["village_code"] == f"{JIJIE}205"
    # It can be rejected; imported again, the row is held afresh and can be confirmed.
    assert county.resolve_roster_conflict(held["conflict_id"], "reject", key())["superseded"] == []
    start(kafang, csv(moving))
    (fresh,) = county.list_roster_conflicts()
    confirmed = county.resolve_roster_conflict(fresh["conflict_id"], "confirm", key())
    assert (confirmed["status"], confirmed["outcome"]) == ("confirmed", "updated")
    assert county.get_labourer(person["person_id"])["village_code"] == f"{KAFANG}201"


def test_a_decision_settles_the_other_rows_held_for_the_same_person(county, kafang, db, sample):
    """Rows held for one person: an import repeated (the same row twice) and rows that say
    something else. A rejection closes the rows that say what it rejected; a confirm, all the
    others, which were written against the person as they were: the last one never wins."""
    person = registered_in_jijie(county, sample)
    same = (person["name"], person["id_number"], f"{KAFANG}201")
    for row in (same, same, ("改了名", person["id_number"], f"{KAFANG}202"),
                ("又改名", person["id_number"], f"{KAFANG}202")):  # fmt: skip
        start(kafang, csv(row))
    first, repeated, renamed, other = county.list_roster_conflicts()
    assert first["row"] == repeated["row"] and renamed["row"]["name"] == "改了名"

    rejected = county.resolve_roster_conflict(first["conflict_id"], "reject", key())
    assert rejected["superseded"] == [repeated["conflict_id"]]
    assert [c["conflict_id"] for c in county.list_roster_conflicts()] == [
        renamed["conflict_id"], other["conflict_id"],
    ]  # fmt: skip
    confirmed = county.resolve_roster_conflict(renamed["conflict_id"], "confirm", key())
    assert confirmed["superseded"] == [other["conflict_id"]]
    assert county.list_roster_conflicts() == []
    assert county.get_labourer(person["person_id"])["name"] == "改了名"
    closed = county.list_roster_conflicts("superseded")
    assert {c["conflict_id"] for c in closed} == {repeated["conflict_id"], other["conflict_id"]}
    assert all(c["row"] is None and c["resolved_by"] == "user:zhou.county" for c in closed)
    with pytest.raises(ConflictResolved):
        county.resolve_roster_conflict(other["conflict_id"], "confirm", key())
    with db.reader() as uow:  # every sealed row is gone
        kept = uow.connection.execute(select(roster_conflicts.c.content_sealed)).scalars().all()
    assert [bytes(content) for content in kept] == [b""] * 4


def test_the_reply_kept_for_a_repeated_decision_holds_no_name_or_village(
    county, kafang, db, sample
):
    person = registered_in_jijie(county, sample)
    start(kafang, csv(("改了名", person["id_number"], f"{KAFANG}201")))
    (held,) = county.list_roster_conflicts()
    decision = key()
    first = county.resolve_roster_conflict(held["conflict_id"], "confirm", decision)
    assert first["stored"]["name"] == person["name"] and first["row"]["name"] == "改了名"
    with db.reader() as uow:
        stored = uow.connection.execute(
            select(idempotency_keys.c.response).where(idempotency_keys.c.key == decision)
        ).scalar_one()
    secrets = [person["name"], "改了名", f"{KAFANG}201", f"{JIJIE}205", person["id_number"],
               person["id_number"][-4:]]  # fmt: skip
    assert not [secret for secret in secrets if secret in stored]
    again = county.resolve_roster_conflict(held["conflict_id"], "confirm", decision)
    assert again == json.loads(stored)
    assert set(again) == {"conflict_id", "status", "import_id", "person_id", "outcome",
                          "resolved_at", "resolved_by", "superseded"}  # fmt: skip
    assert (again["status"], again["outcome"]) == ("confirmed", "updated")


# -- an import resumed after a crash -------------------------------------------------------------


class Crash(Exception):
    """The registry process dying inside a chunk's transaction."""


def village_entry(code: str, active: bool) -> dict:
    found = next(v for v in sample_villages(TEST_COUNTY) if v["code"] == code)
    return {"code": code, "name": found["name"], "aliases": found["aliases"], "active": active}


def test_a_resumed_import_applies_exactly_the_rows_it_validated(county, db, sample, monkeypatch):
    """Validated, one chunk applied, then the process dies; meanwhile a village of valid rows
    is retired and one of refused rows restored. The resumed import neither skips a row nor
    applies one twice, nor applies a row refused while validating: each row ends as one
    outcome, and the refusals it finds at the restart are recorded."""
    kept, retired, restored = f"{KAFANG}201", f"{KAFANG}203", f"{KAFANG}204"
    county.import_villages([village_entry(restored, False)], key())
    villages = [kept, restored, retired, kept, retired, restored, retired, retired, kept, retired]
    rows = [(sample.name(), sample.id_number("532501"), village) for village in villages]
    monkeypatch.setattr(use_cases, "CHUNK", 3)  # valid: 201 203 201 | 203 203 203 | 201 203
    importer = county.roster_imports.importer()
    caller = Caller(TEST_COUNTY, "user:zhou.county", "import-test")
    content = csv(*rows)
    with db.unit_of_work() as uow:
        roster = importer.read(content, "花名册.csv")
        staged = importer.stage(uow, content, "花名册.csv", caller, TEST_COUNTY, roster)
        uow.commit()
    real, chunks = registration.apply_people, []

    def dies_in_the_second_chunk(*args, **kwargs):
        chunks.append(1)
        if len(chunks) == 2:
            raise Crash()
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(registration, "apply_people", dies_in_the_second_chunk)
        with pytest.raises(Crash):
            importer.apply(staged["import_id"], caller)
    crashed = importer.status(staged["import_id"])
    assert (crashed["status"], crashed["applied_rows"], crashed["registered"]) == ("applying", 3, 3)

    county.import_villages([village_entry(retired, False), village_entry(restored, True)], key())
    done = importer.apply(staged["import_id"], caller)
    assert done["status"] == "done" and done["applied_rows"] == done["valid_rows"] == 8
    assert {name: done[name] for name in OUTCOMES} == {
        "registered": 4, "updated": 0, "confirmed": 0, "refused_validating": 2,
        "refused_applying": 4, "held_conflicts": 0,
    }  # fmt: skip
    assert sum(done[name] for name in OUTCOMES) == done["total_rows"] == 10
    with db.reader() as uow:
        stored = uow.connection.execute(select(func.count()).select_from(labourers)).scalar()
    assert stored == 4  # rows 2, 4, 5 (the first chunk) and 10; nobody of the restored village
    errors = importer.errors(staged["import_id"])
    refused_at_restart = {e["row_number"] for e in errors if "恢复" in e["reason"]}
    assert refused_at_restart == {6, 8, 9, 11}  # the retired village's rows after the crash
    assert {e["row_number"] for e in errors} == {3, 6, 7, 8, 9, 11}


# -- a dry run's trace ---------------------------------------------------------------------------


def test_a_dry_run_is_logged_and_counted_without_personal_data(kafang, sample, caplog):
    name, id_number = sample.name(), sample.id_number("532501")
    content = csv((name, id_number, f"{KAFANG}201"), ("某人", "123", f"{KAFANG}201"))
    metric = "sanbao_registry_roster_dry_runs_total"
    before = REGISTRY.get_sample_value(metric) or 0
    with caplog.at_level(logging.INFO, logger="registry.rosters.dry_run"):
        tried = start(kafang, content, dry_run=True)
    assert REGISTRY.get_sample_value(metric) == before + 1
    (line,) = [r for r in caplog.records if r.getMessage() == "roster dry run"]
    assert (line.actor, line.scope) == ("user:li.kf", KAFANG)
    assert (line.total_rows, line.valid_rows) == (2, 1)
    assert line.sha256 == hashlib.sha256(content).hexdigest()
    assert line.counts["registered"] == tried["registered"] == 1
    assert line.counts["refused_validating"] == 1
    assert not [s for s in (name, id_number, "某人", "花名册") if s in str(vars(line))]
