"""The county's directory: its organisations, village groups, users, seals and signing keys.
Pure Python: the rules of who is who; storage and tokens live elsewhere."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from registry.exceptions import (
    AccountLocked,
    OrganisationInactive,
    OrganisationRejected,
    PasswordRejected,
    SealRejected,
    SigningKeyRejected,
    SignInRateLimited,
    UserRejected,
)
from sanbao_common.access import COUNTY_ADMIN, ROLES, SEAL_GRANTED_ROLES
from sanbao_common.validators import DivisionCode

COUNTY_COOP = "county_coop"
TOWNSHIP_COOP = "township_coop"
VILLAGE_COOP = "village_coop"
HR_COMPANY = "hr_company"
FINANCE_BUREAU = "finance_bureau"
AUDIT_BUREAU = "audit_bureau"
# kind -> the level of division code it is tied to (None: a company, tied to its credit code).
KINDS = {
    COUNTY_COOP: "county",
    TOWNSHIP_COOP: "township",
    VILLAGE_COOP: "village",
    HR_COMPANY: None,
    FINANCE_BUREAU: "county",
    AUDIT_BUREAU: "county",
}
PARENT_KIND = {TOWNSHIP_COOP: COUNTY_COOP, VILLAGE_COOP: TOWNSHIP_COOP}
COOPERATIVES = frozenset({COUNTY_COOP, TOWNSHIP_COOP, VILLAGE_COOP})
# role -> kinds of organisation whose people may hold it.
ROLE_HOLDERS = {
    "county_admin": frozenset({COUNTY_COOP}),
    "coop_operator": COOPERATIVES,
    "agent": frozenset({VILLAGE_COOP}),
    "hr_operator": frozenset({HR_COMPANY}),
    "finance": frozenset({COUNTY_COOP, HR_COMPANY}),  # the two that co-manage a joint account
    "auditor": frozenset({FINANCE_BUREAU, AUDIT_BUREAU}),
}
USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,31}$")
MIN_PASSWORD = 12


@dataclass(frozen=True)
class Organisation:
    org_id: str
    kind: str
    name: str
    division_code: str | None
    credit_code: str | None
    parent_id: str | None
    active: bool
    version: int
    changed_at: datetime
    changed_by: str

    @property
    def scope(self) -> str:
        return self.division_code or self.org_id


def check_name(name: str) -> str:
    name = " ".join(str(name or "").split())
    if not 2 <= len(name) <= 100:
        raise OrganisationRejected(
            message_en="a name has 2 to 100 characters", message_zh="名称应为 2 至 100 个字符"
        )
    return name


def check_placement(
    kind: str, division: DivisionCode | None, credit_code: str | None, parent, county: str
) -> None:
    """Where an organisation of this kind may sit: its code's level, its county, its parent."""
    if kind not in KINDS:
        raise OrganisationRejected(kind=kind)
    level = KINDS[kind]
    if level is None:
        if not credit_code:
            raise OrganisationRejected(
                message_en="an HR company needs its unified social credit code",
                message_zh="人力资源服务企业须提供统一社会信用代码",
            )
        return
    if division is None or division.level != level:
        raise OrganisationRejected(
            message_en=f"a {kind} is tied to a {level}-level division code",
            message_zh=f"{kind} 须对应{level}级行政区划代码",
        )
    if division.county != county:
        raise OrganisationRejected(
            message_en="the code is not in this county", message_zh="该代码不属于本县（市）"
        )
    expected_parent = PARENT_KIND.get(kind)
    if expected_parent is None:
        return
    if parent is None or parent.kind != expected_parent:
        raise OrganisationRejected(
            message_en=f"a {kind} belongs to a {expected_parent}",
            message_zh=f"{kind} 须隶属于 {expected_parent}",
        )
    if not parent.active:
        raise OrganisationInactive(org_id=parent.org_id)
    if not division.code.startswith(parent.division_code):
        raise OrganisationRejected(
            message_en=f"code {division.code} is not under its parent's {parent.division_code}",
            message_zh=f"代码 {division.code} 不在上级 {parent.division_code} 之下",
        )


