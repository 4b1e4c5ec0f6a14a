"""Who an outflow pays and where the money goes: directory organisations with the bank details
registry's `organisation_bank_account_changed` gives (kept in `payees`, newest version wins), or
a labourer on a reimbursement line (a per-person refund) with the bank details the proposer
gives. The details are written into the proposal's lines, which the signatories sign: a bank
account changed after a proposal does not change where that proposal pays."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from fund.adapters.repository import Books
from fund.audit_trail import audit
from fund.domain.accounts import Line
from fund.exceptions import PayeeRejected
from fund_contract.requests import PAYEE_LABOURER, PAYEE_ORGANISATION
from sanbao_common.context import on_behalf_of
from sanbao_common.db import UnitOfWork

log = logging.getLogger(__name__)

ACCOUNT_NUMBER = re.compile(r"[0-9]{8,32}")  # ASCII digits only, whole (fullmatch)
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
        if not ACCOUNT_NUMBER.fullmatch(payee["account_number"]):
            log.warning("bank account of %s ignored: not 8 to 32 digits", payee["org_id"])
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
            if kind != "reimbursement" or not _bank_given(line):
                raise PayeeRejected(
                    message_en="a labourer is paid only a reimbursement, to the bank account "
                    "the line gives (bank name, account name, 8 to 32 digits)",
                    message_zh="劳动力只能作为报销行的收款人，并须填写开户行、户名和账号",
                    payee=line.payee,
                )
            resolved.append(replace(line, payee_name=line.account_name))
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


def _bank_given(line: Line) -> bool:
    return bool(
        (line.bank_name or "").strip()
        and (line.account_name or "").strip()
        and ACCOUNT_NUMBER.fullmatch(line.bank_account or "")
    )
