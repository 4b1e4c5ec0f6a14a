"""The pure rules of the directory: where an organisation may sit, village groups, roles,
user names and passwords, scopes. No database, no broker."""

from datetime import UTC, datetime

import pytest

from registry.directory import domain as d
from registry.exceptions import (
    OrganisationInactive,
    OrganisationRejected,
    PasswordRejected,
    SealRejected,
    SigningKeyRejected,
    UserRejected,
)
from sanbao_common.validators import parse_division_code

COUNTY = "532501"
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def org(kind, code=None, org_id=None, active=True, parent_id=None, credit_code=None):
    return d.Organisation(
        org_id=org_id or f"{kind}-id", kind=kind, name="某组织", division_code=code,
        credit_code=credit_code, parent_id=parent_id, active=active, version=1,
        changed_at=NOW, changed_by="u",
    )  # fmt: skip


def user(roles, village_group=None):
    return d.User(
        user_id="u1", username="li.op", display_name="李", org_id="o", roles=tuple(roles),
        village_group=village_group, phone=None, email=None, password_hash="x",
        must_change_password=False, totp_secret=None, totp_pending=None, failed_logins=0,
        locked_until=None, active=True, version=1, changed_at=NOW, changed_by="u",
    )  # fmt: skip


COUNTY_COOP = org(d.COUNTY_COOP, COUNTY)
TOWNSHIP = org(d.TOWNSHIP_COOP, "532501001")
VILLAGE = org(d.VILLAGE_COOP, "532501001201")
HR = org(d.HR_COMPANY, credit_code="91530000MA6K000000")


def test_a_township_sits_under_the_county_cooperative_and_inside_the_county():
    township = parse_division_code("532501001")
    d.check_placement(d.TOWNSHIP_COOP, township, None, COUNTY_COOP, COUNTY)
    with pytest.raises(OrganisationRejected):  # a village's parent is a township
        d.check_placement(d.VILLAGE_COOP, parse_division_code("532501001201"), None,
                          COUNTY_COOP, COUNTY)  # fmt: skip
    with pytest.raises(OrganisationRejected):  # another county's code
        d.check_placement(d.TOWNSHIP_COOP, parse_division_code("532528001"), None,
                          COUNTY_COOP, COUNTY)  # fmt: skip
    with pytest.raises(OrganisationRejected):  # a village code for a township
        d.check_placement(d.TOWNSHIP_COOP, parse_division_code("532501001201"), None,
                          COUNTY_COOP, COUNTY)  # fmt: skip


def test_a_village_must_lie_under_its_townships_code_and_an_active_parent():
    d.check_placement(d.VILLAGE_COOP, parse_division_code("532501001201"), None, TOWNSHIP, COUNTY)
    with pytest.raises(OrganisationRejected):
        d.check_placement(d.VILLAGE_COOP, parse_division_code("532501002201"), None,
                          TOWNSHIP, COUNTY)  # fmt: skip
    closed = org(d.TOWNSHIP_COOP, "532501001", active=False)
    with pytest.raises(OrganisationInactive):
        d.check_placement(d.VILLAGE_COOP, parse_division_code("532501001201"), None,
                          closed, COUNTY)  # fmt: skip


def test_an_hr_company_is_placed_by_its_credit_code():
    d.check_placement(d.HR_COMPANY, None, "91530000MA6K000000", None, COUNTY)
    with pytest.raises(OrganisationRejected):
        d.check_placement(d.HR_COMPANY, None, None, None, COUNTY)


def test_deactivating_needs_no_active_children_and_restoring_an_active_parent():
    with pytest.raises(OrganisationRejected):
        d.deactivate(TOWNSHIP, active_children=2, now=NOW, actor="a")
    closed = d.deactivate(TOWNSHIP, active_children=0, now=NOW, actor="a")
    assert (closed.active, closed.version, closed.changed_by) == (False, 2, "a")
    with pytest.raises(OrganisationInactive):
        d.deactivate(closed, 0, NOW, "a")
    with pytest.raises(OrganisationInactive):
        d.restore(org(d.VILLAGE_COOP, "532501001201", active=False), closed, NOW, "a")
    assert d.restore(closed, COUNTY_COOP, NOW, "a").active


def test_a_village_moves_under_another_township_with_its_new_code():
    other = org(d.TOWNSHIP_COOP, "532501002", org_id="t2")
    moved = d.move_village(VILLAGE, other, parse_division_code("532501002201"), NOW, "a")
    assert (moved.division_code, moved.parent_id, moved.version) == ("532501002201", "t2", 2)
    with pytest.raises(OrganisationRejected):  # the code must lie under the new township
        d.move_village(VILLAGE, other, parse_division_code("532501003201"), NOW, "a")


