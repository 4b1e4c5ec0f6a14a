"""Seals and signatories' keys from the command line: an organisation's seal (submitted, then
confirmed or revoked by the finance bureau's seal registrar), the registrar's own key, and the
personal keys a seal certifies."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from sanbao_cli import output
from sanbao_cli.client import CliError
from sanbao_cli.keys import PASSPHRASE, load_key, new_key_file
from sanbao_cli.params import KEY_OPTION
from sanbao_cli.session import Session, call_command
from sanbao_common.crypto import fingerprint, public_key_text, sign, statement_bytes
from sanbao_common.money import InvalidAmount, parse_yuan
from sanbao_common.seals import CONFIRM, REVOKE


@click.group()
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
    key = new_key_file(out, passphrase)
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
    registrar = load_key(registrar_file, passphrase)
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
    registrar = load_key(registrar_file, passphrase)
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
    key = load_key(seal_file, passphrase)
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
    key = load_key(seal_file, passphrase)
    result = call_command(
        session,
        "registry",
        "revoke_signing_key",
        statement,
        sign(key, statement_bytes(statement)),
        key=idempotency_key,
    )
    output.record("signing key revoked", result)


@click.group()
def registrar():
    """The seal registrar's own key (the finance bureau's), which confirms organisations' seals."""


@registrar.command("new")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Private key file.")
@PASSPHRASE
def registrar_new(out, passphrase):
    """Create the seal registrar's key; the county pins its public half (SEAL_REGISTRAR_KEYS)."""
    key = new_key_file(out, passphrase)
    output.record(
        "your seal registrar key",
        {"public key": public_key_text(key), "fingerprint": fingerprint(key), "kept in": out},
    )
    output.console.print(
        "Pin the public key in every service of the county: SEAL_REGISTRAR_KEYS=<public key> "
        "(comma-separate two while replacing a key). Write the fingerprint into the paper record. "
        "Keep the key file and its passphrase on the registrar's machine only."
    )


@click.group()
def keys():
    """Signatories' personal keys."""


@keys.command("new")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Private key file.")
@PASSPHRASE
def keys_new(out, passphrase):
    """Create your personal signing key; give the public key to your organisation's seal holder."""
    key = new_key_file(out, passphrase)
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


COMMANDS = (seal, registrar, keys)
