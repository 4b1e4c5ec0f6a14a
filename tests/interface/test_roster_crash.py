"""A roster import killed halfway (SIGKILL, a chunk's transaction open) and then repeated ends
in the same state as one clean import: the same people, households and events, no history. An
import that kills the process at every attempt (as one that runs it out of memory would) is
failed after ROSTER_IMPORT_MAX_ATTEMPTS, instead of resumed at every start."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

from sqlalchemy import select

from registry.adapters.tables import households, labourers, people_history, roster_imports
from registry.rosters.use_cases import CHUNK, RosterImporter
from sanbao_common.context import Caller
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.messaging.tables import OUTBOX
from sanbao_common.sample_rosters import generate_roster_rows, roster_bytes
from testkit import TEST_COUNTY

SETTINGS = {"WORKING_AGE_MIN": 16, "WORKING_AGE_MAX": 64}
CALLER = Caller(TEST_COUNTY, "cli:importer", "import-test")

# Stages the roster, then applies it; the third chunk waits inside its open transaction, where
# the test kills the process.
IMPORTER = textwrap.dedent(
    """
    import sys, threading, time
    from registry.people import registration
    from registry.rosters import use_cases as roster_import
    from sanbao_common.context import Caller
    from sanbao_common.crypto import DataKey
    from sanbao_common.db import DatabaseHandle, create_database_engine

    url, key_path, roster_path = sys.argv[1:4]
    chunks = {"n": 0}
    apply_people = registration.apply_people

    def slow_third_chunk(*args, **kwargs):
        outcome = apply_people(*args, **kwargs)
        chunks["n"] += 1
        if chunks["n"] == 3:
            print("third chunk written, not committed", flush=True)
            time.sleep(60)
        return outcome

    roster_import.registration.apply_people = slow_third_chunk
    db = DatabaseHandle(create_database_engine(url), threading.Lock())
    importer = roster_import.RosterImporter(
        db, DataKey.load(key_path), "532501", {"WORKING_AGE_MIN": 16, "WORKING_AGE_MAX": 64}
    )
    caller = Caller("532501", "cli:importer", "import-test")
    content = open(roster_path, "rb").read()
    with db.unit_of_work() as uow:
        status = importer.stage(
            uow, content, "花名册.csv", caller, "532501", importer.read(content, "花名册.csv")
        )
        uow.commit()
    importer.apply(status["import_id"], caller)
    """
)


# Resumes an import as a restarted registry does, and dies while validating it (the test kills
# it there, as the kernel's OOM killer would).
VALIDATOR = textwrap.dedent(
    """
    import sys, threading, time
    from registry.rosters import use_cases
    from sanbao_common.context import Caller
    from sanbao_common.crypto import DataKey
    from sanbao_common.db import DatabaseHandle, create_database_engine

    url, key_path, import_id = sys.argv[1:4]

    def validate_until_killed(*args):
        print("validating", flush=True)
        time.sleep(60)

    use_cases.validate = validate_until_killed
    db = DatabaseHandle(create_database_engine(url), threading.Lock())
    importer = use_cases.RosterImporter(
        db, DataKey.load(key_path), "532501", {"WORKING_AGE_MIN": 16, "WORKING_AGE_MAX": 64}
    )
    importer.apply(import_id, Caller("532501", "cli:importer", "import-test"))
    """
)


def import_once(url: str, key, content: bytes) -> dict:
    db = DatabaseHandle(create_database_engine(url), threading.Lock())
    importer = RosterImporter(db, key, TEST_COUNTY, SETTINGS)
    with db.unit_of_work() as uow:
        roster = importer.read(content, "花名册.csv")
        status = importer.stage(uow, content, "花名册.csv", CALLER, TEST_COUNTY, roster)
        uow.commit()
    return importer.apply(status["import_id"], CALLER)


def state(url: str) -> dict:
    """What an import leaves, independent of the random ids it gives people and households."""
    engine = create_database_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            people = [dict(r._mapping) for r in connection.execute(select(labourers))]
            homes = {r.household_id: r for r in connection.execute(select(households))}
            hash_of = {p["person_id"]: p["id_hash"] for p in people}
            events = [
                json.loads(body)
                for body in connection.execute(
                    select(OUTBOX.c.body).order_by(OUTBOX.c.position)
                ).scalars()
            ]
            history = connection.execute(
                select(people_history.c.field).where(people_history.c.record_kind == "labourer")
            ).all()
    finally:
        engine.dispose()
    published = [
        (event["type"], hash_of[person["person_id"]], person["version"])
        for event in events
        for person in event["payload"].get("people", [])
    ]
    return {
        "people": sorted(
            (
                p["id_hash"],
                p["name"],
                p["village_code"],
                p["version"],
                p["employment_status"],
                json.dumps(p["skills"]),
                json.dumps(p["intention_regions"]),
                p["expected_wage_fen"],
                homes[p["household_id"]].household_number,
                homes[p["household_id"]].poor,
                hash_of.get(homes[p["household_id"]].head_person_id),
            )  # fmt: skip
            for p in people
        ),
        "published": sorted(published),
        "other_events": sorted(e["type"] for e in events if "people" not in e["payload"]),
        "labourer_history": len(history),
    }


def test_an_import_killed_halfway_and_repeated_ends_as_one_clean_import(
    database_templates, db_backend, tmp_path, token_keys
):
    content = roster_bytes(generate_roster_rows(3 * CHUNK + 400, seed=21, bad_fraction=0.02), "csv")
    roster = tmp_path / "roster.csv"
    roster.write_bytes(content)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    crashed = database_templates.copy(db_backend, "registry", tmp_path / "a")
    clean = database_templates.copy(db_backend, "registry", tmp_path / "b")

    process = subprocess.Popen(
        [sys.executable, "-c", IMPORTER, crashed, str(token_keys.data_key_path), str(roster)],
        stdout=subprocess.PIPE,
        env=dict(os.environ),
    )
    try:
        assert process.stdout.readline().decode().strip() == "third chunk written, not committed"
        time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()

    engine = create_database_engine(crashed, pool_size=1)
    with engine.connect() as connection:
        (killed,) = connection.execute(select(roster_imports)).all()
        registered_at_kill = len(connection.execute(select(labourers.c.person_id)).all())
    engine.dispose()
    # two chunks committed, the third lost with the process
    assert killed.status == "applying" and killed.applied_rows == 2 * CHUNK
    assert registered_at_kill == 2 * CHUNK

    repeated = import_once(crashed, token_keys.data_key, content)
    assert repeated["status"] == "done"
    assert repeated["registered"] + repeated["confirmed"] == repeated["valid_rows"]
    once = import_once(clean, token_keys.data_key, content)
    assert once["registered"] == repeated["valid_rows"]
    assert state(crashed) == state(clean)

    # The killed import itself, resumed as a restarted registry does, only confirms what is there.
    db = DatabaseHandle(create_database_engine(crashed), threading.Lock())
    resumed = RosterImporter(db, token_keys.data_key, TEST_COUNTY, SETTINGS).apply(
        killed.import_id, CALLER
    )
    assert resumed["status"] == "done" and resumed["registered"] == 2 * CHUNK
    assert state(crashed) == state(clean)


def test_every_person_arrives_in_exactly_one_event_per_change(database_templates, db_backend,
                                                              tmp_path, token_keys):  # fmt: skip
    url = database_templates.copy(db_backend, "registry", tmp_path)
    rows = generate_roster_rows(1200, seed=4)
    import_once(url, token_keys.data_key, roster_bytes(rows, "csv"))
    for index in range(0, 1200, 7):
        rows[index] = dict(rows[index], expected_wage="9999")
    import_once(url, token_keys.data_key, roster_bytes(rows, "csv"))
    published = state(url)["published"]
    registered = [p for p in published if p[0] == "labourer_registered"]
    updated = [p for p in published if p[0] == "labourer_updated"]
    assert len(registered) == len({p[1] for p in registered}) == 1200
    assert len(updated) == len({p[1] for p in updated}) == len(range(0, 1200, 7))
    assert {p[2] for p in updated} == {2}


def test_an_import_that_kills_the_process_at_every_attempt_is_failed_after_three(
    database_templates, db_backend, tmp_path, token_keys
):
    url = database_templates.copy(db_backend, "registry", tmp_path)
    db = DatabaseHandle(create_database_engine(url), threading.Lock())
    importer = RosterImporter(db, token_keys.data_key, TEST_COUNTY, SETTINGS)
    content = roster_bytes(generate_roster_rows(50, seed=22), "csv")
    with db.unit_of_work() as uow:
        roster = importer.read(content, "花名册.csv")
        status = importer.stage(uow, content, "花名册.csv", CALLER, TEST_COUNTY, roster)
        uow.commit()
    import_id = status["import_id"]

    for attempt in (1, 2, 3):
        process = subprocess.Popen(
            [sys.executable, "-c", VALIDATOR, url, str(token_keys.data_key_path), import_id],
            stdout=subprocess.PIPE,
            env=dict(os.environ),
        )
        try:
            assert process.stdout.readline().decode().strip() == "validating"
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        with db.reader() as uow:
            killed = uow.connection.execute(select(roster_imports)).one()
        # counted before the work began, so the attempt the process died in is counted
        assert (killed.status, killed.attempts) == ("validating", attempt)
        assert [i["import_id"] for i in importer.unfinished()] == [import_id]

    state = importer.apply(import_id, CALLER)  # the fourth start of registry
    assert state["status"] == "failed" and state["valid_rows"] == 0
    assert "gave up after 3 attempts" in state["failure"]
    assert "ROSTER_IMPORT_MAX_ATTEMPTS (3)" in state["failure"] and "validating" in state["failure"]
    assert importer.unfinished() == []
