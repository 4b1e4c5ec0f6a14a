"""The directory's use cases about seals and signing keys: an organisation submits its seal, a
seal registrar of another organisation confirms or revokes it, and the effective seal certifies
(and revokes) its signatories' keys (decision 0009). Each runs inside the unit of work it is
given; the entrypoint commits.

Long because the seal's life (submitted, confirmed, revoked, audited) and the keys it certifies
are one chain of trust, best read in one place."""

from __future__ import annotations

import json
from dataclasses import replace

from registry.directory import domain as d
from registry.directory.repository import DirectoryRepository
from registry.directory.revocation import key_holders, revocation_events, revoke_tokens
from registry.directory.use_cases import organisation, user_or_fail, utc_now
from registry.events import registry_event
from registry.exceptions import (
    SealExists,
    SealNotFound,
    SealRejected,
    SigningKeyNotFound,
    SigningKeyRejected,
)
from registry.schemas import SigningKeySchema
from sanbao_common import seals
from sanbao_common.access import AUDITOR, Principal
from sanbao_common.context import Caller
from sanbao_common.crypto import fingerprint, load_public_key, signature_valid, statement_bytes
from sanbao_common.errors import DomainError
from sanbao_common.messaging.outbox import write_events

_key = SigningKeySchema()


PENDING, EFFECTIVE, REVOKED, SUPERSEDED = "pending", "effective", "revoked", "superseded"


def seal_view(row) -> dict:
    """A seal as callers and events see it: its state, and the registrar's word on it."""
    return {
        "org_id": row.org_id,
        "fingerprint": row.fingerprint,
        "public_key": row.public_key,
        "status": row.status,
        "submitted_at": row.submitted_at.isoformat() if row.submitted_at else None,
        "submitted_by": row.submitted_by,
        "confirmation": json.loads(row.confirmation) if row.confirmation else None,
        "confirmation_signature": row.confirmation_signature,
        "revocation": json.loads(row.revocation) if row.revocation else None,
        "revocation_signature": row.revocation_signature,
    }


def register_seal(
    uow, caller: Caller, principal: Principal, org_id: str, statement: dict, signature: str
):
    """Submit an organisation's seal: the seal signs a statement naming its own public key (proof
    of possession), sent by a member of that organisation. It waits for a seal registrar of
    another organisation to confirm it against the paper filing (`confirm_seal`); until then it
    certifies no one and opens nothing. Several may wait for one organisation: someone else's
    submission cannot block the real one."""
    repo = DirectoryRepository(uow.connection)
    org = organisation(repo, org_id)
    if principal.organisation_id != org.org_id:
        raise SealRejected(
            message_en="a seal is submitted by a member of its own organisation",
            message_zh="印鉴只能由本组织人员提交",
        )
    d.check_statement(statement, "seal", org, caller.county)
    try:
        public_key = load_public_key(statement.get("public_key", ""))
    except ValueError:
        raise SealRejected(
            message_en="the statement's public key is not an Ed25519 key",
            message_zh="声明中的公钥不是 Ed25519 公钥",
        ) from None
    if not signature_valid(public_key, statement_bytes(statement), signature):
        raise SealRejected()
    seal_fingerprint = fingerprint(public_key)
    if repo.seal(seal_fingerprint):
        raise SealExists(fingerprint=seal_fingerprint)
    repo.add_seal(
        fingerprint=seal_fingerprint,
        org_id=org_id,
        public_key=statement["public_key"],
        proof=json.dumps({"statement": statement, "signature": signature}),
        status=PENDING,
        submitted_at=utc_now(),
        submitted_by=caller.actor,
    )
    view = seal_view(repo.seal(seal_fingerprint))
    write_events(
        uow, [registry_event("seal_submitted", caller, view, _record_id(view["fingerprint"]), 1)]
    )
    return view


def _record_id(key_fingerprint: str) -> str:
    """A seal's or key's event record id: its fingerprint's 64 hex digits, without the spacing
    the paper form has."""
    return key_fingerprint.replace(" ", "")


def seal_record(row, org) -> seals.SealRecord:
    return seals.SealRecord(
        org_id=row.org_id,
        org_kind=org.kind,
        fingerprint=row.fingerprint,
        public_key=row.public_key,
        confirmation=json.loads(row.confirmation) if row.confirmation else {},
        confirmation_signature=row.confirmation_signature or "",
        revoked=row.status != EFFECTIVE,
    )


