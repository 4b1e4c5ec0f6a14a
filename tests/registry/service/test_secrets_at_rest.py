"""Secrets at rest (issue 13, item 5), from the side of whoever holds a copy of registry's
database but not the data key, and of another user who learns an idempotency key: staff phones,
emails and TOTP secrets are sealed, one-time passwords are never stored (a retry says they were
shown once), stored replies answer only their own caller, database errors carry no parameter,
and the migration does the same to what an existing county already stored. Both backends."""

import dataclasses
import json
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from nameko import config as nameko_config
from nameko.testing.services import worker_factory
from sqlalchemy import MetaData, Table, select, text
from sqlalchemy.exc import DBAPIError

from registry.directory.repository import DirectoryRepository
from registry.service import RegistryService
from registry.settings import Settings
from sanbao_common.context import Caller
from sanbao_common.crypto import public_key_text, totp
from sanbao_common.db import create_database_engine
from sanbao_common.messaging.idempotency import IdempotencyKeyConflict
from sanbao_common.messaging.schema_v2 import UNBOUND_CALLER
from sanbao_common.migrations import upgrade
from testkit import TEST_COUNTY, fake_access, principal, service_dir

PHONES = {"li.op": "13769347503", "wang.op": "15912345678", "zhao.op": "18687654321"}


@pytest.fixture
def settings(databases, token_keys):
    section = Settings().load(
        {
            "DATABASE_URL": databases["registry"],
            "HTTP_ADDRESS": "127.0.0.1:1",
            "TOKEN_SIGNING_KEY_FILE": str(token_keys.path),
            "DATA_KEY_FILE": str(token_keys.data_key_path),
            "FUND_CHECKPOINT_PUBLIC_KEYS": public_key_text(token_keys.checkpoint_key),
            "PASSWORD_SCRYPT_N": 1024,
        }
    )
    with nameko_config.patch({"COUNTY": TEST_COUNTY, "registry": section}):
        yield section


@pytest.fixture
def as_(db, settings, token_keys):
    def make(username="admin", roles=("county_admin",), user_id=None):
        who = principal(list(roles), username=username)
        if user_id:
            who = dataclasses.replace(who, user_id=user_id)
        return worker_factory(
            RegistryService,
            db=db,
            context=SimpleNamespace(caller=lambda: Caller(TEST_COUNTY, who.actor, "corr")),
            token_key=token_keys.private_key,
            access=fake_access(who),
            registrar_keys=token_keys.registrar.keys,
            data_key=token_keys.data_key,
        )

    return make


def key() -> str:
    return uuid.uuid4().hex


def new_user(admin, org_id, username, idempotency_key=None):
    return admin.create_user(
        {"username": username, "display_name": "李秀英", "org_id": org_id,
         "roles": ["coop_operator"], "phone": PHONES[username],
         "email": f"{username}@example.cn"},
        idempotency_key or key(),
    )  # fmt: skip


@pytest.fixture
def county(as_):
    return as_().register_organisation(
        {"kind": "county_coop", "name": "个旧市劳务合作联社", "division_code": TEST_COUNTY}, key()
    )


def every_value(url: str):
    """(table, column, text) for every value of every column of every table: what a copy of
    the database shows (bytes read as Latin-1, so any ASCII in them shows too)."""
    engine = create_database_engine(url, pool_size=1)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                for row in connection.execute(select(table)).mappings():
                    for column, value in row.items():
                        if isinstance(value, bytes | memoryview):
                            value = bytes(value).decode("latin-1")
                        elif not isinstance(value, str):
                            value = json.dumps(value, default=str, ensure_ascii=False)
                        yield table.name, column, value
    finally:
        engine.dispose()


def found_in(url: str, secrets: dict[str, str]) -> list[str]:
    return [
        f"{label} in {table}.{column}"
        for table, column, value in every_value(url)
        for label, secret in secrets.items()
        if secret in value or secret.lower() in value.lower()
    ]


def test_a_copy_of_the_database_holds_no_staff_secret_in_clear(as_, county, databases):
    admin, secrets = as_(), {}
    created = {name: new_user(admin, county["org_id"], name) for name in PHONES}
    for name, user in created.items():
        secrets[f"{name}'s phone"] = PHONES[name]
        secrets[f"{name}'s email"] = f"{name}@example.cn"
        secrets[f"{name}'s one-time password"] = user["one_time_password"]
    li, wang = created["li.op"], created["wang.op"]
    as_li = as_("li.op", ("coop_operator",), li["user_id"])
    started = as_li.start_totp(li["one_time_password"])
    as_li.confirm_totp(totp(started["secret"]), li["one_time_password"])
    secrets["li.op's TOTP secret"] = started["secret"]
    as_wang = as_("wang.op", ("coop_operator",), wang["user_id"])
    secrets["wang.op's pending TOTP secret"] = as_wang.start_totp(wang["one_time_password"])[
        "secret"
    ]
    reset = admin.reset_user_password(created["zhao.op"]["user_id"], key())
    secrets["zhao.op's reset password"] = reset["one_time_password"]
    # What admins are shown: the masked forms only.
    shown = admin.get_user(li["user_id"])
    assert (shown["phone_masked"], shown["email_masked"]) == ("137********", "l***@example.cn")
    shown_text = json.dumps(shown, default=str, ensure_ascii=False)
    assert PHONES["li.op"] not in shown_text and "li.op@example.cn" not in shown_text
    assert found_in(databases["registry"], secrets) == []


