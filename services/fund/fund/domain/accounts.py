"""Joint accounts, outflow proposals and their signatures: the rules of "the fund stays safe".

- A joint account takes effect only when both organisations' seals have signed its exact terms:
  the terms of a cooperation agreement version (劳务合作协议, dispatch's `agreement_sealed`),
  which name the seals by their fingerprints (as the paper agreement does). An amendment sealed
  later replaces the terms; with parties' seals that changed, it re-seals the account.
- Money comes in by one authorised person against a bank reference; nothing leaves without a
  proposal signed by two signatories, one of each organisation, neither the proposer, each within
  their limit, before the proposal expires. A signatory is a key the organisation's own seal
  certified (and has not revoked).
- A proposal reserves the cash it would spend until it is paid, rejected or expires, so pending
  proposals can never together promise more than there is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from fund.domain.ledger import SPENDABLE_CASH
from fund.domain.posting_rules import POSTING_RULES
from fund.exceptions import (
    AccountFrozen,
    AccountNotOpen,
    InsufficientFunds,
    NotAParty,
    ProposalClosed,
    ProposalRejected,
    SignatureRejected,
    TermsRejected,
)
from fund_contract.vocabularies import OUTFLOW_KINDS
from sanbao_common import seals
from sanbao_common.crypto import fingerprint, load_public_key, signature_valid, statement_bytes

# `prepared`: terms a party had not sealed yet when the fund's own preparing and sealing were
# retired (fund migration 0009); such an account never opens and holds nothing.
PREPARED, OPEN, CLOSED = "prepared", "open", "closed"
PENDING, PAID, REJECTED = "pending", "paid", "rejected"  # a proposal past its expiry stays pending


@dataclass(frozen=True)
class JointAccount:
    account_id: str
    agreement_ref: str
    county: str
    county_org_id: str
    hr_org_id: str
    principal_fen: int
    term_start: date
    term_end: date
    county_seal: str  # fingerprints, as on paper
    hr_seal: str
    status: str
    seal_keys: dict = field(default_factory=dict)  # org id -> seal public key (base64)
    seal_signatures: dict = field(default_factory=dict)  # org id -> signature over the terms
    version: int = 1
    # The agreement the account was opened from and the version of it in force (None / 0: an
    # account opened by the fund's own retired sealing, before agreements).
    agreement_id: str | None = None
    agreement_version: int = 0
    bank_name: str = ""
    bank_account: str = ""
    # Exactly what both seals signed (canonical JSON of this): the fields above are read from it.
    sealed_terms: dict = field(default_factory=dict)

    @property
    def parties(self) -> tuple[str, str]:
        return self.county_org_id, self.hr_org_id

    def terms(self) -> dict:
        """What both seals signed, byte for byte (canonical JSON): the agreement version's terms
        (`dispatch_contract.agreements.TERMS_FIELDS`), or for an account opened before
        agreements the terms the fund's retired sealing had them sign."""
        return dict(self.sealed_terms)

    def seal_of(self, org_id: str) -> str:
        return {self.county_org_id: self.county_seal, self.hr_org_id: self.hr_seal}[org_id]


def check_terms(account: JointAccount) -> None:
    if account.county_org_id == account.hr_org_id:
        raise TermsRejected(
            message_en="two different organisations co-manage the account",
            message_zh="共管双方须为两个不同组织",
        )
    if type(account.principal_fen) is not int or account.principal_fen <= 0:
        raise TermsRejected(
            message_en="the principal is a positive amount", message_zh="本金须为正数"
        )
    if account.term_end <= account.term_start:
        raise TermsRejected(
            message_en="the term ends after it starts", message_zh="合作期限终止日须晚于起始日"
        )
    if account.county_seal == account.hr_seal:
        raise TermsRejected(
            message_en="the two seals are different keys", message_zh="双方印鉴须为不同密钥"
        )
    if not account.agreement_ref.strip():
        raise TermsRejected(
            message_en="the agreement's reference is required", message_zh="须填写协议编号"
        )


def check_open(account: JointAccount) -> None:
    if account.status != OPEN:
        raise AccountNotOpen(status=account.status)


def check_party(account: JointAccount, org_id: str) -> None:
    if org_id not in account.parties:
        raise NotAParty(org_id=org_id)


