"""The directory through RegistryService's entrypoints, on a real database: organisations and
their history, village groups and agents, users and sign-in, seals and signing keys."""

import threading
import uuid
from types import SimpleNamespace

import pytest
from nameko import config as nameko_config
from nameko.testing.services import worker_factory

from registry.exceptions import (
    AccountLocked,
    OrganisationExists,
    OrganisationInactive,
    OrganisationRejected,
    PasswordRejected,
    SealRejected,
    SignInFailed,
    SigningKeyRejected,
    UserRejected,
)
from registry.service import RegistryService
from sanbao_common.access import verify_token
from sanbao_common.context import Caller
from sanbao_common.crypto import (
    new_signing_key,
    public_key_text,
    sign,
    statement_bytes,
    totp,
)
from sanbao_common.db import DatabaseHandle, create_database_engine
from testkit import fake_access, principal

COUNTY = "532501"


@pytest.fixture
def db(databases):
    engine = create_database_engine(databases["registry"])
    yield DatabaseHandle(engine, threading.Lock())
    engine.dispose()


@pytest.fixture
def settings(token_keys):
    section = {"TOKEN_TTL_SECONDS": 600, "LOGIN_MAX_FAILURES": 3, "LOGIN_LOCKOUT_SECONDS": 600,
               "PASSWORD_SCRYPT_N": 1024}  # fmt: skip
    with nameko_config.patch({"COUNTY": COUNTY, "registry": section}):
        yield


@pytest.fixture
def as_(db, settings, token_keys):
    """A registry worker acting for a given caller."""

    def make(roles=("county_admin",), kind="county_coop", scope=COUNTY, username="admin"):
        context = SimpleNamespace(caller=lambda: Caller(COUNTY, f"user:{username}", "corr"))
        return worker_factory(
            RegistryService,
            db=db,
            context=context,
            token_key=token_keys.private_key,
            access=fake_access(principal(roles, kind=kind, scope=scope, username=username)),
        )

    return make


def key():
    return uuid.uuid4().hex


@pytest.fixture
def tree(as_):
    """County cooperative, a township, two of its villages, a group, an HR company."""
    admin = as_()
    county = admin.register_organisation(
        {"kind": "county_coop", "name": "个旧市劳务合作联社", "division_code": COUNTY}, key()
    )
    township = admin.register_organisation(
        {
            "kind": "township_coop",
            "name": "老厂镇劳务合作社",
            "division_code": "532501001",
            "parent_id": county["org_id"],
        },
        key(),
    )
    villages = [
        admin.register_organisation(
            {
                "kind": "village_coop",
                "name": f"村{n}劳务合作社",
                "division_code": f"53250100120{n}",
                "parent_id": township["org_id"],
            },
            key(),
        )
        for n in (1, 2)
    ]
    group = admin.register_village_group(villages[0]["org_id"], 3, "第三村民小组", key())
    hr = admin.register_organisation(
        {"kind": "hr_company", "name": "红河人力资源有限公司", "credit_code": "91532501MA6K2XQ93P"},
        key(),
    )
    return SimpleNamespace(
        admin=admin, county=county, township=township, villages=villages, group=group, hr=hr
    )


def test_the_cooperative_tree_follows_the_division_codes(tree, as_):
    admin = as_()
    assert tree.township["parent_id"] == tree.county["org_id"]
    with pytest.raises(OrganisationRejected, match="not under its parent"):
        admin.register_organisation(
            {
                "kind": "village_coop",
                "name": "错村",
                "division_code": "532501002201",
                "parent_id": tree.township["org_id"],
            },
            key(),
        )
    with pytest.raises(OrganisationRejected, match="township-level"):
        admin.register_organisation(
            {
                "kind": "township_coop",
                "name": "错镇",
                "division_code": "532501002201",
                "parent_id": tree.county["org_id"],
            },
            key(),
        )
    with pytest.raises(OrganisationExists):
        admin.register_organisation(
            {
                "kind": "township_coop",
                "name": "重复",
                "division_code": "532501001",
                "parent_id": tree.county["org_id"],
            },
            key(),
        )
    with pytest.raises(OrganisationRejected, match="not in this county"):
        admin.register_organisation(
            {"kind": "finance_bureau", "name": "外县财政局", "division_code": "532528"}, key()
        )


def test_an_invalid_credit_code_is_refused(as_):
    from sanbao_common.errors import InvalidInput

    with pytest.raises(InvalidInput, match="credit_code"):
        as_().register_organisation(
            {"kind": "hr_company", "name": "某公司", "credit_code": "91532501MA6K2XQ93F"}, key()
        )


