"""Organisations' seals from the command line: a seal submitted by its organisation, confirmed
or revoked by the finance bureau's seal registrar (certifying signatories' keys with a seal, the
registrar's own key and personal keys: `signatories`).

Fingerprints are shown in the paper's groups of four joined by dashes, so that one can be pasted
into a command without quotes; every --fingerprint takes them in any grouping."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from sanbao_cli import output
from sanbao_cli.client import CliError
from sanbao_cli.commands import signatories
from sanbao_cli.keys import PASSPHRASE, keep_registered, key_to_register, load_key, pending_file
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.params import FINGERPRINT, KEY_OPTION, compact_fingerprint, pasteable
from sanbao_cli.session import UNCERTAIN, Session, call_command
from sanbao_common.crypto import fingerprint, public_key_text, sign, statement_bytes
from sanbao_common.seals import CONFIRM, REVOKE


@click.group()
def seal():
    """An organisation's seal (印鉴): the key that certifies who may sign for it, in effect once
    the finance bureau's seal registrar confirms it."""


def _submit(session: Session, org_id: str, key, idempotency_key: str) -> dict:
    statement = {
        "purpose": "seal",
        "organisation_id": org_id,
        "county": session.county,
        "public_key": public_key_text(key),
    }
    try:
        return call_command(
            session, "registry", "register_seal", org_id, statement,
            sign(key, statement_bytes(statement)), key=idempotency_key,
        )  # fmt: skip
    except CliError as exc:
        if exc.code != "SEAL_EXISTS":
            raise
    # An earlier attempt, whose answer never came, got it there: registry has this very key.
    found = _find_seal(session.stack.call("registry", "list_seals", None, org_id), fingerprint(key))
    if found is None:
        raise CliError(
            "SEAL_EXISTS", f"the seal {pasteable(fingerprint(key))} is already submitted"
        )
    return found


@seal.command("new")
@click.option("--org", "org_id", required=True, help="The org id of your organisation.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Private key file.")
@PASSPHRASE
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def seal_new(session: Session, org_id, out, passphrase, idempotency_key, as_json):
    """Create your organisation's seal key and submit its public half (as a member of the
    organisation); it is kept in OUT once registry has it, and counts once the finance bureau's
    seal registrar confirms it. Until then it waits in OUT.pending: a refused or unanswered
    attempt can simply be run again, and sends the same key."""
    key, reused = key_to_register(out, passphrase)
    if reused:
        output.note(f"sending again the seal key waiting in {pending_file(out)}", as_json=True)
    try:
        result = _submit(session, org_id, key, idempotency_key)
    except CliError as exc:
        repeat = f" --idempotency-key {idempotency_key}" if exc.code in UNCERTAIN else ""
        raise CliError(
            exc.code,
            f"{exc.message}. No key file was made: the key waits in {pending_file(out)}, and the "
            f"same command run again{repeat} sends it again / 未生成密钥文件：密钥暂存于 "
            f"{pending_file(out)}，再次运行同一命令即重新提交",
        ) from None
    keep_registered(out)
    shown = {k: result.get(k) for k in ("org_id", "fingerprint", "status", "submitted_at")}

    def table():
        output.record(
            "seal submitted: pending until the finance bureau's seal registrar confirms it",
            shown | {"fingerprint": pasteable(shown["fingerprint"]), "kept in": out},
        )
        output.console.print(
            "Until the finance bureau's seal registrar confirms it, this seal certifies no one and "
            "opens no joint account. Write this fingerprint into your paper filing with the "
            "finance bureau; its registrar checks it against the filing:\n  sanbao seal confirm "
            f"--registrar-key <file> --fingerprint {pasteable(shown['fingerprint'])} "
            "--filing-ref <ref>",
            highlight=False,
            markup=False,
        )

    output.emit(shown | {"kept_in": out}, as_json, table)


def _find_seal(found: list, wanted: str) -> dict | None:
    return next(
        (s for s in found if compact_fingerprint(s["fingerprint"]) == compact_fingerprint(wanted)),
        None,
    )


