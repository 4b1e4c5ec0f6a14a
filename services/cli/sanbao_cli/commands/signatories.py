"""Signatories' keys from the command line: a personal key made by its holder, certified (and
revoked) with their organisation's seal, and the finance bureau's seal registrar's own key."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from sanbao_cli import output
from sanbao_cli.keys import PASSPHRASE, load_key, new_key_file
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import FINGERPRINT, KEY_OPTION, pasteable
from sanbao_cli.session import Session, call_command
from sanbao_common.crypto import fingerprint, public_key_text, sign, statement_bytes
from sanbao_common.money import InvalidAmount, format_yuan, parse_yuan

SEAL_FILE = click.option(
    "--seal", "seal_file", required=True, type=click.Path(exists=True, dir_okay=False)
)


def _show_key(title: str, result: dict, as_json: bool) -> None:
    limit = result.get("limit_fen")
    shown = {
        "fingerprint": pasteable(result.get("fingerprint")),
        "organisation": result.get("org_id"),
        "user": result.get("user_id"),
        "limit (yuan)": format_yuan(limit, grouping=True) if limit is not None else "none",
        "enrolled at": result.get("enrolled_at"),
        "revoked at": result.get("revoked_at"),
    }
    output.emit(result, as_json, lambda: output.record(title, shown))


@click.command("certify")
@SEAL_FILE
@click.option("--org", "org_id", required=True)
@click.option("--user", "user_id", required=True, help="The user id of the signatory.")
@click.option("--public-key", required=True, help="The signatory's public key (sanbao keys new).")
@click.option("--limit", help="Most the signatory may approve in one payment, in yuan.")
@PASSPHRASE
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def seal_certify(
    session: Session, seal_file, org_id, user_id, public_key, limit, passphrase, idempotency_key,
    as_json,
):  # fmt: skip
    """Certify with your seal that this person's key signs for your organisation. Their sign-in
    carries the signatory role from their next `sanbao login` on."""
    try:
        limit_fen = parse_yuan(limit) if limit else None
    except InvalidAmount as exc:
        raise click.BadParameter(str(exc), param_hint="--limit") from None
    key = load_key(seal_file, passphrase)
    asked = {
        "organisation_id": org_id,
        "user_id": user_id,
        "public_key": public_key,
        "limit_fen": limit_fen,
        "seal": fingerprint(key),
    }
    statement = {"purpose": "certify", "organisation_id": org_id, "county": session.county,
                 "user_id": user_id, "public_key": public_key, "limit_fen": limit_fen,
                 "issued_at": datetime.now(UTC).isoformat()}  # fmt: skip
    result = call_command(
        session, "registry", "enroll_signing_key", statement, sign(key, statement_bytes(statement)),
        key=idempotency_key, intent=asked,
    )  # fmt: skip
    _show_key("signing key enrolled", result, as_json)


@click.command("revoke")
@SEAL_FILE
@click.option("--org", "org_id", required=True)
@click.option("--fingerprint", "key_fingerprint", required=True, type=FINGERPRINT)
@click.option("--reason", required=True)
@PASSPHRASE
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def seal_revoke(
    session: Session, seal_file, org_id, key_fingerprint, reason, passphrase, idempotency_key,
    as_json,
):  # fmt: skip
    """Revoke with your seal a key it certified; it signs nothing from now on."""
    key = load_key(seal_file, passphrase)
    asked = {"organisation_id": org_id, "key_fingerprint": key_fingerprint, "reason": reason,
             "seal": fingerprint(key)}  # fmt: skip
    statement = {"purpose": "revoke", "organisation_id": org_id, "county": session.county,
                 "key_fingerprint": key_fingerprint, "reason": reason,
                 "revoked_at": datetime.now(UTC).isoformat()}  # fmt: skip
    result = call_command(
        session, "registry", "revoke_signing_key", statement,
        sign(key, statement_bytes(statement)), key=idempotency_key, intent=asked,
    )  # fmt: skip
    _show_key("signing key revoked", result, as_json)


SEAL_COMMANDS = (seal_certify, seal_revoke)


def _new_key(out: str, passphrase: str, title: str, as_json: bool):
    key = new_key_file(out, passphrase)
    made = {"public_key": public_key_text(key), "fingerprint": fingerprint(key), "kept_in": out}
    output.emit(made, as_json, lambda: output.record(title, {
        "public key": made["public_key"], "fingerprint": pasteable(made["fingerprint"]),
        "kept in": out,
    }))  # fmt: skip
    return key


@click.group()
def registrar():
    """The seal registrar's own key (the finance bureau's), which confirms organisations' seals."""


@registrar.command("new")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Private key file.")
@PASSPHRASE
@JSON_OPTION
def registrar_new(out, passphrase, as_json):
    """Create the seal registrar's key; the county pins its public half (SEAL_REGISTRAR_KEYS)."""
    _new_key(out, passphrase, "your seal registrar key", as_json)
    output.note(
        "Pin the public key in every service of the county: SEAL_REGISTRAR_KEYS=<public key> "
        "(comma-separate two while replacing a key). Write the fingerprint into the paper record. "
        "Keep the key file and its passphrase on the registrar's machine only.",
        as_json,
    )


@click.group()
def keys():
    """Signatories' personal keys."""


@keys.command("new")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Private key file.")
@PASSPHRASE
@JSON_OPTION
def keys_new(out, passphrase, as_json):
    """Create your personal signing key; give the public key to your organisation's seal holder
    (sanbao seal certify --public-key ...)."""
    _new_key(out, passphrase, "your signing key", as_json)


@keys.command("list")
@click.option("--org", "org_id")
@JSON_OPTION
@click.pass_obj
def keys_list(session: Session, org_id, as_json):
    """Enrolled signing keys and their state."""
    found = session.stack.call("registry", "list_signing_keys", org_id)
    output.emit(found, as_json, lambda: output.rows(
        f"signing keys ({len(found)})",
        ["fingerprint", "org", "user", "limit (yuan)", "revoked at"],
        [[pasteable(k["fingerprint"]), k["org_id"], k["user_id"],
          format_yuan(k["limit_fen"], grouping=True) if k["limit_fen"] is not None else "none",
          k["revoked_at"]] for k in found],
    ))  # fmt: skip