def test_nothing_is_deleted_deactivation_and_restoration_keep_who_when_why(tree, as_):
    admin = as_()
    with pytest.raises(OrganisationRejected, match="active organisations still belong"):
        admin.deactivate_organisation(tree.township["org_id"], "合并乡镇", key())
    village = tree.villages[1]["org_id"]
    assert admin.deactivate_organisation(village, "村委会撤并", key())["active"] is False
    with pytest.raises(OrganisationInactive):
        admin.deactivate_organisation(village, "again", key())
    assert admin.restore_organisation(village, "恢复设立", key())["active"] is True
    history = admin.get_organisation(village)["history"]
    assert [(h["action"], h["reason"], h["by"]) for h in history] == [
        ("registered", None, "user:admin"),
        ("deactivated", "村委会撤并", "user:admin"),
        ("restored", "恢复设立", "user:admin"),
    ]


def test_a_village_moves_to_another_township_with_its_history(tree, as_):
    admin = as_()
    other = admin.register_organisation(
        {
            "kind": "township_coop",
            "name": "卡房镇劳务合作社",
            "division_code": "532501002",
            "parent_id": tree.county["org_id"],
        },
        key(),
    )
    village = tree.villages[1]["org_id"]
    moved = admin.move_village(village, other["org_id"], "532501002207", "行政区划调整", key())
    assert (moved["division_code"], moved["parent_id"]) == ("532501002207", other["org_id"])
    history = admin.get_organisation(village)["history"]
    assert history[-1]["action"] == "moved from 532501001202"
    assert history[0]["state"]["division_code"] == "532501001202"
    with pytest.raises(OrganisationRejected, match="not under its parent"):
        admin.move_village(village, tree.township["org_id"], "532501002208", "错误", key())


def test_agent_coverage_lists_the_groups_without_one(tree, as_):
    admin = as_()
    second = admin.register_village_group(tree.villages[0]["org_id"], 4, "第四村民小组", key())
    assert {g["group_code"] for g in admin.agent_coverage()["without_agent"]} == {
        tree.group["group_code"],
        second["group_code"],
    }
    admin.create_user(
        {
            "username": "zhang.agent",
            "display_name": "张德明",
            "org_id": tree.villages[0]["org_id"],
            "roles": ["agent"],
            "village_group": tree.group["group_code"],
        },
        key(),
    )
    report = admin.agent_coverage("532501001")
    assert report["groups"] == 2
    assert [g["group_code"] for g in report["without_agent"]] == [second["group_code"]]


@pytest.mark.parametrize(
    ("roles", "org", "group", "reason"),
    [
        (["signatory"], "county", None, "granted by the organisation's seal"),
        (["hr_operator"], "county", None, "cannot hold hr_operator"),
        (["county_admin"], "hr", None, "cannot hold county_admin"),
        (["agent"], "village", None, "attached to an active village group"),
        (["coop_operator"], "village", "group", "only agents"),
        (["auditor"], "county", None, "cannot hold auditor"),
        (["superuser"], "county", None, "USER_REJECTED"),
        ([], "county", None, "at least one role"),
    ],
)
def test_roles_must_fit_the_matrix_and_the_organisation(tree, roles, org, group, reason):
    org_id = {"county": tree.county, "hr": tree.hr, "village": tree.villages[0]}[org]["org_id"]
    with pytest.raises(UserRejected, match=reason):
        tree.admin.create_user(
            {
                "username": "someone",
                "display_name": "王芳",
                "org_id": org_id,
                "roles": roles,
                "village_group": tree.group["group_code"] if group else None,
            },
            key(),
        )


def new_user(tree, roles=("coop_operator",), org=None, username="li.op"):
    return tree.admin.create_user(
        {
            "username": username,
            "display_name": "李秀英",
            "org_id": (org or tree.villages[0])["org_id"],
            "roles": list(roles),
            "phone": "13769347503",
            "email": "li@example.cn",
        },
        key(),
    )


def test_a_user_gets_a_one_time_password_and_must_change_it(tree, as_, token_keys):
    created = new_user(tree)
    assert created["phone_masked"] == "137****7503" and created["email_masked"] == "l***@example.cn"
    assert "13769347503" not in str(created)
    signed_in = as_().login("li.op", created["one_time_password"])
    assert signed_in["must_change_password"] is True
    principal = verify_token(signed_in["token"], [token_keys.private_key.public_key()], COUNTY)
    assert principal.roles == ("coop_operator",) and principal.scope == "532501001201"
    me = as_(roles=principal.roles, kind="village_coop", scope=principal.scope, username="li.op")
    me.access._known = principal  # the caller is exactly who the token says
    with pytest.raises(PasswordRejected):
        me.change_password(created["one_time_password"], "short")
    me.change_password(created["one_time_password"], "a long enough password")
    with pytest.raises(SignInFailed):
        as_().login("li.op", created["one_time_password"])
    assert as_().login("li.op", "a long enough password")["must_change_password"] is False


def test_wrong_passwords_lock_the_account_and_the_lock_is_kept_in_the_database(tree, as_, db):
    created = new_user(tree)
    for _ in range(2):
        with pytest.raises(SignInFailed):
            as_().login("li.op", "wrong password")
    with pytest.raises(AccountLocked):
        as_().login("li.op", "wrong password")
    # Even the right password is refused while locked, by any worker on the same database.
    with pytest.raises(AccountLocked):
        as_().login("li.op", created["one_time_password"])
    tree.admin.set_user_active(created["user_id"], True, key())  # an administrator unlocks
    assert as_().login("li.op", created["one_time_password"])["token"]


