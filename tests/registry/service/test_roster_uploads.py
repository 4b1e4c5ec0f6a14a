"""A roster file sent in parts (`upload_roster_part`) and imported whole, on both databases:
the parts make exactly the file the client hashed, they belong to their sender alone, they are
sealed while they wait and gone once imported, and nobody can fill the database with them.

From the attacker's side: a second operator of the same area who learns an upload id, and a
copy of the database taken while a county's roster is on its way in."""

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from registry.adapters.tables import roster_imports, roster_upload_parts
from registry.exceptions import RosterUploadRejected
from registry.rosters import uploads
from registry_contract.rosters import ROSTER_PART_BYTES
from sanbao_common.errors import InvalidInput
from sanbao_common.sample_rosters import generate_roster_rows, roster_bytes
from testkit import principal


@pytest.fixture
def operator(registry_worker):
    return registry_worker(principal(["coop_operator"], scope="532501"), actor="user:li.op")


@pytest.fixture
def neighbour(registry_worker):
    """Another operator of the same county: the same rights, another person."""
    return registry_worker(principal(["coop_operator"], scope="532501"), actor="user:wang.op")


def key() -> str:
    return uuid.uuid4().hex


def roster(rows=40) -> bytes:
    return roster_bytes(generate_roster_rows(rows, seed=7), "csv")


def send(service, upload_id: str, data: bytes, size: int) -> str:
    for number, start in enumerate(range(0, len(data), size)):
        part = base64.b64encode(data[start : start + size]).decode()
        service.upload_roster_part(upload_id, number, part)
    return hashlib.sha256(data).hexdigest()


def part_count(db) -> int:
    with db.reader() as uow:
        return uow.connection.execute(
            select(func.count()).select_from(roster_upload_parts)
        ).scalar_one()