def test_village_groups_are_numbered_1_to_99_within_an_active_village():
    assert d.group_code(VILLAGE, 3) == "532501001201-03"
    for number in (0, 100):
        with pytest.raises(OrganisationRejected):
            d.group_code(VILLAGE, number)
    with pytest.raises(OrganisationRejected):
        d.group_code(TOWNSHIP, 3)


def test_roles_must_fit_the_organisation_and_signatory_comes_only_from_a_seal():
    assert d.check_roles(["finance", "coop_operator", "finance"], COUNTY_COOP, None) == (
        "coop_operator",
        "finance",
    )
    for roles, organisation in ((["hr_operator"], COUNTY_COOP), (["auditor"], HR), ([], HR)):
        with pytest.raises(UserRejected):
            d.check_roles(roles, organisation, None)
    with pytest.raises(UserRejected):
        d.check_roles(["signatory"], COUNTY_COOP, None)


def test_an_agent_and_only_an_agent_belongs_to_a_group_of_its_village():
    group = d.VillageGroup("532501001201-03", VILLAGE.org_id, "三组", True)
    assert d.check_roles(["agent"], VILLAGE, group) == ("agent",)
    with pytest.raises(UserRejected):
        d.check_roles(["agent"], VILLAGE, None)
    with pytest.raises(UserRejected):
        d.check_roles(["agent"], VILLAGE, d.VillageGroup("x-01", "another", "一组", True))
    with pytest.raises(UserRejected):
        d.check_roles(["coop_operator"], VILLAGE, group)


def test_user_names_and_passwords():
    assert d.check_username("li.op") == "li.op"
    for bad in ("Li", "1abc", "ab", "a" * 33, None):
        with pytest.raises(UserRejected):
            d.check_username(bad)
    d.check_new_password("correct horse battery", "old password")
    for bad, old in (("short", None), ("same password!", "same password!")):
        with pytest.raises(PasswordRejected):
            d.check_new_password(bad, old)


def test_a_users_scope_is_their_group_their_cooperatives_area_or_their_company():
    assert d.scope_of(user(["agent"], "532501001201-03"), VILLAGE) == "532501001201-03"
    assert d.scope_of(user(["coop_operator"]), TOWNSHIP) == "532501001"
    assert d.scope_of(user(["hr_operator"]), HR) == HR.org_id
    assert d.is_county_admin(user(["county_admin"])) and not d.is_county_admin(user(["agent"]))


def test_a_statement_names_its_purpose_organisation_and_county():
    statement = {"purpose": "seal", "organisation_id": COUNTY_COOP.org_id, "county": COUNTY}
    d.check_statement(statement, "seal", COUNTY_COOP, COUNTY)
    with pytest.raises(SealRejected):
        d.check_statement(statement, "certify", COUNTY_COOP, COUNTY)
    with pytest.raises(SealRejected):
        d.check_statement(dict(statement, county="532528"), "seal", COUNTY_COOP, COUNTY)
    with pytest.raises(SigningKeyRejected):  # a township does not co-manage joint accounts
        d.check_statement(dict(statement, organisation_id=TOWNSHIP.org_id), "seal", TOWNSHIP,
                          COUNTY)  # fmt: skip


def test_a_lock_holds_until_it_runs_out_and_a_window_allows_its_attempts_only():
    from dataclasses import replace
    from datetime import timedelta

    from registry.exceptions import AccountLocked, SignInRateLimited

    locked = replace(user(["coop_operator"]), locked_until=NOW + timedelta(minutes=5))
    with pytest.raises(AccountLocked, match="until=2026-11-28T00:05:00"):
        d.check_not_locked(locked, NOW)
    d.check_not_locked(locked, NOW + timedelta(minutes=5))  # run out
    policy = d.SignInPolicy(5, timedelta(minutes=15), attempts=10, window=timedelta(minutes=5))
    d.check_attempts(10, NOW, policy)
    with pytest.raises(SignInRateLimited, match="retry_after=2026-11-28T00:05:00"):
        d.check_attempts(11, NOW, policy)


def test_a_stored_reply_never_keeps_a_one_time_password():
    kept = d.withhold_password({"user_id": "u1", "one_time_password": "x", "password_shown": True})
    assert kept["user_id"] == "u1" and "one_time_password" not in kept
    assert kept["password_shown"] is False and "reset" in kept["message"]
