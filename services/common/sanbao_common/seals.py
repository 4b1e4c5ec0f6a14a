"""When a seal counts: the one rule registry, the fund and dispatch apply to organisations' seals.

A seal (印鉴) is an organisation's own Ed25519 key. It takes effect only when a seal registrar of
another organisation (the finance bureau, which supervises the fund) has checked its fingerprint
against the organisation's paper filing and signed a confirmation with the registrar's own key,
one of the keys pinned in this county's configuration (`SEAL_REGISTRAR_KEYS`). No token, no
administrator and no service key can stand in for that signature, so every service that relies on
a seal verifies the confirmation itself, here, instead of trusting another service's word.

A joint account opens under this rule only: both parties' seals effective with their registrar's
confirmation, the county cooperative's and an HR company's, the fingerprints in the terms being
those seals', and both seals' signatures over the exact terms (docs/decisions/0009).
"""

from __future__ import annotations

from dataclasses import dataclass

from nameko import config
from nameko.extensions import DependencyProvider

from sanbao_common.crypto import fingerprint, load_public_key, signature_valid, statement_bytes
from sanbao_common.errors import DomainError

CONFIRM, REVOKE = "confirm_seal", "revoke_seal"
# The fields of a registrar's confirmation and revocation, which the registrar signs (canonical
# JSON, `statement_bytes`). `registrar` is the fingerprint of the registrar key that signs.
CONFIRMATION_FIELDS = (
    "purpose", "county", "organisation_id", "organisation_kind", "fingerprint", "public_key",
    "filing_ref", "replaces", "registrar", "confirmed_at",
)  # fmt: skip
REVOCATION_FIELDS = (
    "purpose", "county", "organisation_id", "fingerprint", "filing_ref", "reason", "registrar",
    "revoked_at",
)  # fmt: skip
# The fields of a signatory's certificate, which the organisation's seal signs.
CERTIFICATE_FIELDS = (
    "purpose", "organisation_id", "county", "user_id", "public_key", "limit_fen", "issued_at",
)  # fmt: skip
# The fields of an organisation's revocation of a signatory's key, which its seal signs: exactly
# these, so that a seal's signature over any other statement (an agreement's terms carrying the
# same names, say) never counts as one.
KEY_REVOCATION_FIELDS = (
    "purpose", "organisation_id", "county", "key_fingerprint", "reason", "revoked_at",
)  # fmt: skip
# Who co-manages a joint account: the terms' party field -> the organisation kind it must be.
JOINT_ACCOUNT_PARTIES = {"county_cooperative": "county_coop", "hr_company": "hr_company"}


class SealNotEffective(DomainError):
    code = "SEAL_NOT_EFFECTIVE"
    message_en = "the seal is not in effect: a seal registrar has not confirmed it (or revoked it)"
    message_zh = "印鉴未生效：未经印鉴登记机关确认（或已注销）"


class RegistrarSignatureRejected(DomainError):
    code = "REGISTRAR_SIGNATURE_REJECTED"
    message_en = "not signed by a seal registrar key this county has pinned"
    message_zh = "并非由本县（市）配置的印鉴登记机关密钥签署"


class CertificateRejected(DomainError):
    code = "CERTIFICATE_REJECTED"
    message_en = "the certificate does not certify this signatory"
    message_zh = "该证书未认证此签批人"


@dataclass(frozen=True)
class SealRecord:
    """A seal as a service relying on it keeps it: the key, and the registrar's confirmation."""

    org_id: str
    org_kind: str
    fingerprint: str
    public_key: str
    confirmation: dict
    confirmation_signature: str
    revoked: bool = False


def parse_registrar_keys(text: str | None) -> dict:
    """`SEAL_REGISTRAR_KEYS` (base64 public keys, comma-separated) -> {fingerprint: key}."""
    keys = {}
    for part in (text or "").split(","):
        if part.strip():
            key = load_public_key(part.strip())
            keys[fingerprint(key)] = key
    return keys


class RegistrarKeys(DependencyProvider):
    """The pinned registrar keys, {fingerprint: public key}, for a service's entrypoints."""

    def setup(self):
        self.keys = parse_registrar_keys(config.get("SEAL_REGISTRAR_KEYS"))

    def get_dependency(self, worker_ctx) -> dict:
        return self.keys


def _registrar_signed(statement: dict, signature: str, registrar_keys: dict) -> None:
    key = registrar_keys.get(statement.get("registrar"))
    if key is None or not signature_valid(key, statement_bytes(statement), signature or ""):
        raise RegistrarSignatureRejected(registrar=statement.get("registrar"))