def deactivate(org: Organisation, active_children: int, now: datetime, actor: str) -> Organisation:
    if not org.active:
        raise OrganisationInactive(org_id=org.org_id)
    if active_children:
        raise OrganisationRejected(
            message_en=f"{active_children} active organisations still belong to it",
            message_zh=f"仍有 {active_children} 个下属组织有效",
        )
    return replace(org, active=False, version=org.version + 1, changed_at=now, changed_by=actor)


def restore(
    org: Organisation, parent: Organisation | None, now: datetime, actor: str
) -> Organisation:
    if org.active:
        raise OrganisationRejected(
            message_en="the organisation is active", message_zh="该组织未停用"
        )
    if parent is not None and not parent.active:
        raise OrganisationInactive(org_id=parent.org_id)
    return replace(org, active=True, version=org.version + 1, changed_at=now, changed_by=actor)


def move_village(
    village: Organisation, township: Organisation, new_code: DivisionCode, now: datetime, actor: str
) -> Organisation:
    if village.kind != VILLAGE_COOP or not village.active:
        raise OrganisationRejected(
            message_en="only an active village cooperative can move",
            message_zh="只有有效的村级合作社可以调整隶属",
        )
    check_placement(VILLAGE_COOP, new_code, None, township, new_code.county)
    return replace(
        village,
        division_code=new_code.code,
        parent_id=township.org_id,
        version=village.version + 1,
        changed_at=now,
        changed_by=actor,
    )


# -- village groups -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VillageGroup:
    group_code: str  # the village's 12-digit code, "-", the group's 2-digit number
    village_org_id: str
    name: str
    active: bool


def group_code(village: Organisation, number: int) -> str:
    if village.kind != VILLAGE_COOP or not village.active:
        raise OrganisationRejected(
            message_en="village groups belong to an active village cooperative",
            message_zh="村民小组须隶属于有效的村级合作社",
        )
    if not 1 <= number <= 99:
        raise OrganisationRejected(
            message_en="a group number is 1 to 99", message_zh="组号应为 1 至 99"
        )
    return f"{village.division_code}-{number:02d}"


# -- users --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    """A member of staff. `phone`, `email`, `totp_secret` and `totp_pending` are in clear here
    only: they are stored sealed with the data key, and a repository given no key reads them as
    opaque `Sealed` values (which can be carried, never shown or used)."""

    user_id: str
    username: str
    display_name: str
    org_id: str
    roles: tuple[str, ...]
    village_group: str | None
    phone: str | None
    email: str | None
    password_hash: str
    must_change_password: bool
    totp_secret: str | None
    totp_pending: str | None
    failed_logins: int
    locked_until: datetime | None
    active: bool
    version: int
    changed_at: datetime
    changed_by: str
    extra: dict = field(default_factory=dict, compare=False)


def check_roles(roles, org: Organisation, village_group: VillageGroup | None) -> tuple[str, ...]:
    """Roles an administrator may give: the matrix's, fitting the organisation; `signatory` only
    ever comes from the organisation's seal."""
    roles = tuple(sorted(set(roles or ())))
    if not roles:
        raise UserRejected(
            message_en="a user needs at least one role", message_zh="用户至少需要一个角色"
        )
    for role in roles:
        if role in SEAL_GRANTED_ROLES:
            raise UserRejected(
                message_en=f"{role} is granted by the organisation's seal certifying a key, "
                "not by an administrator (sanbao seal certify)",
                message_zh=f"{role} 只能由组织印鉴认证密钥授予，管理员不能直接授予",
            )
        if role not in ROLES:
            raise UserRejected(role=role)
        if org.kind not in ROLE_HOLDERS[role]:
            raise UserRejected(
                message_en=f"people of a {org.kind} cannot hold {role}",
                message_zh=f"{org.kind} 的人员不能担任 {role}",
            )
    if "agent" in roles:
        if (
            village_group is None
            or village_group.village_org_id != org.org_id
            or not village_group.active
        ):
            raise UserRejected(
                message_en="an agent is attached to an active village group of its village",
                message_zh="劳务经纪人须隶属于本村有效的村民小组",
            )
    elif village_group is not None:
        raise UserRejected(
            message_en="only agents are attached to a village group",
            message_zh="只有劳务经纪人隶属于村民小组",
        )
    if not org.active:
        raise OrganisationInactive(org_id=org.org_id)
    return roles


