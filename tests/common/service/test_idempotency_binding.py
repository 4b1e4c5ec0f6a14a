"""Idempotency keys bound to their caller (issue 13, item 5), on both backends: the kit's
`run_command` answers a stored reply to the caller who stored it only, refuses everyone else
alike whatever they send, keeps what `stored=` makes of a reply, and answers nobody with a key
stored before keys were bound; the fund uses it so, and its migration binds old keys to no one."""

import json
import threading
import uuid
from datetime import UTC, datetime

import eventlet
import pytest
from sqlalchemy import MetaData, Table, select, text

from fund_support import Fund
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.errors import DomainError
from sanbao_common.messaging.idempotency import (
    IdempotencyKeyConflict,
    IdempotencyKeyReused,
    run_command,
)
from sanbao_common.messaging.schema_v2 import UNBOUND_CALLER
from sanbao_common.messaging.tables import idempotency_table
from sanbao_common.migrations import upgrade
from testkit import service_dir

metadata = MetaData()
keys = idempotency_table(metadata)


@pytest.fixture
def handle(databases):
    """A database with the kit's idempotency table (notify has none of its own)."""
    engine = create_database_engine(databases["notify"], pool_size=10)
    metadata.create_all(engine)
    yield DatabaseHandle(engine, threading.Lock())
    engine.dispose()


class Command:
    """A command that counts its runs and answers with a secret of its first caller's."""

    def __init__(self):
        self.runs = 0

    def __call__(self, uow):
        self.runs += 1
        return {"user_id": "u-1", "one_time_password": "s3cret-of-the-first-caller"}


def run(handle, caller, request=None, key="key-of-admin-1", command=None, stored=None):
    command = command or Command()
    return run_command(
        handle, "test", "create_user", key, request or {"username": "li.op"}, command,
        caller=caller, stored=stored,
    )  # fmt: skip


def test_a_retry_by_the_same_caller_gets_the_stored_reply_and_runs_nothing(handle):
    command = Command()
    first = run(handle, "user:admin", command=command)
    assert run(handle, "user:admin", command=command) == first and command.runs == 1
    with pytest.raises(IdempotencyKeyReused):
        run(handle, "user:admin", request={"username": "other"}, command=command)


def test_another_caller_gets_the_same_refusal_whatever_they_send(handle):
    run(handle, "user:admin")
    command = Command()
    refusals = []
    for request in ({"username": "li.op"}, {"username": "a guess"}):
        with pytest.raises(IdempotencyKeyConflict) as refused:
            run(handle, "user:intruder", request=request, command=command)
        refusals.append(str(refused.value))
    assert command.runs == 0 and len(set(refusals)) == 1
    assert "u-1" not in refusals[0] and "s3cret" not in refusals[0]


def test_what_stored_makes_of_a_reply_is_all_that_is_kept(handle):
    def without_password(reply):
        return {"user_id": reply["user_id"], "password_shown": False}

    first = run(handle, "user:admin", stored=without_password)
    assert first["one_time_password"] == "s3cret-of-the-first-caller"
    assert run(handle, "user:admin", stored=without_password) == {
        "user_id": "u-1",
        "password_shown": False,
    }
    with handle.reader() as uow:
        kept = uow.connection.execute(select(keys.c.caller, keys.c.response)).one()
    assert kept.caller == "user:admin" and "s3cret" not in kept.response


def test_a_key_stored_before_keys_were_bound_answers_nobody(handle):
    with handle.unit_of_work() as uow:
        uow.connection.execute(
            keys.insert().values(
                key="key-of-admin-1", method="create_user", request_sha256="0" * 64,
                response=json.dumps({"one_time_password": "old"}), created_at=datetime.now(UTC),
                caller=UNBOUND_CALLER,
            )
        )  # fmt: skip
        uow.commit()
    for caller in ("user:admin", "anonymous", "system:registry"):
        with pytest.raises(IdempotencyKeyConflict):
            run(handle, caller)


def test_two_callers_racing_with_one_key_one_runs_the_other_is_refused(handle):
    def attempt(caller):
        try:
            return run(handle, caller)["user_id"]
        except DomainError as exc:
            return exc.code

    threads = [eventlet.spawn(attempt, c) for c in ("user:admin", "user:intruder")]
    assert sorted(t.wait() for t in threads) == ["IDEMPOTENCY_KEY_CONFLICT", "u-1"]


@pytest.fixture
def fund(databases):
    engine = create_database_engine(databases["fund"])
    yield Fund(engine)
    engine.dispose()


def test_the_fund_answers_a_stored_reply_to_its_own_caller_only(fund):
    account = fund.open_account()
    inflow = {"kind": "principal_deposit", "amount": "100000.00", "bank_ref": "ICBC-0001"}
    same_key = uuid.uuid4().hex
    recorded = fund.as_(["finance"], user="li.fin").record_inflow(account, inflow, same_key)
    with pytest.raises(IdempotencyKeyConflict) as refused:
        fund.as_(["finance"], user="li2.fin").record_inflow(account, inflow, same_key)
    assert recorded["entry_id"] not in str(refused.value)
    again = fund.as_(["finance"], user="li.fin").record_inflow(account, inflow, same_key)
    assert again["entry_id"] == recorded["entry_id"]


@pytest.fixture
def empty_database(db_backend, database_templates, tmp_path):
    if db_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return database_templates.create_postgres(f"sanbao_m_{uuid.uuid4().hex[:12]}")


def test_fund_0008_binds_the_keys_already_stored_to_no_caller(empty_database):
    url = empty_database
    upgrade(service_dir("fund"), url, "0007")
    engine = create_database_engine(url, pool_size=1)
    try:
        with engine.begin() as connection:
            table = Table("idempotency_keys", MetaData(), autoload_with=connection)
            connection.execute(
                table.insert().values(
                    key="k-1", method="prepare_joint_account", request_sha256="0" * 64,
                    response="{}", created_at=datetime.now(UTC),
                )
            )  # fmt: skip
        upgrade(service_dir("fund"), url)
        with engine.connect() as connection:
            caller = connection.execute(text("SELECT caller FROM idempotency_keys")).scalar_one()
    finally:
        engine.dispose()
    assert caller == UNBOUND_CALLER
