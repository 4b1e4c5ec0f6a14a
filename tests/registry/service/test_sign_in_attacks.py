"""Sign-in from the attacker's side (issue 13, item 4), through RegistryService's entrypoints on a
real database, both backends: guesses made at once all count, a guess never undoes an
administrator's change, every way of proving a password counts toward the same lockout, a token
alone cannot replace the second factor, an unknown name runs what a known one runs, and a name
gets a bounded number of attempts however they are spread. What runs is checked, never how long
it takes."""

import dataclasses
import uuid
from datetime import timedelta
from types import SimpleNamespace

import eventlet
import eventlet.event
import pytest
from nameko import config as nameko_config
from nameko.testing.services import worker_factory
from sqlalchemy import func, insert, select, update

from registry.adapters.tables import sign_in_attempts, users
from registry.directory import sign_in
from registry.exceptions import AccountLocked, SignInFailed, SignInRateLimited
from registry.service import RegistryService
from registry.settings import Settings
from sanbao_common.config import ConfigError, load_config
from sanbao_common.context import Caller
from sanbao_common.crypto import dummy_password_hash, new_signing_key, public_key_text, totp
from sanbao_common.errors import DomainError
from testkit import ROOT, TEST_COUNTY, fake_access, principal

LIMITS = {
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCKOUT_SECONDS": 600,
    "LOGIN_ATTEMPTS_PER_NAME": 10,
    "LOGIN_ATTEMPTS_WINDOW_SECONDS": 300,
}


@pytest.fixture
def settings(databases, token_keys, request):
    """registry's settings as validated at start, the cheapest scrypt, LIMITS (or the test's
    own, through indirect parametrisation)."""
    section = Settings().load(
        {
            "DATABASE_URL": databases["registry"],
            "HTTP_ADDRESS": "127.0.0.1:1",
            "TOKEN_SIGNING_KEY_FILE": str(token_keys.path),
            "DATA_KEY_FILE": str(token_keys.data_key_path),
            "FUND_CHECKPOINT_PUBLIC_KEYS": public_key_text(token_keys.checkpoint_key),
            "PASSWORD_SCRYPT_N": 1024,
            **LIMITS,
            **getattr(request, "param", {}),
        }
    )
    with nameko_config.patch({"COUNTY": TEST_COUNTY, "registry": section}):
        yield section


@pytest.fixture
def as_(db, settings, token_keys):
    """A registry worker acting for `who` (a Principal; the county administrator by default)."""

    def make(who=None):
        who = who or principal(["county_admin"], username="admin")
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


@pytest.fixture
def staff(as_):
    """The county cooperative with two operators, li.op and wang.op (one-time passwords)."""
    admin = as_()
    county = admin.register_organisation(
        {"kind": "county_coop", "name": "个旧市劳务合作联社", "division_code": TEST_COUNTY}, key()
    )
    people = {
        name: admin.create_user(
            {
                "username": name,
                "display_name": "李秀英",
                "org_id": county["org_id"],
                "roles": ["coop_operator"],
                "phone": "13769347503",
                "email": f"{name}@example.cn",
            },
            key(),
        )  # fmt: skip
        for name in ("li.op", "wang.op")
    }
    return SimpleNamespace(admin=admin, people=people)


def me(as_, created):
    """A worker acting for the user `created` (their token, as the entrypoints see it)."""
    who = principal(["coop_operator"], username=created["username"])
    return as_(dataclasses.replace(who, user_id=created["user_id"]))


def row(db, user_id):
    with db.reader() as uow:
        return uow.connection.execute(select(users).where(users.c.user_id == user_id)).one()


def code_of(call) -> str:
    try:
        call()
    except DomainError as exc:
        return exc.code
    return "OK"


class Gate:
    """Holds every caller of the wrapped function until `count` of them are inside it: all the
    attempts have read the user before any writes."""

    def __init__(self, function, count: int):
        self.function, self.count, self.inside = function, count, 0
        self.open = eventlet.event.Event()

    def __call__(self, *args):
        self.inside += 1
        if self.inside == self.count:
            self.open.send()
        self.open.wait()
        return self.function(*args)


def test_failed_sign_ins_made_at_once_all_count_and_reach_the_lock(staff, as_, db, monkeypatch):
    li = staff.people["li.op"]
    attempts = 8  # more than LOGIN_MAX_FAILURES, fewer than LOGIN_ATTEMPTS_PER_NAME
    monkeypatch.setattr(sign_in, "verify_password", Gate(sign_in.verify_password, attempts))
    threads = [
        eventlet.spawn(code_of, lambda: as_().login("li.op", "wrong password"))
        for _ in range(attempts)
    ]
    codes = sorted(thread.wait() for thread in threads)
    after = row(db, li["user_id"])
    assert after.failed_logins == attempts and after.locked_until is not None
    # The 5th failure locked the account; those counted after it are told so too.
    assert codes == ["ACCOUNT_LOCKED"] * 4 + ["SIGN_IN_FAILED"] * 4
    with pytest.raises(AccountLocked):
        as_().login("li.op", li["one_time_password"])


