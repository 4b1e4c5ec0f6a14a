"""Roster limits through RegistryService's entrypoints, on both databases: a hostile file is
refused whole naming its limit while registry goes on answering (the file is read in a child
process, outside any transaction); a retry is answered without reading the file again; an import
no attempt of which finished, or whose file a limit now refuses, is failed, saying why."""

import base64
import os
import signal
import uuid
from types import SimpleNamespace

import eventlet
import pytest
from eventlet import tpool
from nameko.testing.services import worker_factory
from sqlalchemy import func, select, update

from registry.adapters.tables import labourers, roster_imports
from registry.exceptions import RosterRefused
from registry.rosters import sandbox, use_cases
from registry.rosters.background import RosterImports
from registry.rosters.hostile_samples import HOSTILE
from registry.rosters.use_cases import RosterImporter
from registry.service import RegistryService
from registry_contract.rosters import ROSTER_PART_BYTES
from sanbao_cli.commands.rosters import upload_parts
from sanbao_common.context import Caller
from sanbao_common.sample_rosters import generate_roster_rows, roster_bytes
from testkit import TEST_COUNTY, fake_access, principal

CALLER = Caller(TEST_COUNTY, "cli:tester", "corr-1")
VILLAGE = "532501001201"


class Imports:
    """The roster importer as the service has it: reading and validating on a native thread
    (`tpool`), applying before returning, so a test sees the end state."""

    def __init__(self, db, key, settings):
        self.db, self.key, self.settings = db, key, settings

    def importer(self) -> RosterImporter:
        return RosterImporter(self.db, self.key, TEST_COUNTY, self.settings, offload=tpool.execute)

    def apply_in_background(self, import_id, caller, roster=None):
        self.importer().apply(import_id, caller, roster)


@pytest.fixture
def operator(db, token_keys, registry_settings):
    return worker_factory(
        RegistryService,
        db=db,
        context=SimpleNamespace(caller=lambda: CALLER),
        access=fake_access(principal(["coop_operator"], scope=TEST_COUNTY)),
        data_key=token_keys.data_key,
        roster_imports=Imports(db, token_keys.data_key, registry_settings),
    )


def start(service, content: bytes, key: str | None = None, filename="花名册.xlsx") -> dict:
    """As `sanbao roster import` sends it: whole if it fits one part, else in parts."""
    key = key or uuid.uuid4().hex
    if len(content) <= ROSTER_PART_BYTES:
        return service.start_roster_import(filename, base64.b64encode(content).decode(), key)
    upload_id = f"{key}.upload"
    sha256 = upload_parts(lambda method, *args: getattr(service, method)(*args), upload_id, content)
    return service.start_roster_import(filename, None, key, upload_id=upload_id, sha256=sha256)


def count(db, table) -> int:
    with db.reader() as uow:
        return uow.connection.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.mark.parametrize("name", ["zip_bomb", "many_columns_csv", "huge_attribute", "lying_size"])
def test_a_hostile_file_is_refused_whole_naming_its_limit(operator, db, name):
    build, code = HOSTILE[name]
    with pytest.raises(RosterRefused, match=rf"\({code}\)"):
        start(operator, build())
    assert count(db, roster_imports) == 0


def test_registry_answers_other_calls_while_a_hostile_file_is_read(operator, db, monkeypatch):
    """The reading child is stopped as soon as it starts, so the file is being read for as long
    as the test wants: meanwhile registry answers a query and writes (no transaction is open
    while a file is read, so SQLite's one writer is free)."""
    children = []
    spawn = os.posix_spawn

    def spawn_stopped(*args, **kwargs):
        pid = spawn(*args, **kwargs)
        os.kill(pid, signal.SIGSTOP)
        children.append(pid)
        return pid

    monkeypatch.setattr(sandbox.os, "posix_spawn", spawn_stopped)
    reading = eventlet.spawn(start, operator, HOSTILE["zip_bomb"][0]())
    while not children:
        eventlet.sleep(0.01)
    try:
        assert operator.health()["status"] == "ok"
        someone = {"name": "普文华", "id_number": "532501199507020212", "village_code": VILLAGE}
        registered = operator.register_labourer(someone, uuid.uuid4().hex)
        assert operator.get_labourer(registered["person_id"])["name"] == "普文华"
        assert not reading.dead  # the hostile file is still being read
    finally:
        os.kill(children[0], signal.SIGCONT)
    with pytest.raises(RosterRefused, match=r"\(COMPRESSION_RATIO\)"):
        reading.wait()
    assert count(db, roster_imports) == 0 and count(db, labourers) == 1


