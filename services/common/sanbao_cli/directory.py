"""The county's directory from the command line: organisations, village groups, users, seals
and signatories' keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import click

from sanbao_cli import output
from sanbao_cli.client import CliError
from sanbao_cli.main import Session, call_command, cli
from sanbao_cli.params import IDEMPOTENCY_KEY
from sanbao_common.crypto import (
    fingerprint,
    load_private_key,
    new_signing_key,
    public_key_text,
    save_private_key,
    sign,
    statement_bytes,
)
from sanbao_common.money import InvalidAmount, parse_yuan
from sanbao_common.seals import CONFIRM, REVOKE

KINDS = [
    "county_coop",
    "township_coop",
    "village_coop",
    "hr_company",
    "finance_bureau",
    "audit_bureau",
]
ROLES = ["county_admin", "coop_operator", "agent", "hr_operator", "finance", "auditor"]
KEY_OPTION = click.option(
    "--idempotency-key",
    type=IDEMPOTENCY_KEY,
    default=lambda: uuid.uuid4().hex,
    show_default="a new one",
    help="Repeat a command that may not have gone through.",
)
ORG_COLUMNS = ["org id", "kind", "name", "code", "active", "version"]


def _org_row(org: dict) -> list:
    code = org["division_code"] or org["credit_code"]
    return [org["org_id"], org["kind"], org["name"], code, org["active"], org["version"]]


# -- organisations ------------------------------------------------------------------------------


@cli.group()
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


@cli.group()
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


@cli.group()
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


@cli.group()
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
    output.record(
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
    output.record(
        "reset",
        call_command(session, "registry", "reset_user_password", user_id, key=idempotency_key),
    )


# -- seals and signatories' keys ----------------------------------------------------------------

PASSPHRASE = click.option(
    "--passphrase",
    envvar="SANBAO_KEY_PASSPHRASE",
    prompt=True,
    hide_input=True,
    help="Protects the private key file (env SANBAO_KEY_PASSPHRASE).",
)


def _load_key(path: str, passphrase: str):
    try:
        return load_private_key(path, passphrase)
    except (OSError, ValueError, TypeError) as exc:
        raise CliError("KEY_UNREADABLE", f"cannot open the key in {path}: {exc}") from None


def _new_key_file(out: str, passphrase: str):
    if Path(out).exists():
        raise CliError("KEY_FILE_EXISTS", f"{out} exists; a key file is never overwritten")
    key = new_signing_key()
    save_private_key(key, out, passphrase)
    return key


@cli.group()
def seal():
    """An organisation's seal (印鉴): the key that certifies who may sign for it, in effect once
    the finance bureau's seal registrar confirms it."""


@seal.command("new")
@click.option("--org", "org_id", required=True, help="The org id of your organisation.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Private key file.")
@PASSPHRASE
@KEY_OPTION
@click.pass_obj
def seal_new(session: Session, org_id, out, passphrase, idempotency_key):
    """Create your organisation's seal key, keep it in OUT, and submit its public half (as a
    member of the organisation); it counts once the finance bureau's seal registrar confirms it."""
    key = _new_key_file(out, passphrase)
    statement = {
        "purpose": "seal",
        "organisation_id": org_id,
        "county": session.county,
        "public_key": public_key_text(key),
    }
    result = call_command(
        session,
        "registry",
        "register_seal",
        org_id,
        statement,
        sign(key, statement_bytes(statement)),
        key=idempotency_key,
    )
    output.record(
        "seal submitted: pending until the finance bureau's seal registrar confirms it",
        {k: result.get(k) for k in ("org_id", "fingerprint", "status", "submitted_at")}
        | {"kept in": out},
    )
    output.console.print(
        "Until the finance bureau's seal registrar confirms it, this seal certifies no one and "
        "opens no joint account. Write this fingerprint into your paper filing with the finance "
        "bureau; its registrar checks it against the filing (sanbao seal confirm)."
    )


def _compact(text: str) -> str:
    """A fingerprint as typed (with or without the paper spacing) -> its 64 hex digits."""
    return "".join(ch for ch in text.lower() if ch in "0123456789abcdef")


def _find_seal(found: list, wanted: str) -> dict | None:
    return next((s for s in found if _compact(s["fingerprint"]) == _compact(wanted)), None)


SEAL_COLUMNS = ["org id", "fingerprint", "status", "submitted by", "submitted at", "filing ref"]


def _seal_row(seal: dict) -> list:
    paper = seal.get("confirmation") or seal.get("revocation") or {}
    return [
        seal["org_id"],
        seal["fingerprint"],
        seal["status"],
        seal["submitted_by"],
        seal["submitted_at"],
        paper.get("filing_ref") if isinstance(paper, dict) else None,
    ]


@seal.command("pending")
@click.pass_obj
def seal_pending(session: Session):
    """The seal registrar's queue: seals submitted and waiting for confirmation."""
    found = session.stack.call("registry", "list_seals", "pending", None)
    output.rows(
        f"seals waiting for the registrar's confirmation ({len(found)})",
        ["org id", "fingerprint", "submitted by", "submitted at"],
        [[s["org_id"], s["fingerprint"], s["submitted_by"], s["submitted_at"]] for s in found],
    )


