"""A joint account from a sealed cooperation agreement: what the fund reads of dispatch's
`agreement_sealed` (its terms and the seals' signatures, nothing else), when those terms can be
an account's, and what an amendment may change.

The terms are `dispatch_contract.agreements.TERMS_FIELDS`, exactly; the account is the terms'
fixed part (agreement, reference, county, parties, principal, term, bank) and the seals they
name. A later version may change the revenue and subsidy rules and name the parties' current
seals (re-sealing after a seal changed), never a fixed field: a new fund is a new agreement.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from dispatch_contract.agreements import FIXED_FIELDS, PURPOSE, TERMS_FIELDS
from fund.domain import accounts as a
from fund.exceptions import AgreementRefused

BANK_ACCOUNT = re.compile(r"^[0-9]{8,32}$")
PARTY_FIELDS = ("county_cooperative", "hr_company")


def _refuse(message_en: str, message_zh: str, **details) -> AgreementRefused:
    return AgreementRefused(message_en=message_en, message_zh=message_zh, **details)


def _text(terms: dict, field: str, longest: int) -> str:
    value = terms[field]
    if not isinstance(value, str) or not value.strip() or len(value) > longest:
        raise _refuse(
            f"{field} is not a text of 1 to {longest} characters",
            f"{field} 须为 1 至 {longest} 个字符的文本",
        )
    return value


def _whole(terms: dict, field: str, least: int) -> int:
    value = terms[field]
    if type(value) is not int or value < least:
        raise _refuse(f"{field} is not a whole number of at least {least}", f"{field} 须为整数")
    return value


def _day(terms: dict, field: str) -> date:
    try:
        return date.fromisoformat(terms[field])
    except (TypeError, ValueError):
        raise _refuse(f"{field} is not a date (YYYY-MM-DD)", f"{field} 须为日期") from None


def read_sealed(terms, signatures, county: str) -> tuple[dict, dict]:
    """The terms and the parties' signatures of an `agreement_sealed` payload, if they have the
    contract's exact shape for this county; `AgreementRefused` naming the problem otherwise."""
    if not isinstance(terms, dict) or set(terms) != set(TERMS_FIELDS):
        fields = set(terms) if isinstance(terms, dict) else set()
        raise _refuse(
            "the terms do not have exactly the agreement's fields",
            "协议条款字段不符",
            missing=",".join(sorted(set(TERMS_FIELDS) - fields)) or None,
            unexpected=",".join(sorted(fields - set(TERMS_FIELDS))) or None,
        )
    if terms["purpose"] != PURPOSE:
        raise _refuse("the terms are not a cooperation agreement's", "条款不是劳务合作协议")
    if terms["county"] != county:
        raise _refuse(
            "the agreement is another county's", "该协议属于其他县（市）", county=terms["county"]
        )
    _text(terms, "agreement_id", 36)
    _whole(terms, "version", 1)
    _text(terms, "reference", 100)
    for field in PARTY_FIELDS:
        _text(terms, field, 36)
        _text(terms, f"{field}_seal", 80)
    _whole(terms, "principal_fen", 1)
    if _day(terms, "term_end") <= _day(terms, "term_start"):
        raise _refuse("the term ends after it starts", "合作期限终止日须晚于起始日")
    _text(terms, "bank_name", 200)
    if not isinstance(terms["bank_account"], str) or not BANK_ACCOUNT.match(terms["bank_account"]):
        raise _refuse("the bank account number is 8 to 32 digits", "银行账号须为 8 至 32 位数字")
    if not isinstance(signatures, dict):
        raise _refuse(
            "the seals' signatures are not a mapping of org id to signature", "印鉴签名格式不符"
        )
    parties = (terms[party] for party in PARTY_FIELDS)
    return terms, {org: _signature(signatures.get(org)) for org in parties}


def _signature(value) -> str:
    """A party's signature as given; anything but text is none (it then fails the check)."""
    return value if isinstance(value, str) and len(value) <= 200 else ""


def account_from(terms: dict, county: str, seal_keys: dict, signatures: dict) -> a.JointAccount:
    """The account the first sealed version the fund sees of an agreement opens."""
    account = a.JointAccount(
        account_id=terms["agreement_id"],
        agreement_ref=terms["reference"],
        county=county,
        county_org_id=terms["county_cooperative"],
        hr_org_id=terms["hr_company"],
        principal_fen=terms["principal_fen"],
        term_start=date.fromisoformat(terms["term_start"]),
        term_end=date.fromisoformat(terms["term_end"]),
        county_seal=terms["county_cooperative_seal"],
        hr_seal=terms["hr_company_seal"],
        status=a.OPEN,
        seal_keys=dict(seal_keys),
        seal_signatures=dict(signatures),
        agreement_id=terms["agreement_id"],
        agreement_version=terms["version"],
        bank_name=terms["bank_name"],
        bank_account=terms["bank_account"],
        sealed_terms=dict(terms),
    )
    a.check_terms(account)
    return account


