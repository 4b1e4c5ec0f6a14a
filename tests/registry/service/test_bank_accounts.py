"""Organisations' bank accounts through registry's entrypoints, on both databases: who may set
one (and, from the attacker's side, who may not), the history every change leaves with who, when
and why, what a refusal leaves behind (nothing), the `organisation_bank_account_changed` event
each change publishes in its own transaction, who sees the accounts before, and the resync."""

import dataclasses
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from registry.adapters.tables import directory_history, organisation_bank_accounts
from registry.directory.bank_account_repository import BankAccountRepository
from registry.directory.bank_account_use_cases import bank_accounts_changed
from registry.directory.bank_accounts import BankAccount
from registry.exceptions import ConcurrentBankAccountChange, OrganisationInactive
from sanbao_common.access import Forbidden, OutOfScope
from sanbao_common.context import Caller
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.idempotency import IdempotencyKeyConflict, IdempotencyKeyReused
from sanbao_common.messaging.tables import OUTBOX
from testkit import TEST_COUNTY, principal

EVENT = "organisation_bank_account_changed"
COOP_ACCOUNT = {
    "bank_name": "中国农业银行个旧支行",
    "account_name": "个旧市劳务合作联社",
    "account_number": "24050101040012345",
}
HR_ACCOUNT = {
    "bank_name": "中国建设银行红河分行营业部",
    "account_name": "红河人力资源有限公司",
    "account_number": "53050163630800000123",
}
MOMENT = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
MOVED_ACCOUNT = {
    "bank_name": "云南红河农村商业银行个旧支行",
    "account_name": "红河人力资源有限公司",
    "account_number": "2000123456789012",
}


def key() -> str:
    return uuid.uuid4().hex


def events(db) -> list[dict]:
    with db.reader() as uow:
        bodies = uow.connection.execute(
            select(OUTBOX.c.body).where(OUTBOX.c.event_type == EVENT).order_by(OUTBOX.c.position)
        )
        return [json.loads(body) for body in bodies.scalars()]


def snapshot(db) -> tuple:
    """Everything setting an account may write."""
    with db.reader() as uow:
        connection = uow.connection
        accounts = select(organisation_bank_accounts).order_by("org_id", "version")
        return (
            [tuple(row) for row in connection.execute(accounts)],
            connection.execute(select(func.count()).select_from(directory_history)).scalar(),
            connection.execute(select(func.count()).select_from(OUTBOX)).scalar(),
        )


@pytest.fixture
def as_(registry_worker):
    """A registry worker for a member of `org` (a registry reply) with `roles`."""

    def make(roles, org, username):
        area = org["division_code"] or org["org_id"]
        who = principal(roles, kind=org["kind"], scope=area, username=username)
        who = dataclasses.replace(who, organisation_id=org["org_id"])
        return registry_worker(who, actor=f"user:{username}")

    return make


@pytest.fixture
def orgs(registry_worker):
    """The county cooperative, a township's and an HR company, registered by the administrator."""
    admin = registry_worker(principal(["county_admin"]), actor="user:tester")
    coop = admin.register_organisation(
        {"kind": "county_coop", "name": "个旧市劳务合作联社", "division_code": TEST_COUNTY}, key()
    )
    township = admin.register_organisation(
        {"kind": "township_coop", "name": "老厂镇劳务合作社", "division_code": "532501001",
         "parent_id": coop["org_id"]},
        key(),
    )  # fmt: skip
    hr = admin.register_organisation(
        {"kind": "hr_company", "name": "红河人力资源有限公司", "credit_code": "91532501MA6K2XQ93P"},
        key(),
    )
    return dataclasses.make_dataclass("Orgs", ["coop", "township", "hr"])(coop, township, hr)


@pytest.fixture
def admin(as_, orgs):
    return as_(["county_admin"], orgs.coop, "wang.admin")


@pytest.fixture
def hr_finance(as_, orgs):
    return as_(["finance"], orgs.hr, "li.finance")


# -- setting and changing ---------------------------------------------------------------------