@seal.command("list")
@click.option("--org", "org_id", help="Only this organisation's seals.")
@click.option("--status", type=click.Choice(["pending", "effective", "revoked", "superseded"]))
@click.pass_obj
def seal_list(session: Session, org_id, status):
    """Organisations' seals and their state (pending, effective, revoked, superseded)."""
    found = session.stack.call("registry", "list_seals", status, org_id)
    output.rows(f"seals ({len(found)})", SEAL_COLUMNS, [_seal_row(s) for s in found])


REGISTRAR_KEY = click.option(
    "--registrar-key",
    "registrar_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The seal registrar's own key (sanbao registrar new).",
)


@seal.command("confirm")
@REGISTRAR_KEY
@click.option("--fingerprint", "seal_fingerprint", required=True, help="The submitted seal's.")
@click.option("--filing-ref", required=True, help="The reference of the paper filing.")
@click.option(
    "--replaces",
    help="The organisation's seal in effect that this one replaces (its fingerprint).",
)
@PASSPHRASE
@KEY_OPTION
@click.pass_obj
def seal_confirm(
    session: Session,
    registrar_file,
    seal_fingerprint,
    filing_ref,
    replaces,
    passphrase,
    idempotency_key,
):
    """As the seal registrar: confirm a submitted seal, after checking its fingerprint against the
    organisation's paper filing. Signed with the registrar key this county pinned."""
    submitted = _find_seal(
        session.stack.call("registry", "list_seals", "pending", None), seal_fingerprint
    )
    if submitted is None:
        raise CliError(
            "SEAL_NOT_PENDING",
            f"no submitted seal waiting for confirmation has the fingerprint {seal_fingerprint} "
            "(sanbao seal pending lists them)",
        )
    organisation = session.stack.call("registry", "get_organisation", submitted["org_id"])
    effective = session.stack.call("registry", "list_seals", "effective", submitted["org_id"])
    current = effective[0]["fingerprint"] if effective else None
    if replaces is None and current is not None:
        raise CliError(
            "SEAL_REPLACES_REQUIRED",
            f"{submitted['org_id']} has a seal in effect ({current}); confirming another replaces "
            "it and revokes the keys it certified: check the filing of the change, then add "
            f"--replaces '{current}'",
        )
    if replaces is not None:
        if current is None or _compact(replaces) != _compact(current):
            raise CliError(
                "SEAL_REPLACES_WRONG",
                f"--replaces must name {submitted['org_id']}'s seal in effect: "
                f"{current or 'it has none, so leave --replaces out'}",
            )
        replaces = current
    registrar = _load_key(registrar_file, passphrase)
    confirmation = {
        "purpose": CONFIRM,
        "county": session.county,
        "organisation_id": submitted["org_id"],
        "organisation_kind": organisation["kind"],
        "fingerprint": submitted["fingerprint"],
        "public_key": submitted["public_key"],
        "filing_ref": filing_ref,
        "replaces": replaces,
        "registrar": fingerprint(registrar),
        "confirmed_at": datetime.now(UTC).isoformat(),
    }
    output.record(
        "you are confirming: compare the fingerprint with the paper filing",
        {
            "organisation": f"{organisation['name']} ({submitted['org_id']})",
            "kind": organisation["kind"],
            "fingerprint": submitted["fingerprint"],
            "filing ref": filing_ref,
            "replaces": replaces,
            "registrar key": confirmation["registrar"],
        },
    )
    result = call_command(
        session,
        "registry",
        "confirm_seal",
        confirmation,
        sign(registrar, statement_bytes(confirmation)),
        key=idempotency_key,
    )
    output.record(
        "seal confirmed: in effect from now on",
        {k: result.get(k) for k in ("org_id", "fingerprint", "status")},
    )


@seal.command("revoke-seal")
@REGISTRAR_KEY
@click.option("--org", "org_id", required=True, help="The org id whose seal is revoked.")
@click.option("--fingerprint", "seal_fingerprint", required=True)
@click.option("--filing-ref", required=True, help="The reference of the paper filing.")
@click.option("--reason", required=True, help="E.g. lost, or registered by someone else.")
@PASSPHRASE
@KEY_OPTION
@click.pass_obj
def seal_revoke_seal(
    session: Session,
    registrar_file,
    org_id,
    seal_fingerprint,
    filing_ref,
    reason,
    passphrase,
    idempotency_key,
):
    """As the seal registrar: revoke a lost or wrongly registered seal (what it certified stops
    counting). Sent by a member of the organisation or by an auditor."""
    known = _find_seal(session.stack.call("registry", "list_seals", None, org_id), seal_fingerprint)
    registrar = _load_key(registrar_file, passphrase)
    statement = {
        "purpose": REVOKE,
        "county": session.county,
        "organisation_id": org_id,
        "fingerprint": known["fingerprint"] if known else seal_fingerprint,
        "filing_ref": filing_ref,
        "reason": reason,
        "registrar": fingerprint(registrar),
        "revoked_at": datetime.now(UTC).isoformat(),
    }
    result = call_command(
        session,
        "registry",
        "revoke_seal",
        statement,
        sign(registrar, statement_bytes(statement)),
        key=idempotency_key,
    )
    output.record("seal revoked", {k: result.get(k) for k in ("org_id", "fingerprint", "status")})