def check_amendment(account: a.JointAccount, terms: dict) -> None:
    """A later version of the account's agreement, changing no fixed field, while it is open."""
    if account.status != a.OPEN:
        raise _refuse(
            "the joint account is not open", "共管账户未开立或已关闭", status=account.status
        )
    sealed = account.terms()
    changed = [field for field in FIXED_FIELDS if terms[field] != sealed.get(field)]
    if changed:
        raise _refuse(
            "an amendment cannot change the agreement's fixed terms (a new fund is a new "
            "agreement)",
            "协议变更不得改变固定条款（新的合作金须另签协议）",
            fields=",".join(changed),
        )
    in_force = sealed.get("effective_from")
    if in_force is not None and not _later(terms.get("effective_from"), in_force):
        # Versions never overlap, and a later one never reaches back over the one in force
        # (dispatch refuses to seal such an amendment; a forged event must not do it here).
        raise _refuse(
            "an amendment takes effect after the version in force",
            "协议变更的生效日须晚于现行版本的生效日",
            effective_from=str(terms.get("effective_from")),
            in_force_from=in_force,
        )


def _later(text, than: str) -> bool:
    try:
        return date.fromisoformat(text) > date.fromisoformat(than)
    except (TypeError, ValueError):
        return False


def amended(
    account: a.JointAccount, terms: dict, seal_keys: dict, signatures: dict
) -> a.JointAccount:
    """The account under a later sealed version: its terms, the seals they name and their
    signatures. Seals other than the account's re-seal it (outflows resume)."""
    return replace(
        account,
        county_seal=terms["county_cooperative_seal"],
        hr_seal=terms["hr_company_seal"],
        seal_keys=dict(seal_keys),
        seal_signatures=dict(signatures),
        version=account.version + 1,
        agreement_version=terms["version"],
        sealed_terms=dict(terms),
    )


def matches_before_agreements(account: a.JointAccount, terms: dict) -> bool:
    """An open account the fund's retired sealing opened is the one an agreement describes:
    the same reference, county, parties, principal and term (the same paper agreement)."""
    return (
        account.agreement_id is None
        and account.status == a.OPEN
        and account.agreement_ref == terms["reference"]
        and account.county == terms["county"]
        and account.parties == (terms["county_cooperative"], terms["hr_company"])
        and account.principal_fen == terms["principal_fen"]
        and account.term_start.isoformat() == terms["term_start"]
        and account.term_end.isoformat() == terms["term_end"]
    )


def taken_by_agreement(
    account: a.JointAccount, terms: dict, seal_keys: dict, signatures: dict
) -> a.JointAccount:
    """An account opened before agreements, from now on its agreement's: the agreement's terms,
    seals and bank details, the agreement's later versions amending it."""
    return replace(
        amended(account, terms, seal_keys, signatures),
        agreement_id=terms["agreement_id"],
        bank_name=terms["bank_name"],
        bank_account=terms["bank_account"],
    )


def unsigned_changes(account: a.JointAccount) -> list[str]:
    """The account's fields that are not what its sealed terms say (`verify` names them): the
    record is read from the terms, so any difference is an edit made outside the fund."""
    terms = account.terms()
    expected = {
        "county": account.county,
        "county_cooperative": account.county_org_id,
        "hr_company": account.hr_org_id,
        "principal_fen": account.principal_fen,
        "term_start": account.term_start.isoformat(),
        "term_end": account.term_end.isoformat(),
        "county_cooperative_seal": account.county_seal,
        "hr_company_seal": account.hr_seal,
    }
    if account.agreement_id is None:  # opened by the fund's retired sealing
        expected |= {"account_id": account.account_id, "agreement_ref": account.agreement_ref}
    else:
        expected |= {
            "agreement_id": account.agreement_id,
            "version": account.agreement_version,
            "reference": account.agreement_ref,
            "bank_name": account.bank_name,
            "bank_account": account.bank_account,
        }
    return sorted(field for field, value in expected.items() if terms.get(field) != value)
