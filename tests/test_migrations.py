"""Each service's migrations build exactly the schema its code declares, on both backends,
and a service refuses to start on a database its migrations have not reached."""

import importlib
import json
import uuid
from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, select, text

from fund.adapters.repository import Books
from registry.adapters.tables import labourers
from sanbao_common.db import create_database_engine
from sanbao_common.migrations import SchemaNotCurrent, check_current, head_revision, upgrade
from sanbao_common.privacy import mask_id_number, mask_phone
from testkit import SERVICES, service_dir


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_tables_the_code_declares(service, databases):
    metadata = importlib.import_module(f"{service}.adapters.tables").metadata
    engine = create_database_engine(databases[service], pool_size=1)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert context.get_current_revision() == head_revision(service_dir(service))
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_migrating_twice_changes_nothing(databases):
    url = databases["registry"]
    upgrade(service_dir("registry"), url)
    check_current(service_dir("registry"), url)


def test_a_database_behind_the_code_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    head = head_revision(service_dir("registry"))
    with pytest.raises(SchemaNotCurrent, match=f"revision none, the code needs {head}"):
        check_current(service_dir("registry"), url)


@pytest.fixture
def empty_database(db_backend, database_templates, tmp_path):
    if db_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return database_templates.create_postgres(f"sanbao_m_{uuid.uuid4().hex[:12]}")


def test_0005_seals_the_id_numbers_and_phones_already_registered(
    empty_database, token_keys, sample
):
    url = empty_database
    upgrade(service_dir("registry"), url, "0004")
    id_number, phone = sample.id_number("532501"), sample.phone()
    engine = create_database_engine(url, pool_size=1)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO labourers (person_id, name, id_number, sex, birth_date, phone, "
                "village_code, registered_at, registered_by, version) VALUES ('p-1', '李秀英', "
                ":id_number, 'female', :born, :phone, '532501001201', :at, 'cli:op', 1)"
            ),
            {"id_number": id_number, "phone": phone, "born": date(1990, 3, 15),
             "at": datetime(2026, 11, 1, tzinfo=UTC)},
        )  # fmt: skip
    # Without the county's data key the migration refuses to run, and says what it needs.
    with pytest.raises(SystemExit, match="DATA_KEY_FILE"):
        upgrade(service_dir("registry"), url)
    upgrade(service_dir("registry"), url, settings={"DATA_KEY_FILE": str(token_keys.data_key_path)})
    key = token_keys.data_key
    try:
        with engine.connect() as connection:
            row = connection.execute(select(labourers)).one()
            dump = " ".join(str(value) for value in row)
    finally:
        engine.dispose()
    assert id_number not in dump and phone not in dump
    assert key.decrypt(row.id_sealed) == id_number and key.decrypt(row.phone_sealed) == phone
    assert row.id_hash == key.lookup_hash(id_number)
    assert row.id_masked == mask_id_number(id_number)
    assert (row.status, row.version, row.skills) == ("active", 1, [])


def test_fund_0004_keeps_the_balances_of_the_postings_already_made(empty_database):
    url = empty_database
    upgrade(service_dir("fund"), url, "0003")
    legs = [
        ("e-1", "cash_principal", 500_000_00, None),
        ("e-1", "principal_received", -500_000_00, None),
        ("e-2", "advances_outstanding", 1_200_00, "batch-1"),
        ("e-2", "cash_principal", -1_200_00, None),
        ("e-3", "advances_outstanding", 800_00, "batch-2"),
        ("e-3", "cash_principal", -800_00, None),
        ("e-4", "expenses", 300_00, None),
        ("e-4", "advances_outstanding", -300_00, "batch-1"),
    ]
    engine = create_database_engine(url, pool_size=1)
    with engine.begin() as connection:
        for entry_id, ledger_account, amount_fen, reference in legs:
            connection.execute(
                text(
                    "INSERT INTO postings (entry_id, account_id, ledger_account, amount_fen, "
                    "reference) VALUES (:entry_id, 'acct-1', :ledger_account, :amount_fen, "
                    ":reference)"
                ),
                {"entry_id": entry_id, "ledger_account": ledger_account,
                 "amount_fen": amount_fen, "reference": reference},
            )  # fmt: skip
    upgrade(service_dir("fund"), url)
    try:
        with engine.connect() as connection:
            books = Books(connection)
            assert books.kept_balances("acct-1") == books.balances_from_postings("acct-1")
            assert books.balances("acct-1") == {
                "cash_principal": 498_000_00,
                "principal_received": -500_000_00,
                "advances_outstanding": 1_700_00,
                "expenses": 300_00,
            }
            assert books.outstanding_advances("acct-1") == {"batch-1": 900_00, "batch-2": 800_00}
    finally:
        engine.dispose()