def test_an_organisation_starts_without_one_and_its_finance_person_sets_it(orgs, hr_finance, db):
    assert hr_finance.get_organisation(orgs.hr["org_id"])["bank_account"] is None
    set_ = hr_finance.set_bank_account(orgs.hr["org_id"], HR_ACCOUNT, "开立基本存款账户", key())
    assert set_ == HR_ACCOUNT | {
        "version": 1, "changed_at": set_["changed_at"], "changed_by": "user:li.finance",
    }  # fmt: skip
    shown = hr_finance.get_organisation(orgs.hr["org_id"])
    assert shown["bank_account"] == set_
    assert shown["bank_account_history"] == [set_ | {"reason": "开立基本存款账户"}]
    assert [(e["action"], e["by"], e["reason"]) for e in shown["history"]][-1] == (
        "bank_account_set", "user:li.finance", "开立基本存款账户",
    )  # fmt: skip
    assert len(events(db)) == 1


def test_a_change_is_a_new_version_and_the_one_before_stays_with_who_when_why(
    orgs, hr_finance, admin
):
    first = hr_finance.set_bank_account(orgs.hr["org_id"], HR_ACCOUNT, "开立基本存款账户", key())
    second = admin.set_bank_account(orgs.hr["org_id"], MOVED_ACCOUNT, "企业变更开户行", key())
    assert second["version"] == 2 and second["changed_by"] == "user:wang.admin"
    assert second["changed_at"] >= first["changed_at"]
    history = hr_finance.get_organisation(orgs.hr["org_id"])["bank_account_history"]
    assert history == [
        second | {"reason": "企业变更开户行"},
        first | {"reason": "开立基本存款账户"},
    ]


def test_the_same_details_again_make_no_new_version_and_publish_nothing(orgs, admin, db):
    first = admin.set_bank_account(orgs.coop["org_id"], COOP_ACCOUNT, "开立基本存款账户", key())
    before = snapshot(db)
    # Typed again with other spacing and full-width digits: the same account.
    again = dict(
        COOP_ACCOUNT,
        bank_name=" 中国农业银行个旧支行 ",
        account_number="２４０５０１０１０４００１２３４５",
    )
    assert admin.set_bank_account(orgs.coop["org_id"], again, "再次确认", key()) == first
    assert snapshot(db) == before


def test_an_inactive_organisation_gets_no_account(orgs, admin, db):
    admin.deactivate_organisation(orgs.hr["org_id"], "企业注销", key())
    before = snapshot(db)
    with pytest.raises(OrganisationInactive):
        admin.set_bank_account(orgs.hr["org_id"], HR_ACCOUNT, "开立基本存款账户", key())
    assert snapshot(db) == before


def test_a_retry_answers_the_first_reply_and_a_reused_key_is_refused(orgs, hr_finance, as_, db):
    sent = key()
    first = hr_finance.set_bank_account(orgs.hr["org_id"], HR_ACCOUNT, "开立基本存款账户", sent)
    assert hr_finance.set_bank_account(orgs.hr["org_id"], HR_ACCOUNT, "开立基本存款账户", sent) == (
        first
    )
    before = snapshot(db)
    with pytest.raises(IdempotencyKeyReused):
        hr_finance.set_bank_account(orgs.hr["org_id"], MOVED_ACCOUNT, "开立基本存款账户", sent)
    colleague = as_(["finance"], orgs.hr, "zhao.finance")
    with pytest.raises(IdempotencyKeyConflict):
        colleague.set_bank_account(orgs.hr["org_id"], HR_ACCOUNT, "开立基本存款账户", sent)
    assert snapshot(db) == before


