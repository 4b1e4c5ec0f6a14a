"""Each service's migrations build exactly the schema its code declares, on both backends,
and a service refuses to start on a database its migrations have not reached."""

import importlib
import json
import uuid
from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text

from fund.adapters.repository import Books
from registry.adapters.tables import labourers
from sanbao_common.db import create_database_engine
from sanbao_common.migrations import SchemaNotCurrent, check_current, head_revision, upgrade
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
    with pytest.raises(SchemaNotCurrent, match="revision none, the code needs 0008"):
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
    assert row.id_masked == id_number[:6] + "********" + id_number[-4:]
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
    from fund.domain.audit import GENESIS, AuditRecord, chain_hash
    from fund.handlers import verify
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