SEAL_COLUMNS = ["org id", "fingerprint", "status", "submitted by", "submitted at", "filing ref"]


def _seal_row(seal: dict) -> list:
    paper = seal.get("confirmation") or seal.get("revocation") or {}
    return [
        seal["org_id"],
        pasteable(seal["fingerprint"]),
        seal["status"],
        seal["submitted_by"],
        seal["submitted_at"],
        paper.get("filing_ref") if isinstance(paper, dict) else None,
    ]


@seal.command("pending")
@JSON_OPTION
@click.pass_obj
def seal_pending(session: Session, as_json):
    """The seal registrar's queue: seals submitted and waiting for confirmation."""
    found = session.stack.call("registry", "list_seals", "pending", None)
    output.emit(found, as_json, lambda: output.rows(
        f"seals waiting for the registrar's confirmation ({len(found)})",
        ["org id", "fingerprint", "submitted by", "submitted at"],
        [[s["org_id"], pasteable(s["fingerprint"]), s["submitted_by"], s["submitted_at"]]
         for s in found],
    ))  # fmt: skip


@seal.command("list")
@click.option("--org", "org_id", help="Only this organisation's seals.")
@click.option("--status", type=click.Choice(["pending", "effective", "revoked", "superseded"]))
@JSON_OPTION
@click.pass_obj
def seal_list(session: Session, org_id, status, as_json):
    """Organisations' seals and their state (pending, effective, revoked, superseded)."""
    found = session.stack.call("registry", "list_seals", status, org_id)
    output.emit(found, as_json, lambda: output.rows(
        f"seals ({len(found)})", SEAL_COLUMNS, [_seal_row(s) for s in found]
    ))  # fmt: skip


REGISTRAR_KEY = click.option(
    "--registrar-key",
    "registrar_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The seal registrar's own key (sanbao registrar new).",
)


def _replaced(session: Session, org_id: str, replaces: str | None) -> str | None:
    """The seal in effect that a confirmation replaces: named, if there is one, and rightly."""
    effective = session.stack.call("registry", "list_seals", "effective", org_id)
    current = effective[0]["fingerprint"] if effective else None
    if replaces is None and current is not None:
        raise CliError(
            "SEAL_REPLACES_REQUIRED",
            f"{org_id} has a seal in effect ({pasteable(current)}); confirming another replaces "
            "it and revokes the keys it certified: check the filing of the change, then add "
            f"--replaces {pasteable(current)}",
        )
    if replaces is not None and (current is None or replaces != current):
        raise CliError(
            "SEAL_REPLACES_WRONG",
            f"--replaces must name {org_id}'s seal in effect: "
            f"{pasteable(current) or 'it has none, so leave --replaces out'}",
        )
    return current if replaces is not None else None


@seal.command("confirm")
@REGISTRAR_KEY
@click.option(
    "--fingerprint", "seal_fingerprint", required=True, type=FINGERPRINT, help="The seal's."
)
@click.option("--filing-ref", required=True, help="The reference of the paper filing.")
@click.option(
    "--replaces",
    type=FINGERPRINT,
    help="The organisation's seal in effect that this one replaces (its fingerprint).",
)
@PASSPHRASE
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def seal_confirm(
    session: Session, registrar_file, seal_fingerprint, filing_ref, replaces, passphrase,
    idempotency_key, as_json,
):  # fmt: skip
    """As the seal registrar: confirm a submitted seal, after checking its fingerprint against the
    organisation's paper filing. Signed with the registrar key this county pinned."""
    submitted = _find_seal(
        session.stack.call("registry", "list_seals", "pending", None), seal_fingerprint
    )
    if submitted is None:
        raise CliError(
            "SEAL_NOT_PENDING",
            f"no submitted seal waiting for confirmation has the fingerprint "
            f"{pasteable(seal_fingerprint)} (sanbao seal pending lists them)",
        )
    organisation = session.stack.call("registry", "get_organisation", submitted["org_id"])
    replaces = _replaced(session, submitted["org_id"], replaces)
    registrar = load_key(registrar_file, passphrase)
    asked = {
        "organisation_id": submitted["org_id"],
        "organisation_kind": organisation["kind"],
        "fingerprint": submitted["fingerprint"],
        "public_key": submitted["public_key"],
        "filing_ref": filing_ref,
        "replaces": replaces,
        "registrar": fingerprint(registrar),
    }
    confirmation = {"purpose": CONFIRM, "county": session.county, **asked,
                    "confirmed_at": datetime.now(UTC).isoformat()}  # fmt: skip
    if not as_json:
        output.record(
            "you are confirming: compare the fingerprint with the paper filing",
            {
                "organisation": f"{organisation['name']} ({submitted['org_id']})",
                "kind": organisation["kind"],
                "fingerprint": pasteable(submitted["fingerprint"]),
                "filing ref": filing_ref,
                "replaces": pasteable(replaces),
                "registrar key": pasteable(asked["registrar"]),
            },
        )
    result = call_command(
        session, "registry", "confirm_seal", confirmation,
        sign(registrar, statement_bytes(confirmation)), key=idempotency_key, intent=asked,
    )  # fmt: skip
    _show_seal("seal confirmed: in effect from now on", result, as_json)