def test_unknown_users_and_wrong_passwords_get_the_same_answer(tree, as_):
    new_user(tree)
    with pytest.raises(SignInFailed) as unknown:
        as_().login("nobody", "whatever")
    with pytest.raises(SignInFailed) as wrong:
        as_().login("li.op", "whatever")
    assert str(unknown.value) == str(wrong.value)


def test_a_second_factor_once_confirmed_is_required(tree, as_, token_keys):
    created = new_user(tree)
    token = as_().login("li.op", created["one_time_password"])["token"]
    principal = verify_token(token, [token_keys.private_key.public_key()], COUNTY)
    me = as_()
    me.access._known = principal
    secret = me.start_totp()["secret"]
    with pytest.raises(SignInFailed):
        me.confirm_totp("000000" if totp(secret) != "000000" else "111111")
    me.confirm_totp(totp(secret))
    with pytest.raises(SignInFailed):
        as_().login("li.op", created["one_time_password"])
    assert as_().login("li.op", created["one_time_password"], totp(secret))["token"]


def seal_statement(org_id, seal_key, purpose="seal", **fields):
    statement = {"purpose": purpose, "organisation_id": org_id, "county": COUNTY, **fields}
    if purpose == "seal":
        statement["public_key"] = public_key_text(seal_key)
    return statement, sign(seal_key, statement_bytes(statement))


def test_a_seal_must_prove_it_holds_its_private_half(tree):
    seal_key, other = new_signing_key(), new_signing_key()
    statement, _ = seal_statement(tree.hr["org_id"], seal_key)
    with pytest.raises(SealRejected):
        tree.admin.register_seal(
            tree.hr["org_id"], statement, sign(other, statement_bytes(statement)), key()
        )
    registered = tree.admin.register_seal(
        tree.hr["org_id"], statement, sign(seal_key, statement_bytes(statement)), key()
    )
    assert len(registered["fingerprint"].split()) == 16


def test_only_an_organisations_own_seal_can_make_its_signatories(tree, as_, token_keys):
    county_seal, hr_seal = new_signing_key(), new_signing_key()
    for org, seal_key in ((tree.county, county_seal), (tree.hr, hr_seal)):
        tree.admin.register_seal(org["org_id"], *seal_statement(org["org_id"], seal_key), key())
    hr_person = new_user(tree, roles=("hr_operator",), org=tree.hr, username="wang.hr")
    personal = new_signing_key()
    certify = {
        "user_id": hr_person["user_id"],
        "public_key": public_key_text(personal),
        "limit_fen": 5_000_000,
        "issued_at": "2026-11-28T00:00:00+00:00",
    }
    # The county administrator holds the county cooperative's seal, not the HR company's.
    forged, forged_signature = seal_statement(tree.hr["org_id"], county_seal, "certify", **certify)
    with pytest.raises(SealRejected, match="not signed by this organisation's seal"):
        tree.admin.enroll_signing_key(forged, forged_signature, key())
    # Nor can it pass the key off as the county cooperative's signatory: the person is HR's.
    as_county, county_signature = seal_statement(
        tree.county["org_id"], county_seal, "certify", **certify
    )
    with pytest.raises(SigningKeyRejected, match="not an active member"):
        tree.admin.enroll_signing_key(as_county, county_signature, key())
    # The HR company's own seal can.
    statement, signature = seal_statement(tree.hr["org_id"], hr_seal, "certify", **certify)
    enrolled = tree.admin.enroll_signing_key(statement, signature, key())
    assert enrolled["limit_fen"] == 5_000_000 and enrolled["revoked_at"] is None
    token = as_().login("wang.hr", hr_person["one_time_password"])["token"]
    roles = verify_token(token, [token_keys.private_key.public_key()], COUNTY).roles
    assert "signatory" in roles

    revocation, revocation_signature = seal_statement(
        tree.hr["org_id"],
        hr_seal,
        "revoke",
        key_fingerprint=enrolled["fingerprint"],
        reason="离职",
        revoked_at="2026-11-29T00:00:00+00:00",
    )
    assert tree.admin.revoke_signing_key(revocation, revocation_signature, key())["revoked_at"]
    token = as_().login("wang.hr", hr_person["one_time_password"])["token"]
    assert (
        "signatory" not in verify_token(token, [token_keys.private_key.public_key()], COUNTY).roles
    )


def test_the_bootstrap_runs_once(db, settings):
    from registry.directory_handlers import bootstrap

    with db.unit_of_work() as uow:
        user, password = bootstrap(uow, COUNTY, "admin", 1024)
        uow.commit()
    assert set(user.roles) == {"county_admin", "coop_operator"} and len(password) == 16
    with pytest.raises(UserRejected, match="already has users"), db.unit_of_work() as uow:
        bootstrap(uow, COUNTY, "admin2", 1024)
