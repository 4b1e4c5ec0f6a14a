"""Errors dispatch's callers can act on (declared as expected exceptions of every RPC). Each
sub-domain may declare its own in `dispatch/<sub-domain>/errors.py`; these are the agreements'."""

from sanbao_common.errors import DomainError, NotFound


class AgreementNotFound(NotFound):
    code = "AGREEMENT_NOT_FOUND"
    message_en = "no such cooperation agreement (or version)"
    message_zh = "未找到该劳务合作协议（或其版本）"


class AgreementTermsRejected(DomainError):
    code = "AGREEMENT_TERMS_REJECTED"
    message_en = "the agreement's terms are not acceptable"
    message_zh = "协议条款不合规"


class AgreementReferenceTaken(DomainError):
    code = "AGREEMENT_REFERENCE_TAKEN"
    message_en = "another agreement already has this reference"
    message_zh = "已有其他协议使用该文号"


class AgreementDraftPending(DomainError):
    code = "AGREEMENT_DRAFT_PENDING"
    message_en = (
        "a draft of this agreement is waiting for seals: seal it, or withdraw it "
        "(sanbao agreement withdraw) before amending again"
    )
    message_zh = "该协议已有待用印的草案：请先用印或撤回草案，再行修订"


class AgreementNotDraft(DomainError):
    code = "AGREEMENT_VERSION_NOT_DRAFT"
    message_en = "this version is not waiting for seals (it was sealed or withdrawn)"
    message_zh = "该版本不在待用印状态（已生效或已撤回）"


class AgreementWithdrawn(DomainError):
    code = "AGREEMENT_WITHDRAWN"
    message_en = "the agreement was withdrawn before any version took effect: draft a new one"
    message_zh = "该协议未曾生效即已撤回：请重新起草协议"


class NotAParty(DomainError):
    code = "AGREEMENT_NOT_A_PARTY"
    message_en = "the organisation is not a party to this agreement"
    message_zh = "该组织不是本协议的当事方"


class SealSignatureRejected(DomainError):
    code = "AGREEMENT_SEAL_SIGNATURE_REJECTED"
    message_en = (
        "the signature is not the organisation's seal's over this version's exact terms "
        "(sign the terms `sanbao agreement show` prints, with the seal the terms name)"
    )
    message_zh = "签名不是该组织印鉴对本版本条款原文的签名"