def test_a_stored_request_digest_gives_no_phone_back_to_whoever_tries_the_candidates(
    as_, county, db
):
    """The attacker has the row (and the reply beside it: name, organisation, roles, the phone's
    prefix, the email's domain) and tries every phone: with a plain SHA-256 one would match."""
    from sanbao_common.messaging.idempotency import request_digest
    from sanbao_common.messaging.tables import IDEMPOTENCY_KEYS

    idempotency_key = key()
    new_user(as_(), county["org_id"], "li.op", idempotency_key)
    with db.reader() as uow:
        stored = uow.connection.execute(
            select(IDEMPOTENCY_KEYS.c.request_sha256).where(
                IDEMPOTENCY_KEYS.c.key == idempotency_key
            )
        ).scalar_one()
    tried = {
        request_digest("create_user", {
            "username": "li.op", "display_name": "李秀英", "org_id": county["org_id"],
            "roles": ["coop_operator"], "phone": f"137{n:08d}", "email": "li.op@example.cn",
        })
        for n in range(69347000, 69348000)  # around the true 13769347503
    }  # fmt: skip
    assert stored not in tried
    # The same request again is still told apart from another: the retry is answered.
    again = new_user(as_(), county["org_id"], "li.op", idempotency_key)
    assert again["password_shown"] is False


def test_a_one_time_password_is_shown_once_and_never_stored(as_, county, db):
    admin, same_key = as_(), key()
    first = new_user(admin, county["org_id"], "li.op", same_key)
    assert first["password_shown"] is True and len(first["one_time_password"]) == 16
    retried = new_user(admin, county["org_id"], "li.op", same_key)
    assert "one_time_password" not in retried and retried["password_shown"] is False
    assert "reset-password" in retried["message"] and retried["user_id"] == first["user_id"]
    reset_key = key()
    reset = admin.reset_user_password(first["user_id"], reset_key)
    assert reset["password_shown"] is True
    again = admin.reset_user_password(first["user_id"], reset_key)
    assert again["password_shown"] is False and "one_time_password" not in again
    with db.reader() as uow:
        stored = uow.connection.execute(text("SELECT response FROM idempotency_keys")).scalars()
        stored = " ".join(stored)
    for password in (first["one_time_password"], reset["one_time_password"]):
        assert password not in stored
    # The password of the first reply is the one that signs in (the retry changed nothing).
    assert as_().login("li.op", reset["one_time_password"])["token"]


def test_another_user_replaying_an_idempotency_key_gets_nothing_of_the_reply(as_, county):
    admin, same_key = as_(), key()
    created = new_user(admin, county["org_id"], "li.op", same_key)
    other = as_("second.admin")
    request = {"username": "li.op", "display_name": "李秀英", "org_id": county["org_id"],
               "roles": ["coop_operator"], "phone": PHONES["li.op"],
               "email": "li.op@example.cn"}  # fmt: skip
    for attempt in (request, dict(request, username="other.op")):
        with pytest.raises(IdempotencyKeyConflict) as refused:
            other.create_user(attempt, same_key)
        assert created["user_id"] not in str(refused.value)
        assert str(refused.value).startswith("[IDEMPOTENCY_KEY_CONFLICT]")
    # Its owner still gets the reply (without the password).
    assert new_user(admin, county["org_id"], "li.op", same_key)["user_id"] == created["user_id"]


def test_a_failing_statement_carries_no_parameter_value(db, as_, county, caplog):
    """Neither in what is raised (with its cause) nor in what is logged: not as parameters, not
    quoted back by PostgreSQL in its message (the statement's text or a duplicate key)."""
    import traceback

    with pytest.raises(DBAPIError) as failed, db.reader() as uow:
        uow.connection.execute(
            text("SELECT * FROM no_such_table WHERE phone = :phone"), {"phone": "13769347503"}
        )
    told = "".join(traceback.format_exception(failed.value))
    assert "13769347503" not in told and "parameters hidden" in told
    for name in ("li.op", "wang.op"):
        new_user(as_(), county["org_id"], name)
    with pytest.raises(DBAPIError) as duplicate, db.unit_of_work() as uow:
        uow.connection.execute(
            text("UPDATE users SET username = :taken WHERE username = :other"),
            {"taken": "li.op", "other": "wang.op"},
        )
    told = "".join(traceback.format_exception(duplicate.value)) + caplog.text
    assert "li.op" not in told and "wang.op" not in told


@pytest.fixture
def empty_database(db_backend, database_templates, tmp_path):
    if db_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return database_templates.create_postgres(f"sanbao_m_{uuid.uuid4().hex[:12]}")


def _insert(connection, table_name: str, **values) -> None:
    table = Table(table_name, MetaData(), autoload_with=connection)
    connection.execute(table.insert(), values)