# -- refused ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("details", "reason", "says"),
    [
        (dict(HR_ACCOUNT, account_number="5305016363080000012O"), "开户", "account_number"),
        (dict(HR_ACCOUNT, account_number="1234567"), "开户", "8 to 32 digits"),
        (dict(HR_ACCOUNT, account_number="1" * 33), "开户", "8 to 32 digits"),
        (dict(HR_ACCOUNT, account_number="5305 0163 6308 0000 0123"), "开户", "account_number"),
        (dict(HR_ACCOUNT, account_number="-53050163630800000123"), "开户", "account_number"),
        (dict(HR_ACCOUNT, account_number=53050163630800000123), "开户", "account_number"),
        (dict(HR_ACCOUNT, bank_name="行"), "开户", "bank_name"),
        (dict(HR_ACCOUNT, account_name="红" * 101), "开户", "account_name"),
        ({"bank_name": "中国建设银行", "account_name": "红河人力资源有限公司"}, "开户", "required"),
        (dict(HR_ACCOUNT, branch="营业部"), "开户", "branch"),
        ("53050163630800000123", "开户", "an object"),
        (HR_ACCOUNT, " 改", "reason"),
    ],
)
def test_bad_details_are_refused_with_nothing_written(orgs, hr_finance, db, details, reason, says):
    before = snapshot(db)
    with pytest.raises(InvalidInput, match=says):
        hr_finance.set_bank_account(orgs.hr["org_id"], details, reason, key())
    assert snapshot(db) == before


def test_a_finance_person_of_another_organisation_is_out_of_scope(orgs, as_, db):
    """The attacker: an HR company's finance person points the county cooperative's money at an
    account of their choosing."""
    before = snapshot(db)
    with pytest.raises(OutOfScope):
        as_(["finance"], orgs.hr, "li.finance").set_bank_account(
            orgs.coop["org_id"], dict(COOP_ACCOUNT, account_number="53050163630800000123"),
            "开户行变更", key(),
        )  # fmt: skip
    with pytest.raises(OutOfScope):  # nor the other way round
        as_(["finance"], orgs.coop, "zhou.finance").set_bank_account(
            orgs.hr["org_id"], HR_ACCOUNT, "开立基本存款账户", key()
        )
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("roles", "member_of"),
    [(["hr_operator"], "hr"), (["signatory"], "hr"), (["coop_operator"], "coop")],
)
def test_other_roles_set_no_account_not_even_their_own_organisations(
    orgs, as_, db, roles, member_of
):
    org = getattr(orgs, member_of)
    before = snapshot(db)
    with pytest.raises(Forbidden):
        as_(roles, org, "zhang.op").set_bank_account(
            org["org_id"], HR_ACCOUNT, "开立基本存款账户", key()
        )
    assert snapshot(db) == before


# -- the event ------------------------------------------------------------------------------------


def test_each_change_publishes_the_accounts_whole_state(orgs, hr_finance, admin, db):
    first = hr_finance.set_bank_account(orgs.hr["org_id"], HR_ACCOUNT, "开立基本存款账户", key())
    second = admin.set_bank_account(orgs.hr["org_id"], MOVED_ACCOUNT, "企业变更开户行", key())
    published = events(db)
    assert [(e["record_id"], e["version"], e["actor"]) for e in published] == [
        (orgs.hr["org_id"], 1, "user:li.finance"),
        (orgs.hr["org_id"], 2, "user:wang.admin"),
    ]
    assert [e["payload"] for e in published] == [
        {"org_id": orgs.hr["org_id"], "org_kind": "hr_company", "org_name": "红河人力资源有限公司",
         **first, "reason": "开立基本存款账户"},
        {"org_id": orgs.hr["org_id"], "org_kind": "hr_company", "org_name": "红河人力资源有限公司",
         **second, "reason": "企业变更开户行"},
    ]  # fmt: skip
    assert published[1]["payload"]["changed_at"].endswith("+00:00")


def test_a_version_stored_meanwhile_elsewhere_fails_this_change_whole(orgs, db):
    """The lock is PostgreSQL's only: a replica that stored the same version first wins, and this
    change stores nothing (its transaction rolls back), rather than a second account of one
    version."""
    account = BankAccount(
        orgs.hr["org_id"], 1, **HR_ACCOUNT, changed_at=MOMENT, changed_by="user:a", reason="开户"
    )
    with db.unit_of_work() as uow:
        BankAccountRepository(uow.connection).add(account)
        uow.commit()
    before = snapshot(db)
    with pytest.raises(ConcurrentBankAccountChange), db.unit_of_work() as uow:
        BankAccountRepository(uow.connection).add(dataclasses.replace(account, bank_name="另一行"))
    assert snapshot(db) == before


