"""The county's directory from the command line: organisations, village groups, agents' coverage
and users (seals and signatories' keys: `seals`)."""

from __future__ import annotations

import click

from sanbao_cli import output
from sanbao_cli.commands.villages import directory
from sanbao_cli.commands.vocabulary import vocabulary  # noqa: F401 (directory vocabulary)
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import KEY_OPTION
from sanbao_cli.session import Session, call_command

KINDS = [
    "county_coop",
    "township_coop",
    "village_coop",
    "hr_company",
    "finance_bureau",
    "audit_bureau",
]
ROLES = ["county_admin", "coop_operator", "agent", "hr_operator", "finance", "auditor"]
ORG_COLUMNS = ["org id", "kind", "name", "code", "active", "version"]


def _org_row(org: dict) -> list:
    code = org["division_code"] or org["credit_code"]
    return [org["org_id"], org["kind"], org["name"], code, org["active"], org["version"]]


# -- organisations ------------------------------------------------------------------------------


@click.group()
def org():
    """Cooperatives, HR companies, finance and audit bureaus (county administrators)."""


@org.command("register")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--name", required=True)
@click.option("--code", help="Division code: 6 digits (county), 9 (township), 12 (village).")
@click.option("--credit-code", help="Unified social credit code (HR companies).")
@click.option("--parent", help="The org id of the cooperative it belongs to (township, village).")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def org_register(session: Session, kind, name, code, credit_code, parent, idempotency_key, as_json):
    """Register an organisation of the county."""
    organisation = {
        "kind": kind,
        "name": name,
        "division_code": code,
        "credit_code": credit_code,
        "parent_id": parent,
    }
    result = call_command(
        session, "registry", "register_organisation", organisation, key=idempotency_key
    )
    output.emit(result, as_json, title="registered")


@org.command("list")
@click.option("--kind", type=click.Choice(KINDS))
@click.option("--under", help="Only those whose division code starts with this.")
@JSON_OPTION
@click.pass_obj
def org_list(session: Session, kind, under, as_json):
    """The county's organisations."""
    found = session.stack.call("registry", "list_organisations", kind, under)
    output.emit(found, as_json, lambda: output.rows(
        f"organisations ({len(found)})", ORG_COLUMNS, [_org_row(o) for o in found]
    ))  # fmt: skip


@org.command("show")
@click.argument("org_id")
@JSON_OPTION
@click.pass_obj
def org_show(session: Session, org_id, as_json):
    """One organisation and its history."""
    found = session.stack.call("registry", "get_organisation", org_id)

    def table():
        shown = {k: v for k, v in found.items() if k not in _ORG_PARTS}
        output.record("organisation", shown)
        _show_bank_account(found)
        output.rows(
            "history",
            ["at", "by", "action", "reason"],
            [[h["at"], h["by"], h["action"], h["reason"]] for h in found.get("history") or []],
        )

    output.emit(found, as_json, table)


# What `org show` prints in tables of their own, not in the organisation's record.
_ORG_PARTS = ("history", "bank_account", "bank_account_history")
_ACCOUNT_COLUMNS = ["version", "bank", "account name", "account number", "at", "by", "reason"]


def _show_bank_account(found: dict) -> None:
    """The current account (everyone sees it) and, for those registry shows them to, the ones
    before: who set each, when and why."""
    current = found.get("bank_account")
    if current is None:
        output.note("no bank account / 未登记银行账户")
    else:
        output.record("bank account / 银行账户", current)
    if "bank_account_history" in found:
        output.rows("bank account history / 银行账户变更记录", _ACCOUNT_COLUMNS, [
            [a["version"], a["bank_name"], a["account_name"], a["account_number"],
             a["changed_at"], a["changed_by"], a["reason"]]
            for a in found["bank_account_history"]
        ])  # fmt: skip


@org.command("bank-account")
@click.argument("org_id")
@click.option("--bank-name", required=True, help="The bank and branch (开户行).")
@click.option("--account-name", required=True, help="The account's name (户名).")
@click.option("--account-number", required=True, help="The account number, digits only (账号).")
@click.option("--reason", required=True)
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def org_bank_account(
    session: Session, org_id, bank_name, account_name, account_number, reason, idempotency_key,
    as_json,
):  # fmt: skip
    """Set where an organisation's money goes (county administrators: any organisation's; a
    finance person: their own). The accounts before stay on record with who changed them."""
    account = {
        "bank_name": bank_name,
        "account_name": account_name,
        "account_number": account_number,
    }
    result = call_command(
        session, "registry", "set_bank_account", org_id, account, reason, key=idempotency_key
    )
    output.emit(result, as_json, title=f"bank account, version {result['version']}")


@org.command("deactivate")
@click.argument("org_id")
@click.option("--reason", required=True)
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def org_deactivate(session: Session, org_id, reason, idempotency_key, as_json):
    """Deactivate an organisation (nothing is deleted; `restore` undoes it)."""
    result = call_command(
        session, "registry", "deactivate_organisation", org_id, reason, key=idempotency_key
    )
    output.emit(result, as_json, title="deactivated")


@org.command("restore")
@click.argument("org_id")
@click.option("--reason", required=True)
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def org_restore(session: Session, org_id, reason, idempotency_key, as_json):
    """Restore a deactivated organisation."""
    result = call_command(
        session, "registry", "restore_organisation", org_id, reason, key=idempotency_key
    )
    output.emit(result, as_json, title="restored")


