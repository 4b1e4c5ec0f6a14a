"""Who an outflow pays and where the money goes: directory organisations with the bank details
registry's `organisation_bank_account_changed` gives (kept in `payees`, newest version wins), or
a labourer on a reimbursement line (a per-person refund) with the bank details the proposer
gives, checked by the directory's own rules (`registry_contract.bank_accounts`). The details are
written into the proposal's lines, which the signatories sign: a bank account changed after a
proposal does not change where that proposal pays."""

from __future__ import annotations

import logging
from dataclasses import replace

from fund.adapters.repository import Books
from fund.audit_trail import audit
from fund.domain.accounts import Line
from fund.exceptions import PayeeRejected
from fund_contract.requests import PAYEE_LABOURER, PAYEE_ORGANISATION
from registry_contract.bank_accounts import clean_bank_account
from sanbao_common.context import on_behalf_of
from sanbao_common.db import UnitOfWork

log = logging.getLogger(__name__)

# Kinds whose lines move no money to anyone: a write-off names who owed the advance it gives up.
NOTHING_PAID = frozenset({"write_off"})


def apply_bank_accounts(uow: UnitOfWork, events, county: str) -> None:
    """The directory's bank details of organisations, each kept if newer than the fund's copy
    and recorded in the audit chain (who changed them, when)."""
    books = Books(uow.connection)
    books.lock()
    for event in events:
        payload = event.payload if isinstance(event.payload, dict) else {}
        try:
            payee = {
                "org_id": str(payload["org_id"]),
                "org_kind": str(payload["org_kind"]),
                "name": str(payload["org_name"]),
                "bank_name": str(payload["bank_name"]),
                "account_name": str(payload["account_name"]),
                "account_number": str(payload["account_number"]),
                "version": int(payload["version"]),
                "changed_at": str(payload["changed_at"]),
                "changed_by": str(payload["changed_by"]),
            }
        except (KeyError, TypeError, ValueError):
            log.warning("organisation_bank_account_changed %s ignored: malformed", event.event_id)
            continue
        if _problems(payee["bank_name"], payee["account_name"], payee["account_number"]):
            log.warning("bank account of %s ignored: not a bank account", payee["org_id"])
            continue
        if books.save_payee(payee):
            caller = on_behalf_of("fund", county, event.actor, event.correlation_id)
            audit(books, caller, "payee_bank_account", None, payee)


def resolve_lines(books: Books, kind: str, lines: list[Line]) -> list[Line]:
    """The lines with their payees' names and bank details, as the signatories will sign them:
    each payee an organisation the fund knows a bank account of, or a labourer on a
    reimbursement line with the bank details given; a write-off pays no one."""
    resolved = []
    for line in lines:
        if kind in NOTHING_PAID:
            resolved.append(
                replace(line, payee_kind="none", payee_name=line.payee, bank_name="",
                        account_name="", bank_account="")
            )  # fmt: skip
        elif line.payee_kind == PAYEE_LABOURER:
            details, problems = clean_bank_account(
                {"bank_name": line.bank_name or "", "account_name": line.account_name or "",
                 "account_number": line.bank_account or ""}
            )  # fmt: skip
            if kind != "reimbursement" or problems:
                raise PayeeRejected(
                    message_en="a labourer is paid only a reimbursement, to the bank account "
                    "the line gives (bank name, account name, 8 to 32 digits)",
                    message_zh="劳动力只能作为报销行的收款人，并须填写开户行、户名和账号",
                    payee=line.payee,
                    problems=problems,
                )
            resolved.append(
                replace(
                    line,
                    payee_name=details["account_name"],
                    bank_name=details["bank_name"],
                    account_name=details["account_name"],
                    bank_account=details["account_number"],
                )
            )
        else:
            payee = books.payee(line.payee)
            if payee is None:
                raise PayeeRejected(payee=line.payee)
            resolved.append(
                replace(
                    line,
                    payee_kind=PAYEE_ORGANISATION,
                    payee_name=payee["name"],
                    bank_name=payee["bank_name"],
                    account_name=payee["account_name"],
                    bank_account=payee["account_number"],
                )
            )
    return resolved


def _problems(bank_name: str, account_name: str, account_number: str) -> dict:
    """What is wrong with a bank account the directory published (none: an empty dict): it must
    be one by the directory's rules, written as the directory writes it (folded: full-width
    digits as plain ones), since that is what the signatories will read and sign."""
    given = {"bank_name": bank_name, "account_name": account_name, "account_number": account_number}
    details, problems = clean_bank_account(given)
    if not problems and details != given:
        return {"account": ["not written as the directory writes it"]}
    return problems