def check_confirmation(seal: SealRecord, county: str, registrar_keys: dict) -> None:
    """The registrar's signed confirmation names exactly this seal of this organisation."""
    c = seal.confirmation if isinstance(seal.confirmation, dict) else {}
    if set(c) != set(CONFIRMATION_FIELDS) or c.get("purpose") != CONFIRM:
        raise SealNotEffective(
            message_en="the seal has no registrar's confirmation",
            message_zh="该印鉴没有印鉴登记机关的确认",
            org_id=seal.org_id,
        )
    try:
        key_fingerprint = fingerprint(load_public_key(seal.public_key))
    except ValueError:
        key_fingerprint = None
    if (
        c["county"] != county
        or c["organisation_id"] != seal.org_id
        or c["organisation_kind"] != seal.org_kind
        or c["fingerprint"] != seal.fingerprint
        or c["public_key"] != seal.public_key
        or key_fingerprint != seal.fingerprint
    ):
        raise SealNotEffective(
            message_en="the registrar's confirmation is of another seal or organisation",
            message_zh="印鉴登记机关的确认针对的是其他印鉴或组织",
            org_id=seal.org_id,
        )
    _registrar_signed(c, seal.confirmation_signature, registrar_keys)


def check_revocation(statement: dict, signature: str, county: str, registrar_keys: dict) -> None:
    """A seal's revocation counts only when a pinned registrar key signed it."""
    if (
        not isinstance(statement, dict)
        or set(statement) != set(REVOCATION_FIELDS)
        or statement.get("purpose") != REVOKE
        or statement.get("county") != county
    ):
        raise SealNotEffective(
            message_en="not a registrar's revocation of a seal", message_zh="不是印鉴注销声明"
        )
    _registrar_signed(statement, signature, registrar_keys)


def check_effective(seal: SealRecord | None, county: str, registrar_keys: dict, org_id="") -> None:
    if seal is None or seal.revoked:
        raise SealNotEffective(org_id=org_id or (seal.org_id if seal else ""))
    check_confirmation(seal, county, registrar_keys)


def check_party_seals(terms: dict, seals: dict, county: str, registrar_keys: dict) -> None:
    """Before anyone signs: each party's seal in effect, of the right kind of organisation, and
    the one the terms name. `seals` maps an org id to its effective SealRecord (or lacks it)."""
    for party, kind in JOINT_ACCOUNT_PARTIES.items():
        org_id = terms[party]
        seal = seals.get(org_id)
        check_effective(seal, county, registrar_keys, org_id)
        if seal.org_kind != kind:
            raise SealNotEffective(
                message_en=f"the {party.replace('_', ' ')} party must be a {kind} "
                f"(the registrar confirmed a {seal.org_kind})",
                message_zh="共管双方须为县级劳务合作联社和人力资源服务企业",
                org_id=org_id,
            )
        if terms[f"{party}_seal"] != seal.fingerprint:
            raise SealNotEffective(
                message_en="the terms name another seal than the organisation's confirmed one",
                message_zh="条款中的印鉴不是该组织经确认的印鉴",
                org_id=org_id,
                expected=seal.fingerprint,
            )


def check_joint_account_seals(
    terms: dict, seals: dict, signatures: dict, county: str, registrar_keys: dict
) -> None:
    """The joint account's opening rule: `check_party_seals`, and both seals' signatures over
    the exact terms (canonical JSON)."""
    check_party_seals(terms, seals, county, registrar_keys)
    message = statement_bytes(terms)
    for party in JOINT_ACCOUNT_PARTIES:
        seal = seals[terms[party]]
        signature = signatures.get(seal.org_id) or ""
        if not signature_valid(load_public_key(seal.public_key), message, signature):
            raise SealNotEffective(
                message_en="a seal's signature over the exact terms is missing or wrong",
                message_zh="缺少印鉴对条款原文的签名或签名不符",
                org_id=seal.org_id,
            )


def check_certificate(
    certificate: dict,
    seal_signature: str,
    seal: SealRecord,
    *,
    org_id: str,
    user_id: str,
    public_key: str,
    limit_fen: int | None,
    county: str,
) -> None:
    """A certificate certifies one signatory: every field it carries is the signatory's, it is a
    certificate (not any other statement the seal signed), and the seal signed it."""
    c = certificate if isinstance(certificate, dict) else {}
    expected = {
        "purpose": "certify",
        "organisation_id": org_id,
        "county": county,
        "user_id": user_id,
        "public_key": public_key,
        "limit_fen": limit_fen,
    }
    if set(c) != set(CERTIFICATE_FIELDS) or any(c[k] != v for k, v in expected.items()):
        raise CertificateRejected(
            fields=",".join(k for k, v in expected.items() if c.get(k) != v) or "shape"
        )
    if seal.org_id != org_id:
        raise CertificateRejected(
            message_en="certified by another organisation's seal",
            message_zh="由其他组织的印鉴认证",
        )
    if not signature_valid(load_public_key(seal.public_key), statement_bytes(c), seal_signature):
        raise CertificateRejected(
            message_en="the seal did not sign this certificate", message_zh="该证书并非由该印鉴签署"
        )