def test_a_failed_sign_in_racing_a_deactivation_leaves_the_user_inactive(
    staff, as_, db, monkeypatch
):
    li = staff.people["li.op"]
    verify = sign_in.verify_password

    def deactivated_meanwhile(password, stored):
        staff.admin.set_user_active(li["user_id"], False, key())
        return verify(password, stored)

    monkeypatch.setattr(sign_in, "verify_password", deactivated_meanwhile)
    with pytest.raises(SignInFailed):
        as_().login("li.op", "wrong password")
    after = row(db, li["user_id"])
    assert after.active is False and after.failed_logins == 1
    # The right password, racing the same way, gets no token for a deactivated user either.
    staff.admin.set_user_active(li["user_id"], True, key())
    with pytest.raises(SignInFailed):
        as_().login("li.op", li["one_time_password"])
    assert row(db, li["user_id"]).active is False


def test_a_sign_in_racing_an_uncommitted_revocation_gets_no_token_that_outlives_it(
    staff, as_, db, token_keys
):
    """The person being removed signs in while the deactivation is written but not committed:
    whatever the order, they end up without a token any service accepts."""
    from registry.directory.use_cases import change_user
    from sanbao_common.access import Access
    from sanbao_common.revocations import RevocationList

    li = staff.people["li.op"]
    signing_in, outcome = eventlet.event.Event(), {}

    def deactivate():
        caller = Caller(TEST_COUNTY, "user:admin", "corr")
        with db.unit_of_work() as uow:
            change_user(uow, caller, li["user_id"], active=False, key=token_keys.data_key)  # held
            signing_in.wait()
            eventlet.sleep(0.3)  # the sign-in reaches the held row meanwhile, if it can
            uow.commit()

    def sign_in_meanwhile():
        signing_in.send()
        try:
            outcome["token"] = as_().login("li.op", li["one_time_password"])["token"]
        except SignInFailed:
            outcome["token"] = None

    threads = [eventlet.spawn(deactivate), eventlet.spawn(sign_in_meanwhile)]
    for thread in threads:
        thread.wait()
    if outcome["token"] is not None:
        access = Access(SimpleNamespace(data={"token": outcome["token"]}),
                        [token_keys.private_key.public_key()], TEST_COUNTY,
                        RevocationList(lambda: db))  # fmt: skip
        with pytest.raises(DomainError, match="TOKEN_REVOKED"):
            access.authenticate("account.manage_own")


def test_wrong_old_passwords_in_a_password_change_lock_the_account(staff, as_, db):
    li = staff.people["li.op"]
    account = me(as_, li)
    for _ in range(4):
        with pytest.raises(SignInFailed):
            account.change_password("wrong password", "a long enough password")
    assert row(db, li["user_id"]).failed_logins == 4
    with pytest.raises(AccountLocked):
        account.change_password("wrong password", "a long enough password")
    # Locked: neither the right old password nor a sign-in gets through.
    with pytest.raises(AccountLocked):
        account.change_password(li["one_time_password"], "a long enough password")
    with pytest.raises(AccountLocked):
        as_().login("li.op", li["one_time_password"])


def test_the_second_factor_cannot_be_replaced_with_a_token_alone(staff, as_, db):
    li = staff.people["li.op"]
    password = li["one_time_password"]
    account = me(as_, li)
    with pytest.raises(TypeError):  # no password, no call
        account.start_totp()
    with pytest.raises(SignInFailed):
        account.start_totp("a stolen token's guess")
    first = account.start_totp(password)
    assert first["replacing"] is False
    account.confirm_totp(totp(first["secret"]), password)
    assert row(db, li["user_id"]).failed_logins == 0  # a right proof clears the count
    # Now that a second factor is on, replacing it needs a code of the current one too, at
    # each step; each failure counts.
    with pytest.raises(SignInFailed):
        account.start_totp(password)
    with pytest.raises(SignInFailed):
        account.start_totp(password, "000000" if totp(first["secret"]) != "000000" else "111111")
    assert row(db, li["user_id"]).failed_logins == 2
    second = account.start_totp(password, totp(first["secret"]))
    assert second["replacing"] is True and row(db, li["user_id"]).failed_logins == 0
    with pytest.raises(SignInFailed):
        account.confirm_totp(totp(second["secret"]), password)
    with pytest.raises(SignInFailed):
        account.confirm_totp(totp(second["secret"]), "wrong password", totp(first["secret"]))
    assert row(db, li["user_id"]).failed_logins == 2
    account.confirm_totp(totp(second["secret"]), password, totp(first["secret"]))
    with pytest.raises(SignInFailed):
        as_().login("li.op", password, totp(first["secret"]))
    assert as_().login("li.op", password, totp(second["secret"]))["token"]