def available_cash(balances: dict[str, int], reserved: dict[str, int]) -> dict[str, int]:
    """What each cash account can still spend: its balance less what pending proposals reserve."""
    return {cash: balances.get(cash, 0) - reserved.get(cash, 0) for cash in SPENDABLE_CASH}


# -- signatories --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signatory:
    """A key an organisation's seal certified; the fund checks the certificate itself."""

    fingerprint: str
    org_id: str
    user_id: str
    public_key: str
    limit_fen: int | None
    revoked: bool
    seal_fingerprint: str | None = None  # the seal that certified it, as registry said


def check_certificate(
    account: JointAccount,
    signatory: Signatory,
    certificate: dict,
    seal_signature: str,
    seal_public_key: str | None = None,
) -> None:
    """The certificate is a certificate of exactly this signatory (key, user, organisation,
    limit), signed by the seal the account's terms name for that organisation (or, looking back
    at a payment, the organisation's seal that certified it then)."""
    if signatory.org_id not in account.parties or signatory.org_id not in account.seal_keys:
        raise SignatureRejected(
            message_en="the key's organisation does not co-manage this account",
            message_zh="该密钥所属组织不是共管方",
        )
    seal = seals.SealRecord(
        signatory.org_id, "", account.seal_of(signatory.org_id),
        seal_public_key or account.seal_keys[signatory.org_id], {}, "",
    )  # fmt: skip
    try:
        if fingerprint(load_public_key(signatory.public_key)) != signatory.fingerprint:
            raise seals.CertificateRejected(fields="fingerprint")
        seals.check_certificate(
            certificate,
            seal_signature,
            seal,
            org_id=signatory.org_id,
            user_id=signatory.user_id,
            public_key=signatory.public_key,
            limit_fen=signatory.limit_fen,
            county=account.county,
        )
    except (seals.CertificateRejected, ValueError) as exc:
        raise SignatureRejected(
            message_en="the key was not certified for this signatory by this account's seal",
            message_zh="该密钥未经本账户印鉴为此签批人认证",
            why=str(exc),
        ) from None


def check_not_frozen(account: JointAccount, changed_seals: list[str]) -> None:
    """A party whose seal changed since the terms were sealed freezes the account's outflows
    until both parties re-seal its terms with their current seals."""
    if changed_seals:
        raise AccountFrozen(orgs=",".join(changed_seals))


# -- proposals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    payee: str  # a directory organisation's id, a labourer's id, or (a write-off) who owed it
    amount_fen: int
    purpose: str
    reference: str | None = None  # the batch or labourer an advance is for, the advance a
    # write-off gives up
    # Who is paid and where the money goes, as the signatories sign it (fund.payees). None on a
    # line proposed before fund migration 0010, whose payee was free text.
    payee_kind: str | None = None  # "organisation", "labourer", or "none" (a write-off)
    payee_name: str | None = None
    bank_name: str | None = None
    account_name: str | None = None
    bank_account: str | None = None

    def statement(self) -> dict:
        signed = {
            "payee": self.payee,
            "amount_fen": self.amount_fen,
            "purpose": self.purpose,
            "reference": self.reference,
        }
        if self.payee_kind is not None:
            signed.update(
                payee_kind=self.payee_kind,
                payee_name=self.payee_name,
                bank_name=self.bank_name,
                account_name=self.account_name,
                bank_account=self.bank_account,
            )
        return signed


@dataclass(frozen=True)
class Proposal:
    proposal_id: str
    account_id: str
    county: str
    kind: str
    lines: tuple[Line, ...]
    proposed_by: str  # user id
    proposer_org: str
    expires_at: datetime
    status: str = PENDING
    signatures: tuple = ()  # (org_id, user_id, key fingerprint, signature)
    reason: str | None = None
    version: int = 1
    # Asked for by another service (fund_contract.requests): (its name, the request's key).
    request: tuple[str, str] | None = None

    @property
    def amount_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    @property
    def draws_on(self) -> str | None:
        """The cash account paying it draws on (None: a write-off moves no cash)."""
        return POSTING_RULES[self.kind].draws_on

    def statement(self) -> dict:
        """What each signatory signs: the exact proposal."""
        return {
            "purpose": "approve_outflow",
            "proposal_id": self.proposal_id,
            "account_id": self.account_id,
            "county": self.county,
            "kind": self.kind,
            "amount_fen": self.amount_fen,
            "lines": [line.statement() for line in self.lines],
            "expires_at": self.expires_at.isoformat(),
        }

    def signed_by(self) -> set[str]:
        return {org for org, *_ in self.signatures}

    def waiting_for(self, account: JointAccount) -> list[str]:
        return [org for org in account.parties if org not in self.signed_by()]