def test_fund_0006_binds_the_entries_already_posted_into_the_audit_chain(empty_database):
    """Books kept before journal entries were bound (audit records without a `journal`): the
    migration appends one record binding them all, so verify holds and then sees an edit."""
    from fund.audit_trail import verify
    from fund.domain.audit import GENESIS, AuditRecord, chain_hash
    from sanbao_common.crypto import new_signing_key, public_key_text

    url = empty_database
    upgrade(service_dir("fund"), url, "0005")
    entries = [
        ("e-1", "inflow:principal_deposit", "ICBC-1",
         [("cash_principal", 500_000_00, None), ("principal_received", -500_000_00, None)]),
        ("e-2", "outflow:advance", "p-1",
         [("advances_outstanding", 1_200_00, "batch-1"), ("cash_principal", -1_200_00, None)]),
    ]  # fmt: skip
    engine = create_database_engine(url, pool_size=1)
    with engine.begin() as connection:
        prev = GENESIS
        for seq, (entry_id, kind, source, legs) in enumerate(entries, start=1):
            connection.execute(
                text(
                    "INSERT INTO journal_entries (entry_id, account_id, kind, source, created_at, "
                    "created_by) VALUES (:entry_id, 'acct-1', :kind, :source, :at, 'user:li')"
                ),
                {"entry_id": entry_id, "kind": kind, "source": source,
                 "at": datetime(2026, 3, 1, tzinfo=UTC)},
            )  # fmt: skip
            for ledger_account, amount_fen, reference in legs:
                connection.execute(
                    text(
                        "INSERT INTO postings (entry_id, account_id, ledger_account, amount_fen, "
                        "reference) VALUES (:entry_id, 'acct-1', :ledger_account, :amount_fen, "
                        ":reference)"
                    ),
                    {"entry_id": entry_id, "ledger_account": ledger_account,
                     "amount_fen": amount_fen, "reference": reference},
                )  # fmt: skip
            record = AuditRecord(
                seq, f"2026-03-01T0{seq}:00:00+00:00", "user:li", kind, "acct-1",
                {"entry_id": entry_id, "note": "旧账"}, prev,
            )  # fmt: skip
            prev = chain_hash(record)
            connection.execute(
                text(
                    "INSERT INTO audit_log (seq, at, actor, command, account_id, detail, "
                    "prev_hash, hash) VALUES (:seq, :at, :actor, :command, :account_id, "
                    ":detail, :prev_hash, :hash)"
                ),
                dict(record.body(), detail=json.dumps(record.detail, ensure_ascii=False),
                     hash=prev),
            )  # fmt: skip
    upgrade(service_dir("fund"), url)
    public_key = public_key_text(new_signing_key())
    try:
        with engine.connect() as connection:
            books = Books(connection)
            records = books.audit_records()
            bound = records[-1]
            assert [r.command for r in records][2:] == ["bind_journal"]
            assert (bound.actor, bound.prev_hash) == ("system:migration", records[1].hash)
            assert bound.detail["journal"][1] == {
                "entry_id": "e-2", "account_id": "acct-1", "kind": "outflow:advance",
                "source": "p-1", "reverses": None,
                "postings": [["advances_outstanding", 1_200_00, "batch-1"],
                             ["cash_principal", -1_200_00, None]],
            }  # fmt: skip
            report = verify(books, [], public_key, "532501")
            assert report["ok"] and report["records"] == 3, report
        with engine.begin() as connection:  # 200.00 less advanced, 200.00 more cash
            connection.execute(
                text(
                    "UPDATE postings SET amount_fen = CASE WHEN amount_fen > 0 THEN "
                    "amount_fen - 20000 ELSE amount_fen + 20000 END WHERE entry_id = 'e-2'"
                )
            )
        with engine.connect() as connection:
            report = verify(Books(connection), [], public_key, "532501")
            assert report["first_break"] == (
                "journal entry e-2 differs from the audit chain (record 3)"
            )
    finally:
        engine.dispose()


