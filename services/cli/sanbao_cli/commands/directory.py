"""The county's directory from the command line: organisations, village groups, agents' coverage
and users (seals and signatories' keys: `seals`)."""

from __future__ import annotations

import click

from sanbao_cli import output
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
@click.pass_obj
def org_register(session: Session, kind, name, code, credit_code, parent, idempotency_key):
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
    output.record("registered", result)


@org.command("list")
@click.option("--kind", type=click.Choice(KINDS))
@click.option("--under", help="Only those whose division code starts with this.")
@click.pass_obj
def org_list(session: Session, kind, under):
    """The county's organisations."""
    found = session.stack.call("registry", "list_organisations", kind, under)
    output.rows(f"organisations ({len(found)})", ORG_COLUMNS, [_org_row(o) for o in found])


@org.command("show")
@click.argument("org_id")
@click.pass_obj
def org_show(session: Session, org_id):
    """One organisation and its history."""
    found = session.stack.call("registry", "get_organisation", org_id)
    history = found.pop("history")
    output.record("organisation", found)
    output.rows(
        "history",
        ["at", "by", "action", "reason"],
        [[h["at"], h["by"], h["action"], h["reason"]] for h in history],
    )


@org.command("deactivate")
@click.argument("org_id")
@click.option("--reason", required=True)
@KEY_OPTION
@click.pass_obj
def org_deactivate(session: Session, org_id, reason, idempotency_key):
    """Deactivate an organisation (nothing is deleted; `restore` undoes it)."""
    result = call_command(
        session, "registry", "deactivate_organisation", org_id, reason, key=idempotency_key
    )
    output.record("deactivated", result)


@org.command("restore")
@click.argument("org_id")
@click.option("--reason", required=True)
@KEY_OPTION
@click.pass_obj
def org_restore(session: Session, org_id, reason, idempotency_key):
    """Restore a deactivated organisation."""
    result = call_command(
        session, "registry", "restore_organisation", org_id, reason, key=idempotency_key
    )
    output.record("restored", result)


@org.command("move-village")
@click.argument("org_id")
@click.option("--township", required=True, help="The org id of the township it moves to.")
@click.option("--code", required=True, help="Its new 12-digit village code.")
@click.option("--reason", required=True)
@KEY_OPTION
@click.pass_obj
def org_move_village(session: Session, org_id, township, code, reason, idempotency_key):
    """Move a village cooperative to another township (re-coded; history kept)."""
    result = call_command(
        session, "registry", "move_village", org_id, township, code, reason, key=idempotency_key
    )
    output.record("moved", result)


@click.group()
def group():
    """Village groups (村民小组)."""


@group.command("register")
@click.option("--village", required=True, help="The org id of the village cooperative.")
@click.option("--number", type=click.IntRange(1, 99), required=True)
@click.option("--name", required=True)
@KEY_OPTION
@click.pass_obj
def group_register(session: Session, village, number, name, idempotency_key):
    """Register a village group of a village."""
    result = call_command(
        session, "registry", "register_village_group", village, number, name, key=idempotency_key
    )
    output.record("registered", result)


@click.group()
def agents():
    """Labour brokers (劳务经纪人) and the village groups they cover."""


@agents.command("coverage")
@click.option("--under", help="Only groups whose code starts with this (a township, a village).")
@click.pass_obj
def agents_coverage(session: Session, under):
    """Village groups without an agent: the guidance asks for at least one or two in each."""
    report = session.stack.call("registry", "agent_coverage", under)
    missing = report["without_agent"]
    output.rows(
        f"{len(missing)} of {report['groups']} village groups have no agent",
        ["group", "name"],
        [[g["group_code"], g["name"]] for g in missing],
    )


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
@click.pass_obj
def user_create(
    session: Session, username, name, org_id, roles, village_group, phone, email, idempotency_key
):
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
        "created", call_command(session, "registry", "create_user", new, key=idempotency_key)
    )


@user.command("list")
@click.option("--org", "org_id")
@click.pass_obj
def user_list(session: Session, org_id):
    """Users, with their roles."""
    found = session.stack.call("registry", "list_users", org_id)
    output.rows(
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
    )


@user.command("roles")
@click.argument("user_id")
@click.option("--role", "roles", type=click.Choice(ROLES), multiple=True, required=True)
@click.option("--group", "village_group", help="Agents: their village group code.")
@KEY_OPTION
@click.pass_obj
def user_roles(session: Session, user_id, roles, village_group, idempotency_key):
    """Give a user new roles (signatories are made by their organisation's seal instead)."""
    output.record(
        "changed",
        call_command(
            session,
            "registry",
            "change_user_roles",
            user_id,
            list(roles),
            village_group,
            key=idempotency_key,
        ),
    )


@user.command("deactivate")
@click.argument("user_id")
@KEY_OPTION
@click.pass_obj
def user_deactivate(session: Session, user_id, idempotency_key):
    """Stop a user from signing in (their history stays)."""
    output.record(
        "deactivated",
        call_command(session, "registry", "set_user_active", user_id, False, key=idempotency_key),
    )


@user.command("activate")
@click.argument("user_id")
@KEY_OPTION
@click.pass_obj
def user_activate(session: Session, user_id, idempotency_key):
    """Let a deactivated or locked-out user sign in again."""
    output.record(
        "activated",
        call_command(session, "registry", "set_user_active", user_id, True, key=idempotency_key),
    )


@user.command("reset-password")
@click.argument("user_id")
@KEY_OPTION
@click.pass_obj
def user_reset_password(session: Session, user_id, idempotency_key):
    """A new one-time password (shown once) and no second factor until they set one up."""
    _show_with_password(
        "reset",
        call_command(session, "registry", "reset_user_password", user_id, key=idempotency_key),
    )


def _show_with_password(title: str, reply: dict) -> None:
    """A created or reset user. The one-time password is in the first reply only: a repeat with
    the same idempotency key (after a timeout, say) gets the user without it, and says so."""
    output.record(title, reply)
    if reply.get("password_shown") is False:
        output.error(
            "PASSWORD_NOT_SHOWN",
            "the one-time password was shown once, in the first reply to this command, and is "
            f"not kept; to give the user a new one: sanbao user reset-password {reply['user_id']}",
        )


COMMANDS = (org, group, agents, user)