def new_proposal(
    account: JointAccount,
    proposal_id: str,
    kind: str,
    lines: list[Line],
    proposer: str,
    proposer_org: str,
    expires_at: datetime,
    now: datetime,
    available_fen: int,
    request: tuple[str, str] | None = None,
) -> Proposal:
    check_open(account)
    check_party(account, proposer_org)
    if kind not in OUTFLOW_KINDS:
        raise ProposalRejected(kind=kind)
    if not lines or any(type(line.amount_fen) is not int or line.amount_fen <= 0 for line in lines):
        raise ProposalRejected(
            message_en="each line pays a positive amount", message_zh="每一行金额须为正数"
        )
    if expires_at <= now:
        raise ProposalRejected(
            message_en="it must expire in the future", message_zh="有效期须晚于当前时间"
        )
    if kind in ("advance", "write_off", "credit_refund") and any(
        not line.reference for line in lines
    ):
        raise ProposalRejected(
            message_en="an advance or write-off names its batch or labourer, a refund its payer",
            message_zh="垫支或核销须注明批次或劳动力，退款须注明付款方",
        )
    proposal = Proposal(
        proposal_id,
        account.account_id,
        account.county,
        kind,
        tuple(lines),
        proposer,
        proposer_org,
        expires_at,
        request=request,
    )
    if proposal.draws_on and proposal.amount_fen > available_fen:
        raise InsufficientFunds(available_fen=available_fen, requested_fen=proposal.amount_fen)
    return proposal


def check_pending(proposal: Proposal, now: datetime) -> None:
    if proposal.status != PENDING:
        raise ProposalClosed(status=proposal.status)
    if now >= proposal.expires_at:
        raise ProposalClosed(message_en="the proposal has expired", message_zh="付款申请已过期")


def add_signature(
    account: JointAccount,
    proposal: Proposal,
    signer_user: str,
    signatory: Signatory | None,
    signature: str,
    now: datetime,
) -> Proposal:
    """Count one signature: by an enrolled, unrevoked key of a party not yet signed, not the
    proposer, within its limit, over the exact proposal, before it expires."""
    check_open(account)
    check_pending(proposal, now)
    if signatory is None or signatory.revoked:
        raise SignatureRejected(
            message_en="the key is not an enrolled signatory's (or was revoked)",
            message_zh="该密钥不是有效签批人的密钥（或已撤销）",
        )
    if signatory.user_id != signer_user:
        raise SignatureRejected(
            message_en="a signatory signs only with their own key",
            message_zh="签批人只能使用本人密钥",
        )
    if signer_user == proposal.proposed_by:
        raise SignatureRejected(
            message_en="the proposer cannot approve their own proposal",
            message_zh="申请人不能签批自己的申请",
        )
    if signatory.org_id in proposal.signed_by():
        raise SignatureRejected(
            message_en="this organisation has already signed", message_zh="该组织已签批"
        )
    if signatory.limit_fen is not None and proposal.amount_fen > signatory.limit_fen:
        raise SignatureRejected(limit_fen=signatory.limit_fen, amount_fen=proposal.amount_fen)
    if not signature_valid(
        load_public_key(signatory.public_key), statement_bytes(proposal.statement()), signature
    ):
        raise SignatureRejected(
            message_en="the signature is not over this exact proposal",
            message_zh="签名与该付款申请内容不符",
        )
    signatures = (
        *proposal.signatures,
        (signatory.org_id, signer_user, signatory.fingerprint, signature),
    )
    return replace(proposal, signatures=signatures, version=proposal.version + 1)


def fully_signed(account: JointAccount, proposal: Proposal) -> bool:
    return proposal.signed_by() == set(account.parties)