def confirm_seal(
    uow,
    caller: Caller,
    principal: Principal,
    confirmation: dict,
    signature: str,
    registrar_keys: dict,
):
    """A seal registrar's signed confirmation makes a submitted seal its organisation's
    effective one, replacing (and revoking) the one it names in `replaces`; other submissions
    for the organisation are superseded, and keys the replaced seal certified are revoked."""
    repo = DirectoryRepository(uow.connection)
    if not isinstance(confirmation, dict):
        raise SealRejected(message_en="not a confirmation", message_zh="不是确认声明")
    row = repo.seal(str(confirmation.get("fingerprint", "")))
    if row is None:
        raise SealNotFound(fingerprint=confirmation.get("fingerprint"))
    repo.lock_seals_of(row.org_id)
    row = repo.seal(row.fingerprint)
    org = organisation(repo, row.org_id)
    if principal.organisation_id == org.org_id:
        raise SealRejected(
            message_en="a seal is confirmed by a registrar of another organisation",
            message_zh="印鉴须由其他组织的登记机关确认",
        )
    record = replace(
        seal_record(row, org),
        confirmation=confirmation,
        confirmation_signature=signature,
        revoked=False,
    )
    seals.check_confirmation(record, caller.county, registrar_keys)
    if row.status != PENDING:
        raise SealRejected(
            message_en="only a submitted seal waiting for confirmation can be confirmed",
            message_zh="只能确认待确认的印鉴",
            status=row.status,
        )
    current = repo.effective_seal(org.org_id)
    current_fingerprint = current.fingerprint if current is not None else None
    if confirmation["replaces"] != current_fingerprint:
        raise SealRejected(
            message_en="`replaces` must name the organisation's effective seal (or none)",
            message_zh="replaces 须为该组织当前有效的印鉴（或为空）",
            effective=current_fingerprint,
        )
    now = utc_now()
    events = []
    if current is not None:
        retired = {"replaced_by": row.fingerprint, "confirmation": confirmation}
        events += _retire_seal(uow, repo, caller, current.fingerprint, retired, signature, now)
    for other in repo.seals(org.org_id, PENDING):
        if other.fingerprint != row.fingerprint:
            repo.update_seal(other.fingerprint, status=SUPERSEDED)
    repo.update_seal(
        row.fingerprint,
        status=EFFECTIVE,
        confirmation=json.dumps(confirmation, ensure_ascii=False),
        confirmation_signature=signature,
        confirmed_at=now,
    )
    view = dict(seal_view(repo.seal(row.fingerprint)), org_kind=org.kind)
    write_events(
        uow,
        [
            registry_event("seal_confirmed", caller, view, _record_id(view["fingerprint"]), 2),
            *events,
        ],
    )
    return view


def revoke_seal(
    uow,
    caller: Caller,
    principal: Principal,
    statement: dict,
    signature: str,
    registrar_keys: dict,
):
    """A lost or squatted seal revoked by a registrar's signed revocation, asked for by a member
    of its organisation or sent by the registrar's side: what it certified stops counting."""
    repo = DirectoryRepository(uow.connection)
    seals.check_revocation(statement, signature, caller.county, registrar_keys)
    row = repo.seal(statement["fingerprint"])
    if row is None or row.org_id != statement["organisation_id"]:
        raise SealNotFound(fingerprint=statement["fingerprint"])
    repo.lock_seals_of(row.org_id)
    row = repo.seal(row.fingerprint)
    if principal.organisation_id != row.org_id and AUDITOR not in principal.roles:
        raise SealRejected(
            message_en="a seal's revocation is sent by its organisation or the registrar's side",
            message_zh="印鉴注销须由本组织或登记机关提交",
        )
    if row.status in (REVOKED, SUPERSEDED):
        raise SealRejected(message_en="already revoked", message_zh="已注销", status=row.status)
    events = _retire_seal(uow, repo, caller, row.fingerprint, statement, signature, utc_now())
    view = seal_view(repo.seal(row.fingerprint))
    write_events(
        uow,
        [registry_event("seal_revoked", caller, view, _record_id(view["fingerprint"]), 3), *events],
    )
    return view


