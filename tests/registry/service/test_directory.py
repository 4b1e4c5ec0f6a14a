"""The directory through RegistryService's entrypoints, on a real database: organisations and
their history, village groups and agents, users and sign-in, seals and signing keys."""

import dataclasses
import json
import threading
import uuid
from datetime import datetime
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
from sanbao_common.access import Forbidden, verify_token
from sanbao_common.context import Caller
from sanbao_common.crypto import (
    fingerprint,
    new_signing_key,
    public_key_text,
    sign,
    statement_bytes,
    totp,
)
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.seals import RegistrarSignatureRejected, SealNotEffective
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
               "LOGIN_ATTEMPTS_PER_NAME": 10, "LOGIN_ATTEMPTS_WINDOW_SECONDS": 300,
               "PASSWORD_SCRYPT_N": 1024, "STALE_AFTER_DAYS": 180}  # fmt: skip
    with nameko_config.patch({"COUNTY": COUNTY, "registry": section}):
        yield


@pytest.fixture
def as_(db, settings, token_keys):
    """A registry worker acting for a given caller."""

    def make(
        roles=("county_admin",), kind="county_coop", scope=COUNTY, username="admin", org_id=None
    ):
        context = SimpleNamespace(caller=lambda: Caller(COUNTY, f"user:{username}", "corr"))
        who = principal(roles, kind=kind, scope=scope, username=username)
        if org_id:
            who = dataclasses.replace(who, organisation_id=org_id)
        return worker_factory(
            RegistryService,
            db=db,
            context=context,
            token_key=token_keys.private_key,
            access=fake_access(who),
            registrar_keys=token_keys.registrar.keys,
            data_key=token_keys.data_key,
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
    assert created["phone_masked"] == "137********" and created["email_masked"] == "l***@example.cn"
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
    password = created["one_time_password"]
    secret = me.start_totp(password)["secret"]
    with pytest.raises(SignInFailed):
        me.confirm_totp("000000" if totp(secret) != "000000" else "111111", password)
    me.confirm_totp(totp(secret), password)
    with pytest.raises(SignInFailed):
        as_().login("li.op", created["one_time_password"])
    assert as_().login("li.op", created["one_time_password"], totp(secret))["token"]


def seal_statement(org_id, seal_key, purpose="seal", **fields):
    statement = {"purpose": purpose, "organisation_id": org_id, "county": COUNTY, **fields}
    if purpose == "seal":
        statement["public_key"] = public_key_text(seal_key)
    return statement, sign(seal_key, statement_bytes(statement))


def member(as_, org, username="member"):
    """A worker acting for a member of `org` (its seal is submitted by its own people)."""
    return as_(roles=("finance",), kind=org["kind"], scope=org["org_id"], username=username,
               org_id=org["org_id"])  # fmt: skip


def registrar_desk(as_, tree):
    """The finance bureau's registrar, sending confirmations its pinned key signed."""
    return as_(roles=("auditor",), kind="finance_bureau", scope=COUNTY, username="cai.registrar",
               org_id="org-finance-bureau")  # fmt: skip


def confirmed_seal(as_, tree, token_keys, org, seal_key=None, replaces=None):
    seal_key = seal_key or new_signing_key()
    member(as_, org).register_seal(org["org_id"], *seal_statement(org["org_id"], seal_key), key())
    confirmation, signature = token_keys.registrar.confirmation(
        org["org_id"], org["kind"], seal_key, replaces=replaces
    )
    registrar_desk(as_, tree).confirm_seal(confirmation, signature, key())
    return seal_key


def certificate(org, person, personal, limit_fen=5_000_000):
    return {
        "user_id": person["user_id"],
        "public_key": public_key_text(personal),
        "limit_fen": limit_fen,
        "issued_at": "2026-11-28T00:00:00+00:00",
    }


def hr_signatory(tree, hr_seal):
    """wang.hr of the HR company, with a personal key `hr_seal` certified."""
    person = new_user(tree, roles=("hr_operator",), org=tree.hr, username="wang.hr")
    statement = certificate(tree.hr, person, new_signing_key())
    tree.admin.enroll_signing_key(
        *seal_statement(tree.hr["org_id"], hr_seal, "certify", **statement), key()
    )
    return person


def test_a_seal_must_prove_it_holds_its_private_half(tree, as_):
    seal_key, other = new_signing_key(), new_signing_key()
    statement, _ = seal_statement(tree.hr["org_id"], seal_key)
    with pytest.raises(SealRejected):
        member(as_, tree.hr).register_seal(
            tree.hr["org_id"], statement, sign(other, statement_bytes(statement)), key()
        )
    registered = member(as_, tree.hr).register_seal(
        tree.hr["org_id"], statement, sign(seal_key, statement_bytes(statement)), key()
    )
    assert len(registered["fingerprint"].split()) == 16 and registered["status"] == "pending"


def test_nobody_outside_an_organisation_submits_its_seal(tree, as_):
    # The review's attack: an auditor (or the county admin) registering an HR company's seal
    # first, so the company could never register its own.
    squatter = new_signing_key()
    for outsider in (registrar_desk(as_, tree), tree.admin):
        with pytest.raises(SealRejected, match="member of its own organisation"):
            outsider.register_seal(
                tree.hr["org_id"], *seal_statement(tree.hr["org_id"], squatter), key()
            )


def test_one_admin_alone_cannot_make_a_seal_count(tree, as_, token_keys):
    """The single-admin path of the review: create an HR company, 'its' user, 'its' seal, certify
    'its' signatory. It stops at the first step that needs the second organisation."""
    admin, shell = tree.admin, tree.hr  # the admin registered this "HR company" in `tree`
    person = new_user(tree, roles=("hr_operator",), org=shell, username="shell.hr")
    fake_seal = new_signing_key()
    as_person = member(as_, shell, username="shell.hr")
    as_person.register_seal(shell["org_id"], *seal_statement(shell["org_id"], fake_seal), key())
    personal = new_signing_key()
    statement, signature = seal_statement(
        shell["org_id"], fake_seal, "certify", **certificate(shell, person, personal)
    )
    with pytest.raises(SealNotEffective):
        admin.enroll_signing_key(statement, signature, key())
    # A "registrar" key of the admin's own: not pinned, so its confirmation counts for nothing.
    own_key = new_signing_key()
    confirmation, forged = token_keys.registrar.confirmation(
        shell["org_id"], "hr_company", fake_seal, key=own_key
    )
    with pytest.raises(RegistrarSignatureRejected):
        registrar_desk(as_, tree).confirm_seal(confirmation, forged, key())
    # The admin's token cannot send confirmations at all, nor can the company's own people
    # (even with a confirmation the registrar signed: it comes from the other organisation).
    with pytest.raises(Forbidden):
        admin.confirm_seal(confirmation, forged, key())
    real, real_signature = token_keys.registrar.confirmation(
        shell["org_id"], "hr_company", fake_seal
    )
    with pytest.raises(Forbidden):
        as_person.confirm_seal(real, real_signature, key())
    with pytest.raises(SealRejected, match="another organisation"):
        as_(roles=("auditor",), kind="hr_company", scope=shell["org_id"], username="x",
            org_id=shell["org_id"]).confirm_seal(real, real_signature, key())  # fmt: skip
    assert [s["status"] for s in admin.list_seals(org_id=shell["org_id"])] == ["pending"]


def test_a_squatted_submission_cannot_block_the_real_seal(tree, as_, token_keys):
    squatter, real = new_signing_key(), new_signing_key()
    rogue = member(as_, tree.hr, username="rogue")
    rogue.register_seal(tree.hr["org_id"], *seal_statement(tree.hr["org_id"], squatter), key())
    confirmed_seal(as_, tree, token_keys, tree.hr, real)
    states = {
        s["fingerprint"]: s["status"] for s in tree.admin.list_seals(org_id=tree.hr["org_id"])
    }
    assert states == {fingerprint(squatter): "superseded", fingerprint(real): "effective"}
    assert tree.admin.list_seals(status="pending") == []
    from prometheus_client import REGISTRY

    tree.admin.refresh_gauges()
    assert REGISTRY.get_sample_value("sanbao_registry_seals", {"status": "superseded"}) == 1


def test_only_an_organisations_own_confirmed_seal_can_make_its_signatories(tree, as_, token_keys):
    county_seal = confirmed_seal(as_, tree, token_keys, tree.county)
    hr_seal = confirmed_seal(as_, tree, token_keys, tree.hr)
    hr_person = new_user(tree, roles=("hr_operator",), org=tree.hr, username="wang.hr")
    personal = new_signing_key()
    certify = certificate(tree.hr, hr_person, personal)
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
    # A certificate with a field more (or less) than a certificate has is refused.
    padded, padded_signature = seal_statement(
        tree.hr["org_id"], hr_seal, "certify", **certify, note="也可签批其他账户"
    )
    with pytest.raises(SigningKeyRejected, match="exactly the fields"):
        tree.admin.enroll_signing_key(padded, padded_signature, key())
    # The HR company's own confirmed seal can.
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


def test_a_replaced_or_revoked_seal_takes_what_it_certified_with_it(tree, as_, token_keys):
    old = confirmed_seal(as_, tree, token_keys, tree.hr)
    person = hr_signatory(tree, old)
    new = new_signing_key()
    member(as_, tree.hr).register_seal(
        tree.hr["org_id"], *seal_statement(tree.hr["org_id"], new), key()
    )
    # The replacement must name the seal it replaces.
    confirmation, signature = token_keys.registrar.confirmation(
        tree.hr["org_id"], "hr_company", new
    )
    with pytest.raises(SealRejected, match="replaces"):
        registrar_desk(as_, tree).confirm_seal(confirmation, signature, key())
    confirmation, signature = token_keys.registrar.confirmation(
        tree.hr["org_id"], "hr_company", new, replaces=fingerprint(old)
    )
    registrar_desk(as_, tree).confirm_seal(confirmation, signature, key())
    keys = tree.admin.list_signing_keys(tree.hr["org_id"])
    assert [k["revoked_at"] is not None for k in keys] == [True]
    states = {
        s["fingerprint"]: s["status"] for s in tree.admin.list_seals(org_id=tree.hr["org_id"])
    }
    assert states == {fingerprint(old): "revoked", fingerprint(new): "effective"}
    # The old seal certifies no one any more.
    again = new_signing_key()
    with pytest.raises(SealRejected):
        tree.admin.enroll_signing_key(
            *seal_statement(
                tree.hr["org_id"], old, "certify", **certificate(tree.hr, person, again)
            ),
            key(),
        )
    # A lost seal is revoked by the registrar's signed revocation, sent by the organisation.
    statement, signature = token_keys.registrar.revocation(tree.hr["org_id"], fingerprint(new))
    with pytest.raises(SealRejected, match="its organisation or the registrar"):
        member(as_, tree.county).revoke_seal(statement, signature, key())
    forged = sign(new_signing_key(), statement_bytes(statement))
    with pytest.raises(RegistrarSignatureRejected):
        member(as_, tree.hr).revoke_seal(statement, forged, key())
    assert member(as_, tree.hr).revoke_seal(statement, signature, key())["status"] == "revoked"
    assert tree.admin.list_seals(status="effective") == []


def test_seal_audit_names_what_an_upgraded_county_must_redo(tree, as_, token_keys, db):
    hr_seal = confirmed_seal(as_, tree, token_keys, tree.hr)
    hr_signatory(tree, hr_seal)
    pending = new_signing_key()
    member(as_, tree.county).register_seal(
        tree.county["org_id"], *seal_statement(tree.county["org_id"], pending), key()
    )
    assert tree.admin.audit_seals() == [
        {"kind": "seal", "org_id": tree.county["org_id"], "fingerprint": fingerprint(pending),
         "status": "pending",
         "problem": "not confirmed by a seal registrar: it opens nothing and certifies no one"}
    ]  # fmt: skip
    # A seal made effective behind the registrar's back (a database edit) is named too, and so
    # is every key it certified.
    from sqlalchemy import update

    from registry.adapters.tables import seals

    with db.unit_of_work() as uow:
        uow.connection.execute(
            update(seals)
            .where(seals.c.fingerprint == fingerprint(hr_seal))
            .values(confirmation_signature=sign(new_signing_key(), b"x"))
        )
        uow.commit()
    kinds = sorted(f["kind"] for f in tree.admin.audit_seals())
    assert kinds == ["certificate", "seal", "seal"]


def test_the_bootstrap_runs_once(db, settings):
    from registry.directory.use_cases import bootstrap

    with db.unit_of_work() as uow:
        user, password = bootstrap(uow, COUNTY, "admin", 1024)
        uow.commit()
    assert set(user.roles) == {"county_admin", "coop_operator"} and len(password) == 16
    with pytest.raises(UserRejected, match="already has users"), db.unit_of_work() as uow:
        bootstrap(uow, COUNTY, "admin2", 1024)


# -- tokens withdrawn (sanbao_common.revocations; every service: tests/interface) ---------------


def revoked_for(db, user_id) -> list[str]:
    """The reasons of the `user_tokens_revoked` events registry wrote for `user_id`; each comes
    with the user's row in `token_revocations`."""
    from sqlalchemy import select

    from sanbao_common.messaging.tables import OUTBOX
    from sanbao_common.revocations import TOKEN_REVOCATIONS

    with db.reader() as uow:
        bodies = uow.connection.execute(
            select(OUTBOX.c.body).where(OUTBOX.c.event_type == "user_tokens_revoked")
        ).scalars()
        reasons = [
            payload["reason"]
            for payload in (json.loads(body)["payload"] for body in bodies)
            if payload["user_id"] == user_id
        ]
        kept = uow.connection.execute(
            select(TOKEN_REVOCATIONS.c.user_id).where(TOKEN_REVOCATIONS.c.user_id == user_id)
        ).all()
    assert bool(kept) == bool(reasons)
    return reasons


def test_a_seal_signature_over_anything_but_a_key_revocation_revokes_no_key(tree, as_, token_keys):
    """A seal signs whatever it is handed: terms shaped to carry a revocation's fields besides an
    agreement's (what a tampered reply could put before the seal) revoke nobody's key."""
    hr_seal = confirmed_seal(as_, tree, token_keys, tree.hr)
    hr_signatory(tree, hr_seal)
    fingerprint_ = tree.admin.list_signing_keys(tree.hr["org_id"])[0]["fingerprint"]
    statement, signature = seal_statement(
        tree.hr["org_id"], hr_seal, "revoke", key_fingerprint=fingerprint_, reason="离职",
        revoked_at="2026-11-29T00:00:00+00:00", hr_company=tree.hr["org_id"],
        hr_company_seal=fingerprint(hr_seal),
    )  # fmt: skip
    with pytest.raises(SealRejected, match="not a key revocation"):
        tree.admin.revoke_signing_key(statement, signature, key())
    assert tree.admin.list_signing_keys(tree.hr["org_id"])[0]["revoked_at"] is None


def test_a_signatory_who_loses_a_key_loses_the_token_that_carried_it(tree, as_, token_keys, db):
    from sanbao_common.revocations import RevocationList

    hr_seal = confirmed_seal(as_, tree, token_keys, tree.hr)
    person = hr_signatory(tree, hr_seal)
    token = as_().login("wang.hr", person["one_time_password"])["token"]
    held = verify_token(token, [token_keys.private_key.public_key()], COUNTY)
    assert "signatory" in held.roles and revoked_for(db, person["user_id"]) == []
    fingerprint_ = tree.admin.list_signing_keys(tree.hr["org_id"])[0]["fingerprint"]
    statement, signature = seal_statement(
        tree.hr["org_id"], hr_seal, "revoke", key_fingerprint=fingerprint_, reason="离职",
        revoked_at="2026-11-29T00:00:00+00:00",
    )  # fmt: skip
    tree.admin.revoke_signing_key(statement, signature, key())
    assert revoked_for(db, person["user_id"]) == ["signing_key_revoked"]
    issued = datetime.fromisoformat(held.issued_at)
    assert RevocationList(lambda: db).voids(person["user_id"], issued)


def test_a_retired_seal_withdraws_the_tokens_of_the_keys_it_certified(tree, as_, token_keys, db):
    old = confirmed_seal(as_, tree, token_keys, tree.hr)
    person = hr_signatory(tree, old)
    bystander = new_user(tree, roles=("hr_operator",), org=tree.hr, username="zhou.hr")
    new = new_signing_key()
    member(as_, tree.hr).register_seal(
        tree.hr["org_id"], *seal_statement(tree.hr["org_id"], new), key()
    )
    confirmation, signature = token_keys.registrar.confirmation(
        tree.hr["org_id"], "hr_company", new, replaces=fingerprint(old)
    )
    registrar_desk(as_, tree).confirm_seal(confirmation, signature, key())
    assert revoked_for(db, person["user_id"]) == ["signing_key_revoked"]
    assert revoked_for(db, bystander["user_id"]) == []


def test_a_granted_role_withdraws_nothing_and_a_narrower_area_does(tree, db):
    agent = new_user(tree, roles=("coop_operator",), username="chen.op")
    tree.admin.change_user_roles(
        agent["user_id"], ["coop_operator", "agent"], tree.group["group_code"], key()
    )
    assert revoked_for(db, agent["user_id"]) == ["roles_reduced"]  # now scoped to a group
    other = tree.admin.register_village_group(tree.villages[0]["org_id"], 4, "第四村民小组", key())
    tree.admin.change_user_roles(
        agent["user_id"], ["coop_operator", "agent"], other["group_code"], key()
    )
    assert revoked_for(db, agent["user_id"]) == ["roles_reduced"] * 2
    operator = new_user(tree, roles=("coop_operator",), org=tree.county, username="lin.op")
    tree.admin.change_user_roles(operator["user_id"], ["coop_operator", "finance"], None, key())
    tree.admin.set_user_active(operator["user_id"], True, key())
    assert revoked_for(db, operator["user_id"]) == []