def _show_seal(title: str, result: dict, as_json: bool) -> None:
    shown = {k: result.get(k) for k in ("org_id", "fingerprint", "status")}
    output.emit(result, as_json, lambda: output.record(
        title, shown | {"fingerprint": pasteable(shown["fingerprint"])}
    ))  # fmt: skip


@seal.command("revoke-seal")
@REGISTRAR_KEY
@click.option("--org", "org_id", required=True, help="The org id whose seal is revoked.")
@click.option("--fingerprint", "seal_fingerprint", required=True, type=FINGERPRINT)
@click.option("--filing-ref", required=True, help="The reference of the paper filing.")
@click.option("--reason", required=True, help="E.g. lost, or registered by someone else.")
@PASSPHRASE
@KEY_OPTION
@JSON_OPTION
@click.pass_obj
def seal_revoke_seal(
    session: Session, registrar_file, org_id, seal_fingerprint, filing_ref, reason, passphrase,
    idempotency_key, as_json,
):  # fmt: skip
    """As the seal registrar: revoke a lost or wrongly registered seal (what it certified stops
    counting). Sent by a member of the organisation or by an auditor."""
    known = _find_seal(session.stack.call("registry", "list_seals", None, org_id), seal_fingerprint)
    registrar = load_key(registrar_file, passphrase)
    asked = {
        "organisation_id": org_id,
        "fingerprint": known["fingerprint"] if known else seal_fingerprint,
        "filing_ref": filing_ref,
        "reason": reason,
        "registrar": fingerprint(registrar),
    }
    statement = {"purpose": REVOKE, "county": session.county, **asked,
                 "revoked_at": datetime.now(UTC).isoformat()}  # fmt: skip
    result = call_command(
        session, "registry", "revoke_seal", statement, sign(registrar, statement_bytes(statement)),
        key=idempotency_key, intent=asked,
    )  # fmt: skip
    _show_seal("seal revoked", result, as_json)


@seal.command("audit")
@JSON_OPTION
@click.pass_obj
def seal_audit(session: Session, as_json):
    """Seals and certificates that would not pass today's rules: what to redo after upgrading."""
    findings = session.stack.call("registry", "audit_seals")
    if not findings and not as_json:
        output.console.print("nothing to redo: every seal and certificate passes today's rules")
        return
    output.emit(findings, as_json, lambda: output.rows(
        f"to redo ({len(findings)})",
        ["kind", "org id", "fingerprint", "status or user", "problem"],
        [[f["kind"], f["org_id"], pasteable(f["fingerprint"]), f.get("status") or f.get("user_id"),
          f["problem"]] for f in findings],
    ))  # fmt: skip


for _command in signatories.SEAL_COMMANDS:
    seal.add_command(_command)

COMMANDS = (seal, signatories.registrar, signatories.keys)