def _retire_seal(
    uow, repo, caller: Caller, seal_fingerprint: str, why: dict, signature: str, now
) -> list:
    """A seal revoked (or replaced) under the registrar's signature, and every key it certified
    with it: the `signing_key_revoked` events to publish, and the `user_tokens_revoked` ones of
    the keys' holders."""
    repo.update_seal(
        seal_fingerprint,
        status=REVOKED,
        revocation=json.dumps(why, ensure_ascii=False),
        revocation_signature=signature,
        revoked_at=now,
    )
    events, holders = [], set()
    for key in repo.signing_keys(seal_fingerprint=seal_fingerprint):
        if key.revoked_at is not None:
            continue
        holders.add(key.user_id)
        revocation = {"purpose": "seal_retired", "seal_fingerprint": seal_fingerprint, "why": why}
        repo.revoke_signing_key(key.fingerprint, json.dumps(revocation, ensure_ascii=False), now)
        record = _key.dump(repo.signing_key(key.fingerprint))
        payload = dict(
            record, seal_fingerprint=seal_fingerprint, revocation=revocation, seal_signature=None
        )
        events.append(
            registry_event("signing_key_revoked", caller, payload, _record_id(key.fingerprint), 2)
        )
    return events + revocation_events(
        uow, caller, key_holders(repo, holders), "signing_key_revoked"
    )


def _seal_verified(repo, statement: dict, signature: str, purpose: str, county: str, keys: dict):
    """The organisation's effective seal, its registrar's confirmation verified here, signed
    `statement`."""
    org = organisation(
        repo, statement.get("organisation_id") if isinstance(statement, dict) else None
    )
    d.check_statement(statement, purpose, org, county)
    row = repo.effective_seal(org.org_id)
    if row is None:
        raise seals.SealNotEffective(
            message_en="the organisation has no seal in effect: a seal registrar must confirm it "
            "first (sanbao seal confirm)",
            message_zh="该组织没有生效的印鉴：须先经印鉴登记机关确认",
            org_id=org.org_id,
        )
    seals.check_effective(seal_record(row, org), county, keys)
    if not signature_valid(load_public_key(row.public_key), statement_bytes(statement), signature):
        raise SealRejected(
            message_en="not signed by this organisation's seal", message_zh="并非由该组织印鉴签署"
        )
    return org, row


def enroll_signing_key(
    uow, caller: Caller, statement: dict, signature: str, registrar_keys: dict
) -> dict:
    """Store what an organisation's seal certified: this person's key signs for it (up to a
    limit). No administrator can make one: only the seal's signature is accepted."""
    repo = DirectoryRepository(uow.connection)
    org, seal = _seal_verified(repo, statement, signature, "certify", caller.county, registrar_keys)
    if set(statement) != set(seals.CERTIFICATE_FIELDS):
        raise SigningKeyRejected(
            message_en="a certificate has exactly the fields "
            + ", ".join(seals.CERTIFICATE_FIELDS),
            message_zh="证书字段不符",
        )
    user = user_or_fail(repo, statement.get("user_id"))
    if user.org_id != org.org_id or not user.active:
        raise SigningKeyRejected(
            message_en="the person is not an active member of the organisation",
            message_zh="该人员不是该组织的有效成员",
        )
    limit = statement.get("limit_fen")
    if limit is not None and (type(limit) is not int or limit <= 0):
        raise SigningKeyRejected(
            message_en="a limit is a positive number of fen", message_zh="限额须为正整数（分）"
        )
    try:
        key = load_public_key(statement.get("public_key", ""))
    except ValueError:
        raise SigningKeyRejected(
            message_en="not an Ed25519 public key", message_zh="不是 Ed25519 公钥"
        ) from None
    key_fingerprint = fingerprint(key)
    if repo.signing_key(key_fingerprint):
        raise SigningKeyRejected(
            message_en="this key is already enrolled", message_zh="该密钥已登记"
        )
    now = utc_now()
    repo.add_signing_key(
        fingerprint=key_fingerprint,
        org_id=org.org_id,
        user_id=user.user_id,
        public_key=statement["public_key"],
        limit_fen=limit,
        certificate=json.dumps({"statement": statement, "signature": signature}),
        enrolled_at=now,
        enrolled_by=caller.actor,
        seal_fingerprint=seal.fingerprint,
    )
    record = _key.dump(repo.signing_key(key_fingerprint))
    payload = dict(
        record, seal_fingerprint=seal.fingerprint, certificate=statement, seal_signature=signature
    )
    record_id = _record_id(key_fingerprint)
    write_events(uow, [registry_event("signing_key_enrolled", caller, payload, record_id, 1)])
    return record