@seal.command("audit")
@click.pass_obj
def seal_audit(session: Session):
    """Seals and certificates that would not pass today's rules: what to redo after upgrading."""
    findings = session.stack.call("registry", "audit_seals")
    if not findings:
        output.console.print("nothing to redo: every seal and certificate passes today's rules")
        return
    output.rows(
        f"to redo ({len(findings)})",
        ["kind", "org id", "fingerprint", "status or user", "problem"],
        [
            [
                f["kind"],
                f["org_id"],
                f["fingerprint"],
                f.get("status") or f.get("user_id"),
                f["problem"],
            ]
            for f in findings
        ],
    )


@seal.command("certify")
@click.option("--seal", "seal_file", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--org", "org_id", required=True)
@click.option("--user", "user_id", required=True, help="The user id of the signatory.")
@click.option("--public-key", required=True, help="The signatory's public key (sanbao keys new).")
@click.option("--limit", help="Most the signatory may approve in one payment, in yuan.")
@PASSPHRASE
@KEY_OPTION
@click.pass_obj
def seal_certify(
    session: Session, seal_file, org_id, user_id, public_key, limit, passphrase, idempotency_key
):
    """Certify with your seal that this person's key signs for your organisation."""
    try:
        limit_fen = parse_yuan(limit) if limit else None
    except InvalidAmount as exc:
        raise click.BadParameter(str(exc), param_hint="--limit") from None
    statement = {
        "purpose": "certify",
        "organisation_id": org_id,
        "county": session.county,
        "user_id": user_id,
        "public_key": public_key,
        "limit_fen": limit_fen,
        "issued_at": datetime.now(UTC).isoformat(),
    }
    key = _load_key(seal_file, passphrase)
    result = call_command(
        session,
        "registry",
        "enroll_signing_key",
        statement,
        sign(key, statement_bytes(statement)),
        key=idempotency_key,
    )
    output.record("signing key enrolled", result)


@seal.command("revoke")
@click.option("--seal", "seal_file", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--org", "org_id", required=True)
@click.option("--fingerprint", "key_fingerprint", required=True)
@click.option("--reason", required=True)
@PASSPHRASE
@KEY_OPTION
@click.pass_obj
def seal_revoke(
    session: Session, seal_file, org_id, key_fingerprint, reason, passphrase, idempotency_key
):
    """Revoke with your seal a key it certified; it signs nothing from now on."""
    statement = {
        "purpose": "revoke",
        "organisation_id": org_id,
        "county": session.county,
        "key_fingerprint": key_fingerprint,
        "reason": reason,
        "revoked_at": datetime.now(UTC).isoformat(),
    }
    key = _load_key(seal_file, passphrase)
    result = call_command(
        session,
        "registry",
        "revoke_signing_key",
        statement,
        sign(key, statement_bytes(statement)),
        key=idempotency_key,
    )
    output.record("signing key revoked", result)


@cli.group()
def registrar():
    """The seal registrar's own key (the finance bureau's), which confirms organisations' seals."""


@registrar.command("new")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Private key file.")
@PASSPHRASE
def registrar_new(out, passphrase):
    """Create the seal registrar's key; the county pins its public half (SEAL_REGISTRAR_KEYS)."""
    key = _new_key_file(out, passphrase)
    output.record(
        "your seal registrar key",
        {"public key": public_key_text(key), "fingerprint": fingerprint(key), "kept in": out},
    )
    output.console.print(
        "Pin the public key in every service of the county: SEAL_REGISTRAR_KEYS=<public key> "
        "(comma-separate two while replacing a key). Write the fingerprint into the paper record. "
        "Keep the key file and its passphrase on the registrar's machine only."
    )


@cli.group()
def keys():
    """Signatories' personal keys."""


@keys.command("new")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Private key file.")
@PASSPHRASE
def keys_new(out, passphrase):
    """Create your personal signing key; give the public key to your organisation's seal holder."""
    key = _new_key_file(out, passphrase)
    output.record(
        "your signing key",
        {"public key": public_key_text(key), "fingerprint": fingerprint(key), "kept in": out},
    )


@keys.command("list")
@click.option("--org", "org_id")
@click.pass_obj
def keys_list(session: Session, org_id):
    """Enrolled signing keys and their state."""
    found = session.stack.call("registry", "list_signing_keys", org_id)
    output.rows(
        f"signing keys ({len(found)})",
        ["fingerprint", "org", "user", "limit (fen)", "revoked at"],
        [
            [k["fingerprint"], k["org_id"], k["user_id"], k["limit_fen"], k["revoked_at"]]
            for k in found
        ],
    )
