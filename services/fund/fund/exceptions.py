"""Errors the fund's callers can act on (declared as expected exceptions of every RPC)."""

from sanbao_common.errors import DomainError, NotFound


class AccountNotFound(NotFound):
    code = "JOINT_ACCOUNT_NOT_FOUND"
    message_en = "no such joint account"
    message_zh = "未找到该共管账户"


class AccountNotOpen(DomainError):
    code = "JOINT_ACCOUNT_NOT_OPEN"
    message_en = "the joint account is not open"
    message_zh = "共管账户未开立或已关闭"


class AccountFrozen(DomainError):
    code = "JOINT_ACCOUNT_FROZEN"
    message_en = (
        "a party's seal changed since the agreement's terms were sealed: no outflow until both "
        "parties' current seals seal an amendment of the agreement (sanbao agreement amend, "
        "sanbao agreement seal)"
    )
    message_zh = "一方印鉴已变更：双方以现行印鉴签署协议变更前，暂停一切支出"


class TermsRejected(DomainError):
    code = "TERMS_REJECTED"
    message_en = "the joint account's terms are not acceptable"
    message_zh = "共管账户条款不合规"


class AgreementRefused(DomainError):
    """A sealed agreement the fund opens no account from and records nothing of (not an RPC
    error: `fund.agreements` logs it and keeps it in the audit chain)."""

    code = "AGREEMENT_REFUSED"
    message_en = "the sealed agreement is not one the fund can act on"
    message_zh = "该已签署协议不能据以开立或变更共管账户"


class SealSignatureRejected(DomainError):
    code = "SEAL_SIGNATURE_REJECTED"
    message_en = "the seal signature does not verify against the fingerprint in the terms"
    message_zh = "印鉴签名与条款中的指纹不符"


class NotAParty(DomainError):
    code = "NOT_A_PARTY"
    message_en = "your organisation does not co-manage this joint account"
    message_zh = "您的组织不是该共管账户的共管方"


class BankReferenceUsed(DomainError):
    code = "BANK_REFERENCE_USED"
    message_en = "this bank credit is already recorded on the account"
    message_zh = "该银行入账已登记"


class InsufficientFunds(DomainError):
    code = "INSUFFICIENT_FUNDS"
    message_en = "not enough available cash (cash minus what pending outflows reserve)"
    message_zh = "可用资金不足（余额减去待付款项的预留）"


class ProposalRejected(DomainError):
    code = "PROPOSAL_REJECTED"
    message_en = "the proposal is not acceptable"
    message_zh = "付款申请不合规"


class ProposalNotFound(NotFound):
    code = "PROPOSAL_NOT_FOUND"
    message_en = "no such outflow proposal"
    message_zh = "未找到该付款申请"


class ProposalClosed(DomainError):
    code = "PROPOSAL_CLOSED"
    message_en = "the proposal is no longer waiting for signatures"
    message_zh = "该付款申请已不再等待签批"


class SignatureRejected(DomainError):
    code = "SIGNATURE_REJECTED"
    message_en = "the signature does not count"
    message_zh = "该签批无效"


class AdvanceRejected(DomainError):
    code = "ADVANCE_REJECTED"
    message_en = "the settlement does not fit the advance"
    message_zh = "核销金额与垫支不符"


class ReturnBlocked(DomainError):
    code = "RETURN_BLOCKED"
    message_en = "the principal cannot be returned yet"
    message_zh = "暂不能返还劳务合作金本金"


class ReceivableRejected(DomainError):
    code = "RECEIVABLE_REJECTED"
    message_en = "the receivable or what the credit pays is not acceptable"
    message_zh = "应收款或冲抵内容不合规"


class ReceivableNotFound(NotFound):
    code = "RECEIVABLE_NOT_FOUND"
    message_en = "no such receivable"
    message_zh = "未找到该应收款"


class ReceivablesOpen(DomainError):
    code = "RECEIVABLES_OPEN"
    message_en = (
        "receivables of this kind are open on the account: say what the credit pays "
        "(pays: oldest_first, the receivable ids, or nothing for income nothing was owed for)"
    )
    message_zh = "本账户尚有同类未结应收款：请注明冲抵内容（oldest_first、应收款编号，或 nothing）"


class PayeeRejected(DomainError):
    code = "PAYEE_REJECTED"
    message_en = (
        "a line's payee is an organisation of the directory with a bank account the fund knows "
        "(sanbao directory org bank-account), or a labourer on a reimbursement line"
    )
    message_zh = "收款方须为名录中已登记银行账户的组织，或报销行中的劳动力"