def revoke_signing_key(
    uow, caller: Caller, statement: dict, signature: str, registrar_keys: dict
) -> dict:
    repo = DirectoryRepository(uow.connection)
    if not isinstance(statement, dict) or set(statement) != set(seals.KEY_REVOCATION_FIELDS):
        raise SealRejected(
            message_en="not a key revocation: its fields are "
            + ", ".join(seals.KEY_REVOCATION_FIELDS),
            message_zh="不是密钥撤销声明：字段不符",
        )
    org, seal = _seal_verified(repo, statement, signature, "revoke", caller.county, registrar_keys)
    key = repo.signing_key(statement.get("key_fingerprint", ""))
    if key is None or key.org_id != org.org_id:
        raise SigningKeyNotFound(fingerprint=statement.get("key_fingerprint"))
    if key.revoked_at is not None:
        raise SigningKeyRejected(message_en="already revoked", message_zh="已撤销")
    repo.revoke_signing_key(
        key.fingerprint, json.dumps({"statement": statement, "signature": signature}), utc_now()
    )
    record = _key.dump(repo.signing_key(key.fingerprint))
    payload = dict(
        record, seal_fingerprint=seal.fingerprint, revocation=statement, seal_signature=signature
    )
    record_id = _record_id(key.fingerprint)
    write_events(uow, [registry_event("signing_key_revoked", caller, payload, record_id, 2)])
    revoke_tokens(uow, caller, key_holders(repo, {key.user_id}), "signing_key_revoked")
    return record


def audit_seals(uow, county: str, registrar_keys: dict) -> list[dict]:
    """Every seal and unrevoked certificate that would not pass today's rules, with the reason:
    what a county redoes after upgrading (sanbao seal audit)."""
    repo = DirectoryRepository(uow.connection)
    findings = []
    orgs = {}

    def org_of(org_id):
        if org_id not in orgs:
            orgs[org_id] = repo.organisation(org_id)
        return orgs[org_id]

    for row in repo.seals():
        if row.status == PENDING:
            problem = "not confirmed by a seal registrar: it opens nothing and certifies no one"
        elif row.status == EFFECTIVE:
            try:
                seals.check_effective(seal_record(row, org_of(row.org_id)), county, registrar_keys)
                continue
            except DomainError as exc:
                problem = f"its confirmation does not verify: {exc.message_en}"
        else:
            continue
        findings.append(
            {
                "kind": "seal",
                "org_id": row.org_id,
                "fingerprint": row.fingerprint,
                "status": row.status,
                "problem": problem,
            }  # fmt: skip
        )
    for key in repo.signing_keys():
        if key.revoked_at is not None:
            continue
        seal_row = repo.seal(key.seal_fingerprint) if key.seal_fingerprint else None
        certificate = json.loads(key.certificate)
        try:
            if seal_row is None or seal_row.status != EFFECTIVE:
                raise seals.SealNotEffective(
                    message_en="its certifying seal is not in effect: certify the key again "
                    "with the confirmed seal"
                )
            seals.check_effective(
                seal_record(seal_row, org_of(seal_row.org_id)), county, registrar_keys
            )
            seals.check_certificate(
                certificate["statement"],
                certificate["signature"],
                seal_record(seal_row, org_of(seal_row.org_id)),
                org_id=key.org_id,
                user_id=key.user_id,
                public_key=key.public_key,
                limit_fen=key.limit_fen,
                county=county,
            )
            continue
        except DomainError as exc:
            problem = exc.message_en
        findings.append(
            {
                "kind": "certificate",
                "org_id": key.org_id,
                "fingerprint": key.fingerprint,
                "user_id": key.user_id,
                "problem": problem,
            }  # fmt: skip
        )
    return findings