@org.command("move-village")
@click.argument("org_id")
@click.option("--township", required=True, help="The org id of the township it moves to.")
@click.option("--code", required=True, help="Its new 12-digit village code.")
@click.option("--reason", required=True)
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def org_move_village(session: Session, org_id, township, code, reason, idempotency_key, as_json):
    """Move a village cooperative to another township (re-coded; history kept)."""
    result = call_command(
        session, "registry", "move_village", org_id, township, code, reason, key=idempotency_key
    )
    output.emit(result, as_json, title="moved")


@click.group()
def group():
    """Village groups (村民小组)."""


@group.command("register")
@click.option("--village", required=True, help="The org id of the village cooperative.")
@click.option("--number", type=click.IntRange(1, 99), required=True)
@click.option("--name", required=True)
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def group_register(session: Session, village, number, name, idempotency_key, as_json):
    """Register a village group of a village."""
    result = call_command(
        session, "registry", "register_village_group", village, number, name, key=idempotency_key
    )
    output.emit(result, as_json, title="registered")


@click.group()
def agents():
    """Labour brokers (劳务经纪人) and the village groups they cover."""


@agents.command("coverage")
@click.option("--under", help="Only groups whose code starts with this (a township, a village).")
@JSON_OPTION
@click.pass_obj
def agents_coverage(session: Session, under, as_json):
    """Village groups without an agent: the guidance asks for at least one or two in each."""
    report = session.stack.call("registry", "agent_coverage", under)
    missing = report["without_agent"]
    output.emit(report, as_json, lambda: output.rows(
        f"{len(missing)} of {report['groups']} village groups have no agent",
        ["group", "name"],
        [[g["group_code"], g["name"]] for g in missing],
    ))  # fmt: skip


# -- users --------------------------------------------------------------------------------------


@click.group()
def user():
    """Users of the county (county administrators)."""


@user.command("create")
@click.option("--username", required=True)
@click.option("--name", required=True, help="The person's name.")
@click.option("--org", "org_id", required=True, help="The org id they belong to.")
@click.option("--role", "roles", type=click.Choice(ROLES), multiple=True, required=True)
@click.option("--group", "village_group", help="Agents: their village group code.")
@click.option("--phone")
@click.option("--email")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def user_create(
    session: Session, username, name, org_id, roles, village_group, phone, email, idempotency_key,
    as_json=False,
):  # fmt: skip
    """Create a user; their one-time password is shown once, here."""
    new = {
        "username": username,
        "display_name": name,
        "org_id": org_id,
        "roles": list(roles),
        "village_group": village_group,
        "phone": phone,
        "email": email,
    }
    _show_with_password(
        "created",
        call_command(session, "registry", "create_user", new, key=idempotency_key),
        as_json,
    )


@user.command("list")
@click.option("--org", "org_id")
@JSON_OPTION
@click.pass_obj
def user_list(session: Session, org_id, as_json):
    """Users, with their roles."""
    found = session.stack.call("registry", "list_users", org_id)
    output.emit(found, as_json, lambda: output.rows(
        f"users ({len(found)})",
        ["user id", "username", "name", "roles", "group", "active"],
        [
            [
                u["user_id"],
                u["username"],
                u["display_name"],
                ", ".join(u["roles"]),
                u["village_group"],
                u["active"],
            ]
            for u in found
        ],
    ))  # fmt: skip


@user.command("roles")
@click.argument("user_id")
@click.option("--role", "roles", type=click.Choice(ROLES), multiple=True, required=True)
@click.option("--group", "village_group", help="Agents: their village group code.")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def user_roles(session: Session, user_id, roles, village_group, idempotency_key, as_json):
    """Give a user new roles (signatories are made by their organisation's seal instead). A role
    taken away stops working at once; a role given counts from the user's next sign-in."""
    changed = call_command(
        session, "registry", "change_user_roles", user_id, list(roles), village_group,
        key=idempotency_key,
    )  # fmt: skip
    output.emit(changed, as_json, title="changed")
    output.note(
        "A role given counts from the user's next sign-in (sanbao login) / 新授予的角色自该用户"
        "下次登录起生效",
        as_json,
    )


@user.command("deactivate")
@click.argument("user_id")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def user_deactivate(session: Session, user_id, idempotency_key, as_json):
    """Stop a user from signing in (their history stays)."""
    output.emit(
        call_command(session, "registry", "set_user_active", user_id, False, key=idempotency_key),
        as_json,
        title="deactivated",
    )


@user.command("activate")
@click.argument("user_id")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def user_activate(session: Session, user_id, idempotency_key, as_json):
    """Let a deactivated or locked-out user sign in again."""
    output.emit(
        call_command(session, "registry", "set_user_active", user_id, True, key=idempotency_key),
        as_json,
        title="activated",
    )


@user.command("reset-password")
@click.argument("user_id")
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def user_reset_password(session: Session, user_id, idempotency_key, as_json=False):
    """A new one-time password (shown once) and no second factor until they set one up."""
    _show_with_password(
        "reset",
        call_command(session, "registry", "reset_user_password", user_id, key=idempotency_key),
        as_json,
    )


def _show_with_password(title: str, reply: dict, as_json: bool = False) -> None:
    """A created or reset user. The one-time password is in the first reply only: a repeat with
    the same idempotency key (after a timeout, say) gets the user without it, and says so."""
    output.emit(reply, as_json, title=title)
    if reply.get("password_shown") is False:
        output.error(
            "PASSWORD_NOT_SHOWN",
            "the one-time password was shown once, in the first reply to this command, and is "
            f"not kept; to give the user a new one: sanbao user reset-password {reply['user_id']}",
        )


COMMANDS = (org, group, agents, user, directory)