def test_a_file_sent_in_parts_imports_like_the_file_and_its_parts_are_gone(operator, db):
    data = roster()
    upload_id = f"{key()}.upload"
    sha256 = send(operator, upload_id, data, size=len(data) // 3 + 1)
    assert part_count(db) == 3
    status = operator.start_roster_import("花名册.csv", None, key(), upload_id=upload_id,
                                          sha256=sha256)  # fmt: skip
    done = operator.roster_import_status(status["import_id"])
    assert (done["status"], done["total_rows"], done["refused_rows"]) == ("done", 40, 0)
    assert part_count(db) == 0
    with db.reader() as uow:
        kept = uow.connection.execute(select(roster_imports.c.content_sha256)).scalar_one()
    assert kept == sha256


def test_parts_that_do_not_make_the_named_file_are_refused(operator, db):
    data = roster()
    upload_id = f"{key()}.upload"
    half = len(data) // 2
    operator.upload_roster_part(upload_id, 0, base64.b64encode(data[:half]).decode())
    operator.upload_roster_part(upload_id, 2, base64.b64encode(data[half:]).decode())
    sha256 = hashlib.sha256(data).hexdigest()
    with pytest.raises(RosterUploadRejected, match=r"parts \[1\] are missing"):
        operator.start_roster_import("花名册.csv", None, key(), upload_id=upload_id, sha256=sha256)
    # The same part again with the same bytes changes nothing; with other bytes it is refused.
    operator.upload_roster_part(upload_id, 0, base64.b64encode(data[:half]).decode())
    with pytest.raises(RosterUploadRejected, match="other content"):
        operator.upload_roster_part(upload_id, 0, base64.b64encode(data[1 : half + 1]).decode())
    operator.upload_roster_part(upload_id, 1, "QQ==")  # a part 1 that is not the file's
    with pytest.raises(RosterUploadRejected, match="SHA-256"):
        operator.start_roster_import("花名册.csv", None, key(), upload_id=upload_id, sha256=sha256)
    with db.reader() as uow:
        staged = uow.connection.execute(select(func.count()).select_from(roster_imports))
        assert staged.scalar_one() == 0


def test_another_operator_can_neither_add_to_nor_import_an_upload(operator, neighbour, db):
    data = roster()
    upload_id = f"{key()}.upload"
    sha256 = send(operator, upload_id, data, size=len(data) // 2 + 1)
    with pytest.raises(RosterUploadRejected, match="another person's"):
        neighbour.upload_roster_part(upload_id, 2, base64.b64encode(b"name,id\n").decode())
    with pytest.raises(RosterUploadRejected, match="no upload of yours"):
        neighbour.start_roster_import("花名册.csv", None, key(), upload_id=upload_id, sha256=sha256)
    assert part_count(db) == 2  # the owner's upload is untouched, and still theirs to import
    status = operator.start_roster_import("花名册.csv", None, key(), upload_id=upload_id,
                                          sha256=sha256)  # fmt: skip
    assert operator.roster_import_status(status["import_id"])["status"] == "done"


def test_a_copy_of_the_database_holds_no_id_number_or_phone_of_a_file_on_its_way_in(operator, db):
    rows = generate_roster_rows(20, seed=11)
    data = roster_bytes(rows, "csv")
    send(operator, f"{key()}.upload", data, size=len(data) // 2 + 1)
    with db.reader() as uow:
        stored = b"".join(uow.connection.execute(
            select(roster_upload_parts.c.content_sealed)).scalars())  # fmt: skip
    for row in rows:
        assert row["id_number"].encode() not in stored
        if row.get("phone"):
            assert row["phone"].encode() not in stored


def test_nobody_fills_the_database_with_parts(operator, db):
    big = b"x" * (ROSTER_PART_BYTES + 1)
    with pytest.raises(InvalidInput, match="in parts"):
        operator.upload_roster_part(f"{key()}.upload", 0, base64.b64encode(big).decode())
    with pytest.raises(InvalidInput, match="in parts"):
        operator.start_roster_import("花名册.csv", base64.b64encode(big).decode(), key())
    with pytest.raises(RosterUploadRejected, match="part number"):
        operator.upload_roster_part(f"{key()}.upload", 10_000, "QQ==")
    for _ in range(uploads.MAX_OPEN_UPLOADS):
        operator.upload_roster_part(f"{key()}.upload", 0, "QQ==")
    with pytest.raises(RosterUploadRejected, match="uploads open"):
        operator.upload_roster_part(f"{key()}.upload", 0, "QQ==")
    # A day later the abandoned ones are gone, pruned by the next part anyone sends.
    later = datetime.now(UTC) + uploads.KEEP_FOR + timedelta(minutes=1)
    with db.unit_of_work() as uow:
        uploads.store_part(uow.connection, _key(operator), f"{key()}.upload", 0, b"A",
                           "user:li.op", later)  # fmt: skip
        uow.commit()
    assert part_count(db) == 1


def test_a_total_over_the_file_limit_is_refused(operator, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ROSTER_BYTES", 3)
    upload_id = f"{key()}.upload"
    operator.upload_roster_part(upload_id, 0, base64.b64encode(b"ab").decode())
    with pytest.raises(RosterUploadRejected, match="at most 3 bytes"):
        operator.upload_roster_part(upload_id, 1, base64.b64encode(b"cd").decode())


def _key(service):
    return service.data_key


def test_a_staged_roster_is_sealed_until_its_import_ends_and_then_gone(
    db, token_keys, registry_settings
):
    """A copy of the database taken between staging and the end of the import (a registry
    that died mid-import keeps the file to resume) holds no ID number or phone of it."""
    from registry.rosters.use_cases import RosterImporter
    from sanbao_common.context import Caller

    rows = generate_roster_rows(20, seed=13)
    data = roster_bytes(rows, "csv")
    importer = RosterImporter(db, token_keys.data_key, "532501", registry_settings)
    caller = Caller("532501", "user:li.op", "corr")
    with db.unit_of_work() as uow:
        staged = importer.stage(uow, data, "花名册.csv", caller, "532501", importer.read(data, "x"))
        uow.commit()
    with db.reader() as uow:
        content = bytes(uow.connection.execute(select(roster_imports.c.content)).scalar_one())
    for row in rows:
        assert row["id_number"].encode() not in content
    # Resumed without the roster in hand (as after a restart): the sealed file is read back.
    done = importer.apply(staged["import_id"], caller)
    assert (done["status"], done["total_rows"]) == ("done", 20)
    with db.reader() as uow:
        assert bytes(uow.connection.execute(select(roster_imports.c.content)).scalar_one()) == b""