def test_0012_seals_what_an_existing_county_stored_and_withholds_its_passwords(
    empty_database, token_keys
):
    url, at = empty_database, datetime(2026, 11, 1, tzinfo=UTC)
    upgrade(service_dir("registry"), url, "0011")
    secret, pending = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
    engine = create_database_engine(url, pool_size=1)
    with engine.begin() as connection:
        _insert(connection, "users", user_id="u-1", username="li.op", display_name="李秀英",
                org_id="o-1", roles="coop_operator", phone="13769347503",
                email="li.op@example.cn", password_hash="scrypt$x", must_change_password=False,
                totp_secret=secret, totp_pending=pending, failed_logins=0, active=True,
                version=1, changed_at=at, changed_by="user:admin")  # fmt: skip
        state = {"user_id": "u-1", "phone": "13769347503", "email": "li.op@example.cn"}
        _insert(connection, "directory_history", record_kind="user", record_id="u-1",
                action="created", state=json.dumps(state), at=at, by="user:admin")  # fmt: skip
        reply = {"user_id": "u-1", "phone_masked": "137********", "one_time_password": "Pw"}
        _insert(connection, "idempotency_keys", key="k-create-1", method="create_user",
                request_sha256="0" * 64, response=json.dumps(reply),
                created_at=at)  # fmt: skip
    with pytest.raises(SystemExit, match="DATA_KEY_FILE"):  # sealing needs the key
        upgrade(service_dir("registry"), url)
    upgrade(service_dir("registry"), url, settings={"DATA_KEY_FILE": str(token_keys.data_key_path)})
    clear = {"phone": "13769347503", "email": "li.op@example.cn", "totp": secret,
             "pending": pending, "password": '"Pw"'}  # fmt: skip
    assert found_in(url, clear) == []
    try:
        with engine.connect() as connection:
            user = DirectoryRepository(connection, token_keys.data_key).user("u-1")
            history = json.loads(
                connection.execute(text("SELECT state FROM directory_history")).scalar_one()
            )
            kept = connection.execute(text("SELECT caller, response FROM idempotency_keys")).one()
    finally:
        engine.dispose()
    assert (user.phone, user.email) == ("13769347503", "li.op@example.cn")
    assert (user.totp_secret, user.totp_pending) == (secret, pending)
    assert history == {"user_id": "u-1", "phone_masked": "137********",
                       "email_masked": "l***@example.cn"}  # fmt: skip
    assert kept.caller == UNBOUND_CALLER  # no caller's key: nobody is answered with it again
    stored = json.loads(kept.response)
    assert "one_time_password" not in stored and stored["password_shown"] is False


def raw_pages(url: str, table: str) -> bytes:
    """Every tuple a PostgreSQL table's files hold, live or dead, as a copy of them would."""
    engine = create_database_engine(url, pool_size=1)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
            pages = connection.execute(
                text("SELECT pg_relation_size(CAST(:t AS regclass)) / 8192"), {"t": table}
            ).scalar_one()
            return b"".join(
                bytes(row[0])
                for page in range(pages)
                for row in connection.execute(
                    text("SELECT t_data FROM heap_page_items(get_raw_page(:t, :p))"
                         " WHERE t_data IS NOT NULL"), {"t": table, "p": page},
                )
            )  # fmt: skip
    finally:
        engine.dispose()


@pytest.mark.postgresql_only
def test_after_the_upgrade_no_clear_secret_is_left_in_postgresql_files(empty_database, token_keys):
    """A dropped column's bytes and an updated row's old version stay in PostgreSQL's files
    until the table is rewritten: the upgrade rewrites what it changed."""
    url, at = empty_database, datetime(2026, 11, 1, tzinfo=UTC)
    upgrade(service_dir("registry"), url, "0011")
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    engine = create_database_engine(url, pool_size=1)
    with engine.begin() as connection:
        _insert(connection, "users", user_id="u-1", username="li.op", display_name="李秀英",
                org_id="o-1", roles="coop_operator", phone="13769347503",
                email="li.op@example.cn", password_hash="scrypt$x", must_change_password=False,
                totp_secret=secret, totp_pending=None, failed_logins=0, active=True,
                version=1, changed_at=at, changed_by="user:admin")  # fmt: skip
        state = {"user_id": "u-1", "phone": "13769347503", "email": "li.op@example.cn"}
        _insert(connection, "directory_history", record_kind="user", record_id="u-1",
                action="created", state=json.dumps(state), at=at, by="user:admin")  # fmt: skip
        reply = {"user_id": "u-1", "one_time_password": "Pw-shown-once-1"}
        _insert(connection, "idempotency_keys", key="k-create-1", method="create_user",
                request_sha256="0" * 64, response=json.dumps(reply), created_at=at)  # fmt: skip
    engine.dispose()
    upgrade(service_dir("registry"), url, settings={"DATA_KEY_FILE": str(token_keys.data_key_path)})
    files = b"".join(raw_pages(url, t) for t in ("users", "directory_history", "idempotency_keys"))
    for clear in ("13769347503", secret, "li.op@example.cn", "Pw-shown-once-1"):
        assert clear.encode() not in files, clear