def check_username(username: str) -> str:
    if not isinstance(username, str) or not USERNAME.match(username):
        raise UserRejected(
            message_en="a user name is 3 to 32 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter",
            message_zh="用户名须为 3 至 32 位小写字母、数字或 . _ -",
        )
    return username


def check_new_password(password: str, old_password: str | None) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD or password == old_password:
        raise PasswordRejected()


# -- sign-in ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInPolicy:
    """How hard guessing is made (registry's LOGIN_* settings): `max_failures` wrong proofs (a
    password or a code, at sign-in or when changing one's password or TOTP) lock an account for
    `lockout`; a user name gets `attempts` sign-ins per `window`, known or not, right or wrong."""

    max_failures: int
    lockout: timedelta
    attempts: int
    window: timedelta


def locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def check_not_locked(user: User, now: datetime) -> None:
    """A locked account proves nothing until the lock runs out: no sign-in, no password or TOTP
    change, not even with the right password."""
    if locked(user, now):
        raise AccountLocked(until=user.locked_until.isoformat(timespec="seconds"))


def check_attempts(attempts: int, window_start: datetime, policy: SignInPolicy) -> None:
    """The (attempts+1)th sign-in of a name within its window is refused, with when to retry."""
    if attempts > policy.attempts:
        retry_after = window_start + policy.window
        raise SignInRateLimited(retry_after=retry_after.isoformat(timespec="seconds"))


# What a retry of create_user / reset_user_password answers: the one-time password is shown in
# the first reply only, never stored (a stored reply is kept for days and replayed to retries).
PASSWORD_WITHHELD = {
    "password_shown": False,
    "message": (
        "the one-time password was shown once, in the first reply; reset the password again "
        "(sanbao user reset-password) to give the user a new one / 一次性密码仅在首次回复中显示，"
        "如需新密码请再次重置（sanbao user reset-password）"
    ),
}


def withhold_password(reply: dict) -> dict:
    """The reply to keep for retries: everything but the one-time password."""
    return {k: v for k, v in reply.items() if k != "one_time_password"} | PASSWORD_WITHHELD


def scope_of(user: User, org: Organisation) -> str:
    """The area (or company) a user's rights reach: an agent's village group, a cooperative's
    division code, otherwise the organisation itself."""
    if "agent" in user.roles and user.village_group:
        return user.village_group
    return org.division_code if org.kind in COOPERATIVES else org.org_id


def is_county_admin(user: User) -> bool:
    return COUNTY_ADMIN in user.roles


# -- seals and signing keys ---------------------------------------------------------------------


def check_statement(statement: dict, purpose: str, org: Organisation, county: str) -> None:
    if not isinstance(statement, dict) or statement.get("purpose") != purpose:
        raise SealRejected(message_en=f"not a {purpose} statement", message_zh="声明类型不符")
    if statement.get("organisation_id") != org.org_id or statement.get("county") != county:
        raise SealRejected(
            message_en="the statement names another organisation or county",
            message_zh="声明中的组织或县（市）不符",
        )
    if org.kind not in (COUNTY_COOP, HR_COMPANY):
        raise SigningKeyRejected(
            message_en="only the county cooperative and HR companies co-manage joint accounts",
            message_zh="只有县级劳务合作联社和人力资源服务企业共管账户",
        )