def test_registry_0008_keeps_existing_seals_pending_and_remembers_who_certified(empty_database):
    """A seal registered before registrars existed counts for nothing new until one confirms it;
    the keys it certified remember it, so `sanbao seal audit` can name them."""
    url = empty_database
    upgrade(service_dir("registry"), url, "0007")
    at = datetime(2026, 11, 1, tzinfo=UTC)
    engine = create_database_engine(url, pool_size=1)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO seals (org_id, fingerprint, public_key, proof, registered_at, "
                "registered_by) VALUES ('org-hr', 'aaaa bbbb', 'cGs=', '{}', :at, 'user:admin')"
            ),
            {"at": at},
        )
        connection.execute(
            text(
                "INSERT INTO signing_keys (fingerprint, org_id, user_id, public_key, certificate, "
                "enrolled_at, enrolled_by) VALUES ('cccc dddd', 'org-hr', 'u-1', 'cGs=', '{}', "
                ":at, 'user:admin')"
            ),
            {"at": at},
        )
    upgrade(service_dir("registry"), url)
    try:
        with engine.connect() as connection:
            seal = connection.execute(text("SELECT org_id, status FROM seals")).one()
            key = connection.execute(text("SELECT seal_fingerprint FROM signing_keys")).one()
    finally:
        engine.dispose()
    assert tuple(seal) == ("org-hr", "pending")
    assert key.seal_fingerprint == "aaaa bbbb"


def _insert(connection, table_name: str, **values) -> None:
    table = Table(table_name, MetaData(), autoload_with=connection)
    connection.execute(table.insert(), values)


def test_registry_0009_remasks_and_scrubs_birth_dates_from_every_stored_copy(
    empty_database, sample
):
    """What a copy of registry's database showed before (the birth date beside the masked form,
    in the labourers table, in events kept for 30 days and in stored replies, the roster files)
    is gone after the upgrade; the birth year stays."""
    url = empty_database
    upgrade(service_dir("registry"), url, "0008")
    id_number, phone = sample.id_number("532501", birth_year_range=(1990, 1990)), sample.phone()
    born = id_number[6:10] + "-" + id_number[10:12] + "-" + id_number[12:14]
    old_id_mask, old_phone_mask = (
        id_number[:6] + "********" + id_number[-4:],
        phone[:3] + "****" + phone[-4:],
    )
    old_person = {"person_id": "p-1", "id_number_masked": old_id_mask,
                  "phone_masked": old_phone_mask, "birth_date": born, "sex": "male"}  # fmt: skip
    at = datetime(2026, 11, 1, tzinfo=UTC)
    engine = create_database_engine(url, pool_size=1)
    with engine.begin() as connection:
        _insert(connection, "labourers", person_id="p-1", name="李建国", id_hash="h", id_sealed="s",
                id_masked=old_id_mask, sex="male", birth_date=date.fromisoformat(born),
                phone_sealed="s", phone_masked=old_phone_mask, village_code="532501001201",
                status="active", skills=[], intention_regions=[], intention_industries=[],
                training_intention=[], confirmed_at=at, confirmed_by="user:admin",
                registered_at=at, registered_by="user:admin", version=1)  # fmt: skip
        _insert(connection, "people_history", record_kind="labourer", record_id="p-1",
                field="phone", before=old_phone_mask, after="139****0000", changed_at=at,
                changed_by="user:admin", source="rpc")  # fmt: skip
        body = {"type": "labourer_registered", "payload": {"people": [old_person]}}
        _insert(connection, "outbox", event_id=str(uuid.uuid4()), event_type="labourer_registered",
                body=json.dumps(body), created_at=at)  # fmt: skip
        _insert(connection, "idempotency_keys", key="k-1", method="register_labourer",
                request_sha256="0" * 64, response=json.dumps(dict(old_person, name="李建国")),
                created_at=at)  # fmt: skip
        for import_id, status in (("i-done", "done"), ("i-running", "applying")):
            _insert(connection, "roster_imports", import_id=import_id, filename="花名册.csv",
                    content=id_number.encode(), content_sha256="0" * 64, status=status,
                    total_rows=1, valid_rows=1, applied_rows=0, registered=0, updated=0,
                    confirmed=0, started_at=at, started_by="user:admin",
                    scope="532501")  # fmt: skip
    upgrade(service_dir("registry"), url)
    try:
        with engine.connect() as connection:
            person = connection.execute(text("SELECT * FROM labourers")).one()._mapping
            history = Table("people_history", MetaData(), autoload_with=connection)
            entry = connection.execute(select(history.c.before, history.c.after)).one()
            stored_body = connection.execute(text("SELECT body FROM outbox")).scalar_one()
            reply = connection.execute(text("SELECT response FROM idempotency_keys")).scalar_one()
            files = dict(
                connection.execute(text("SELECT import_id, content FROM roster_imports")).all()
            )
            everything = " ".join(
                str(value)
                for table in ("labourers", "people_history", "outbox", "idempotency_keys")
                for row in connection.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
                for value in row
            )
    finally:
        engine.dispose()
    assert "birth_date" not in person and person["birth_year"] == 1990
    assert (person["id_masked"], person["phone_masked"]) == (
        mask_id_number(id_number),
        mask_phone(phone),
    )
    assert list(entry) == [
        mask_phone(phone),
        "139********",
    ]
    (scrubbed,) = json.loads(stored_body)["payload"]["people"]
    assert scrubbed == {
        "person_id": "p-1", "id_number_masked": mask_id_number(id_number),
        "phone_masked": mask_phone(phone), "birth_year": 1990, "sex": "male",
    }  # fmt: skip
    assert json.loads(reply)["birth_year"] == 1990 and "birth_date" not in json.loads(reply)
    for secret in (born, born.replace("-", ""), old_id_mask, old_phone_mask):
        assert secret not in everything
    assert bytes(files["i-done"]) == b"" and bytes(files["i-running"]) == id_number.encode()