# -- who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "member_of", "sees_history"),
    [
        (["hr_operator"], "hr", True),  # the organisation's own people
        (["finance"], "hr", True),
        (["county_admin"], "coop", True),
        (["auditor"], None, True),
        (["finance"], "coop", False),  # another organisation's people
        (["coop_operator"], "township", False),
    ],
)
def test_the_accounts_before_are_for_the_organisations_own_people_admins_and_auditors(
    orgs, hr_finance, admin, as_, registry_worker, roles, member_of, sees_history
):
    hr_finance.set_bank_account(orgs.hr["org_id"], HR_ACCOUNT, "开立基本存款账户", key())
    current = admin.set_bank_account(orgs.hr["org_id"], MOVED_ACCOUNT, "企业变更开户行", key())
    if member_of is None:
        bureau = registry_worker(principal(["county_admin"])).register_organisation(
            {"kind": "audit_bureau", "name": "个旧市审计局", "division_code": TEST_COUNTY}, key()
        )
        reader = as_(roles, bureau, "sun.auditor")
    else:
        reader = as_(roles, getattr(orgs, member_of), "reader")
    shown = reader.get_organisation(orgs.hr["org_id"])
    assert shown["bank_account"] == current  # where the money goes: the directory's, for all
    actions = [entry["action"] for entry in shown["history"]]
    if sees_history:
        assert [a["version"] for a in shown["bank_account_history"]] == [2, 1]
        assert actions == ["registered", "bank_account_set", "bank_account_changed"]
    else:
        assert "bank_account_history" not in shown
        assert actions == ["registered"]
        assert MOVED_ACCOUNT["account_number"] not in json.dumps(shown["history"], default=str)
        assert HR_ACCOUNT["account_number"] not in json.dumps(shown, default=str)


def test_a_county_admins_change_shows_in_the_organisations_own_history_with_their_name(
    orgs, hr_finance, admin
):
    """The attacker: an administrator redirects a company's money; the company sees who did it,
    when and why, and the account it had before."""
    mine = hr_finance.set_bank_account(orgs.hr["org_id"], HR_ACCOUNT, "开立基本存款账户", key())
    admin.set_bank_account(orgs.hr["org_id"], MOVED_ACCOUNT, "据企业来函变更", key())
    seen = hr_finance.get_organisation(orgs.hr["org_id"])
    latest, before = seen["bank_account_history"]
    assert (latest["changed_by"], latest["reason"], latest["account_number"]) == (
        "user:wang.admin", "据企业来函变更", MOVED_ACCOUNT["account_number"],
    )  # fmt: skip
    assert before == mine | {"reason": "开立基本存款账户"}
    entry = seen["history"][-1]
    assert (entry["by"], entry["action"], entry["reason"]) == (
        "user:wang.admin", "bank_account_changed", "据企业来函变更",
    )  # fmt: skip
    assert entry["state"]["account_number"] == MOVED_ACCOUNT["account_number"]


# -- resync ---------------------------------------------------------------------------------------


def test_the_resync_source_sends_each_organisations_current_account_page_by_page(
    orgs, hr_finance, admin, db
):
    admin.set_bank_account(orgs.coop["org_id"], COOP_ACCOUNT, "开立基本存款账户", key())
    hr_finance.set_bank_account(orgs.hr["org_id"], HR_ACCOUNT, "开立基本存款账户", key())
    admin.set_bank_account(orgs.hr["org_id"], MOVED_ACCOUNT, "企业变更开户行", key())
    latest = {e["record_id"]: e for e in events(db)}  # the last event of each organisation
    operator = Caller(TEST_COUNTY, "cli:admin", "corr-resync")
    sent, after = [], None
    while True:
        with db.reader() as uow:
            page = bank_accounts_changed(uow, operator, after, 1)
        assert page.records == len(page.events) <= 1
        sent.extend(page.events)
        if page.after is None:
            break
        after = page.after
    assert sorted(e["record_id"] for e in sent) == sorted([orgs.coop["org_id"], orgs.hr["org_id"]])
    for envelope in sent:
        published = latest[envelope["record_id"]]
        assert envelope["type"] == EVENT and envelope["actor"] == "cli:admin"
        assert envelope["version"] == published["version"]
        assert envelope["payload"] == published["payload"]
        assert envelope["event_id"] != published["event_id"]