def test_a_retry_is_answered_without_reading_the_file_again(operator, monkeypatch):
    reads = []
    read = use_cases.read_in_child

    def counted(*args, **kwargs):
        reads.append(args[1])
        return read(*args, **kwargs)

    monkeypatch.setattr(use_cases, "read_in_child", counted)
    content, key = roster_bytes(generate_roster_rows(20, seed=31), "csv"), uuid.uuid4().hex
    first = start(operator, content, key, "r.csv")
    assert start(operator, content, key, "r.csv") == first
    assert reads == ["r.csv"]
    assert operator.roster_import_status(first["import_id"])["status"] == "done"


def staged(db, importer: RosterImporter, rows: int) -> str:
    content = roster_bytes(generate_roster_rows(rows, seed=32), "csv")
    with db.unit_of_work() as uow:
        roster = importer.read(content, "r.csv")
        status = importer.stage(uow, content, "r.csv", CALLER, TEST_COUNTY, roster)
        uow.commit()
    return status["import_id"]


def test_an_import_no_attempt_of_which_finished_is_failed_not_resumed(
    db, token_keys, registry_settings
):
    importer = RosterImporter(db, token_keys.data_key, TEST_COUNTY, registry_settings)
    import_id = staged(db, importer, 10)
    with db.unit_of_work() as uow:  # three starts, each of which the process died in
        uow.connection.execute(update(roster_imports).values(attempts=3))
        uow.commit()
    assert [i["import_id"] for i in importer.unfinished()] == [import_id]

    state = importer.apply(import_id, CALLER)
    assert state["status"] == "failed" and state["registered"] == 0
    assert "gave up after 3 attempts" in state["failure"]
    assert "ROSTER_IMPORT_MAX_ATTEMPTS (3)" in state["failure"]
    assert importer.unfinished() == []
    with db.reader() as uow:
        row = uow.connection.execute(select(roster_imports)).one()
    assert row.attempts == 4 and row.content == b""  # the file is not kept


def test_an_attempt_is_counted_before_its_work_and_a_finished_import_is_not_attempted_again(
    db, token_keys, registry_settings
):
    importer = RosterImporter(db, token_keys.data_key, TEST_COUNTY, registry_settings)
    import_id = staged(db, importer, 10)
    assert importer.apply(import_id, CALLER)["status"] == "done"
    assert importer.apply(import_id, CALLER)["status"] == "done"
    with db.reader() as uow:
        assert uow.connection.execute(select(roster_imports.c.attempts)).scalar_one() == 1


def test_a_resumed_import_whose_file_a_limit_now_refuses_is_failed_naming_the_limit(
    db, token_keys, registry_settings
):
    importer = RosterImporter(db, token_keys.data_key, TEST_COUNTY, registry_settings)
    import_id = staged(db, importer, 10)
    tighter = RosterImporter(
        db, token_keys.data_key, TEST_COUNTY, {**registry_settings, "ROSTER_MAX_ROWS": 5}
    )
    background = RosterImports()  # as registry resumes an import when it starts
    background._applying = set()
    background.container = SimpleNamespace(spawn_managed_thread=lambda run, identifier: run())
    background.importer = lambda: tighter
    background.apply_in_background(import_id, CALLER)

    state = importer.status(import_id)
    assert state["status"] == "failed"
    assert "(TOO_MANY_ROWS)" in state["failure"] and "ROSTER_MAX_ROWS" in state["failure"]