def test_one_with_a_second_factor_changes_their_password_with_a_code_and_not_without(
    staff, as_, db
):
    li = staff.people["li.op"]
    password = li["one_time_password"]
    account = me(as_, li)
    secret = account.start_totp(password)["secret"]
    account.confirm_totp(totp(secret), password)
    with pytest.raises(SignInFailed):  # the password alone proves nothing once a code is due
        account.change_password(password, "a long enough password")
    # A code that is not six digits is wrong like any other, not an error that tells the right
    # password apart from a wrong one.
    for odd in ("é", "١٢٣٤٥٦"):
        with pytest.raises((SignInFailed, AccountLocked)):
            as_().login("li.op", password, odd)
    assert row(db, li["user_id"]).failed_logins == 3  # each counted, the odd codes too
    staff.admin.set_user_active(li["user_id"], True, key())  # clears the count
    account.change_password(password, "a long enough password", totp(secret))
    assert as_().login("li.op", "a long enough password", totp(secret))["token"]


def test_an_unknown_or_inactive_name_runs_the_verification_a_known_one_runs(
    staff, as_, db, monkeypatch, token_keys
):
    verified = []
    verify = sign_in.verify_password

    def recorded(password, stored):
        verified.append(stored)
        return verify(password, stored)

    monkeypatch.setattr(sign_in, "verify_password", recorded)
    answers = []
    staff.admin.set_user_active(staff.people["wang.op"]["user_id"], False, key())
    for name in ("nobody", "li.op", "wang.op"):
        with pytest.raises(SignInFailed) as refused:
            as_().login(name, "wrong password")
        answers.append(str(refused.value))
    dummy = dummy_password_hash(1024)
    assert verified == [dummy, row(db, staff.people["li.op"]["user_id"]).password_hash, dummy]
    assert len(set(answers)) == 1
    # Each failure was written for its name, known or not: the same work after the scrypt.
    with db.reader() as uow:
        query = select(sign_in_attempts.c.name_hash, sign_in_attempts.c.failures)
        failures = dict(uow.connection.execute(query).all())
    for name in ("nobody", "li.op", "wang.op"):
        assert failures[sign_in.name_hash(token_keys.data_key, name)] == 1


@pytest.mark.parametrize(
    "settings", [{"LOGIN_ATTEMPTS_PER_NAME": 4, "LOGIN_MAX_FAILURES": 100}], indirect=True
)
def test_the_rate_limit_refuses_the_next_attempt_even_with_the_right_password(
    staff, as_, db, token_keys
):
    li = staff.people["li.op"]
    for _ in range(3):
        with pytest.raises(SignInFailed):
            as_().login("li.op", "wrong password")
    assert as_().login("li.op", li["one_time_password"])["token"]  # the 4th: allowed
    with pytest.raises(SignInRateLimited) as refused:
        as_().login("li.op", li["one_time_password"])
    assert "retry_after=" in str(refused.value)
    # Other names are not affected; an unknown name has its own allowance, and is limited too.
    assert as_().login("wang.op", staff.people["wang.op"]["one_time_password"])["token"]
    for _ in range(4):
        with pytest.raises(SignInFailed):
            as_().login("nobody", "guess")
    with pytest.raises(SignInRateLimited):
        as_().login("nobody", "guess")
    # Once the window has run out, the name starts a new one.
    with db.unit_of_work() as uow:
        uow.connection.execute(
            update(sign_in_attempts).values(
                window_start=sign_in_attempts.c.window_start - timedelta(seconds=301)
            )
        )
        uow.commit()
    assert as_().login("li.op", li["one_time_password"])["token"]


def test_the_attempts_table_keeps_only_names_tried_within_the_window(staff, as_, db):
    """What bounds an attacker trying many names: each attempt deletes up to a hundred expired
    windows, so rows are names tried within the last window (and a shrinking backlog)."""
    from datetime import UTC, datetime

    stale = datetime.now(UTC) - timedelta(hours=1)
    with db.unit_of_work() as uow:
        uow.connection.execute(
            insert(sign_in_attempts),
            [
                {"name_hash": f"{n:064x}", "window_start": stale, "attempts": 1, "failures": 1}
                for n in range(150)
            ],
        )
        uow.commit()

    def rows():
        with db.reader() as uow:
            return uow.connection.execute(
                select(func.count()).select_from(sign_in_attempts)
            ).scalar_one()

    for expected, name in ((51, "guess-1"), (2, "guess-2")):
        with pytest.raises(SignInFailed):
            as_().login(name, "guess")
        assert rows() == expected


def test_the_token_lifetime_is_capped_at_one_hour():
    key_text = public_key_text(new_signing_key())
    environ = {"TOKEN_PUBLIC_KEYS": key_text, "FUND_CHECKPOINT_PUBLIC_KEYS": key_text}
    config = load_config(ROOT / "services/registry/config.yml", "registry", environ=environ)
    assert config["registry"]["TOKEN_TTL_SECONDS"] == 3600
    with pytest.raises(ConfigError) as refused:
        load_config(
            ROOT / "services/registry/config.yml",
            "registry",
            environ=dict(environ, TOKEN_TTL_SECONDS="7200"),
        )
    assert "registry.TOKEN_TTL_SECONDS: at most 3600 seconds (one hour)" in str(refused.value)