def test_dispatch_0004_keeps_the_birth_year_of_the_pool_and_remasks(empty_database, sample):
    url = empty_database
    upgrade(service_dir("dispatch"), url, "0003")
    id_number = sample.id_number("532501", birth_year_range=(1985, 1985))
    engine = create_database_engine(url, pool_size=1)
    with engine.begin() as connection:
        _insert(connection, "candidates", person_id="p-1", name="王芳",
                id_number_masked=id_number[:6] + "********" + id_number[-4:], sex="female",
                birth_date=date(1985, 6, 1), village_code="532501001201", poor=True,
                willing_to_go=True, skills=[], intention_regions=[], status="active", version=1,
                events_applied=1, updated_at=datetime(2026, 11, 1, tzinfo=UTC))  # fmt: skip
    upgrade(service_dir("dispatch"), url)
    try:
        with engine.connect() as connection:
            row = connection.execute(text("SELECT * FROM candidates")).one()._mapping
    finally:
        engine.dispose()
    assert "birth_date" not in row and row["birth_year"] == 1985
    assert row["id_number_masked"] == mask_id_number(id_number)


def test_registry_0015_derives_the_intention_scope_where_the_places_are_known(empty_database):
    """People registered before scopes existed get the scope their stored regions name (the
    farthest, seen from their own county); a place the gazetteer does not know, or 无 beside a
    place, is not guessed at; regions saying only 无 stay unanswered, since "none" would make
    them unwilling in registry but not in dispatch, which no event tells. The downgrade drops
    the column and keeps the regions."""
    from alembic import command

    from sanbao_common.migrations import alembic_config

    url = empty_database
    upgrade(service_dir("registry"), url, "0014")
    regions = {
        "p-far": ["蒙自市", "广东省"], "p-prefecture": ["开远"], "p-county": ["个旧市"],
        "p-province": ["昆明"], "p-word": ["省外"], "p-none": ["无"], "p-unknown": ["不限"],
        "p-both": ["无", "广东"], "p-empty": [],
    }  # fmt: skip
    at = datetime(2026, 11, 1, tzinfo=UTC)
    engine = create_database_engine(url, pool_size=1)
    with engine.begin() as connection:
        for person_id, items in regions.items():
            _insert(connection, "labourers", person_id=person_id, name="李建国", id_hash=person_id,
                    id_sealed="s", id_masked="m", sex="male", birth_year=1990,
                    village_code="532501001201", status="active", skills=[],
                    intention_regions=items, intention_industries=[], training_intention=[],
                    confirmed_at=at, confirmed_by="user:admin", registered_at=at,
                    registered_by="user:admin", version=1)  # fmt: skip
    upgrade(service_dir("registry"), url, "0015")
    try:
        with engine.connect() as connection:
            found = dict(
                connection.execute(text("SELECT person_id, intention_scope FROM labourers")).all()
            )
        assert found == {
            "p-far": "outside_province", "p-prefecture": "in_prefecture", "p-county": "in_county",
            "p-province": "in_province", "p-word": "outside_province", "p-none": None,
            "p-unknown": None, "p-both": None, "p-empty": None,
        }  # fmt: skip
        command.downgrade(alembic_config(service_dir("registry"), url), "0014")
        with engine.connect() as connection:
            table = Table("labourers", MetaData(), autoload_with=connection)
            query = select(table.c.person_id, table.c.intention_regions)
            kept = dict(connection.execute(query).all())
        assert "intention_scope" not in table.c
        assert {k: json.loads(v) if isinstance(v, str) else v for k, v in kept.items()} == regions
    finally:
        engine.dispose()


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def test_registry_0017_keeps_the_counts_and_refused_rows_of_imports_made_before(empty_database):
    """Imports recorded before the summary get its counts from what they stored (rows not valid
    were refused while validating; rows applied but neither registered, updated nor confirmed,
    while applying); their refused rows stay, under no sheet. After it, two sheets may refuse
    the same row number; the downgrade keeps one of them."""
    from alembic import command

    from sanbao_common.migrations import alembic_config

    url = empty_database
    upgrade(service_dir("registry"), url, "0016")
    at = datetime(2026, 11, 1, tzinfo=UTC)
    engine = create_database_engine(url, pool_size=1)
    imports = {  # import id: status, total, valid, applied, registered, updated, confirmed
        "i-done": ("done", 226, 201, 201, 150, 20, 13),
        "i-applying": ("applying", 50, 40, 20, 18, 0, 0),
        "i-validating": ("validating", 30, 0, 0, 0, 0, 0),
    }
    with engine.begin() as connection:
        for import_id, (status, *numbers) in imports.items():
            counts = dict(zip(("total_rows", "valid_rows", "applied_rows", "registered",
                               "updated", "confirmed"), numbers, strict=True))  # fmt: skip
            _insert(connection, "roster_imports", import_id=import_id, filename="花名册.csv",
                    content=b"", content_sha256="0" * 64, status=status, started_at=at,
                    started_by="user:admin", scope="532501", attempts=1, **counts)  # fmt: skip
        _insert(connection, "roster_import_errors", import_id="i-done", row_number=7,
                column="id_number", reason="身份证号校验码错误")  # fmt: skip
    upgrade(service_dir("registry"), url, "0017")
    try:
        with engine.begin() as connection:
            query = text(
                "SELECT import_id, validated_rows, refused_validating, refused_applying,"
                " held_conflicts, ignored_columns, township FROM roster_imports"
            )
            found = {row[0]: tuple(row[1:]) for row in connection.execute(query)}
            errors = connection.execute(text("SELECT * FROM roster_import_errors")).all()
            _insert(connection, "roster_import_errors", import_id="i-done", sheet="二组",
                    row_number=7, column="id_number", reason="与一组第7行重复")  # fmt: skip
        assert {k: (*v[:4], _json(v[4]), v[5]) for k, v in found.items()} == {
            "i-done": (226, 25, 18, 0, [], None),
            "i-applying": (50, 10, 2, 0, [], None),
            "i-validating": (0, 0, 0, 0, [], None),
        }
        assert [(e.sheet, e.row_number, e.reason) for e in errors] == [
            ("", 7, "身份证号校验码错误")
        ]
        command.downgrade(alembic_config(service_dir("registry"), url), "0016")
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT * FROM roster_import_errors")).all()
            table = Table("roster_imports", MetaData(), autoload_with=connection)
        assert [(e.row_number, e.reason) for e in kept] == [(7, "身份证号校验码错误")]
        assert "refused_applying" not in table.c
    finally:
        engine.dispose()
