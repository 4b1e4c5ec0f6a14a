"""Organisations' bank accounts: where money for an organisation goes. Pure Python: the rules of
who may set one, who may see the ones before, and when a change is a change; storage lives in
`bank_account_repository`, the use cases in `bank_account_use_cases`.

An organisation's account is a history, never overwritten: version 1, 2, … each with who set it,
when and why; the current account is the highest version. Payments are proposed against it and
signatories read it on what they sign, so a change is always attributable and its old value
stays on record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from registry.directory.domain import Organisation
from registry.exceptions import OrganisationInactive
from sanbao_common.access import AUDITOR, COUNTY_ADMIN, OutOfScope, Principal

# A bank account change in the directory's history (record id: the organisation's).
HISTORY_KIND = "bank_account"


@dataclass(frozen=True)
class BankAccount:
    org_id: str
    version: int
    bank_name: str
    account_name: str
    account_number: str
    changed_at: datetime
    changed_by: str
    reason: str

    def details(self) -> dict:
        return {
            "bank_name": self.bank_name,
            "account_name": self.account_name,
            "account_number": self.account_number,
        }

    def view(self) -> dict:
        """The account as every reader of the directory sees the current one."""
        return self.details() | {
            "version": self.version,
            "changed_at": self.changed_at.isoformat(),
            "changed_by": self.changed_by,
        }

    def history_entry(self) -> dict:
        return self.view() | {"reason": self.reason}


def check_may_set(principal: Principal, org: Organisation) -> None:
    """A county administrator sets any organisation's account; anyone else (finance) only their
    own organisation's: no company can point another's money at itself."""
    if COUNTY_ADMIN not in principal.roles and principal.organisation_id != org.org_id:
        raise OutOfScope(org_id=org.org_id)
    if not org.active:
        raise OrganisationInactive(org_id=org.org_id)


def may_see_history(principal: Principal, org_id: str) -> bool:
    """Earlier accounts, and why each changed: the organisation's own people, the county's
    administrators and the auditors."""
    return (
        principal.organisation_id == org_id
        or COUNTY_ADMIN in principal.roles
        or AUDITOR in principal.roles
    )


def next_account(
    current: BankAccount | None, org_id: str, details: dict, reason: str, now: datetime, actor: str
) -> BankAccount | None:
    """The account's next version, or None when `details` are the current ones (nothing changes:
    a repeated change, or one sent twice under two keys, makes no new version)."""
    if current is not None and current.details() == details:
        return None
    return BankAccount(
        org_id=org_id,
        version=current.version + 1 if current else 1,
        **details,
        changed_at=now,
        changed_by=actor,
        reason=reason,
    )
