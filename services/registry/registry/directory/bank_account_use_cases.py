"""Organisations' bank accounts: setting one (a new version, kept in the directory's history and
published whole as `organisation_bank_account_changed`, in the change's transaction), showing it
with the organisation, and the resync source of the event. Each runs inside the unit of work it
is given; the entrypoint commits."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from registry.directory.bank_account_repository import BankAccountRepository
from registry.directory.bank_accounts import (
    HISTORY_KIND,
    BankAccount,
    check_may_set,
    may_see_history,
    next_account,
)
from registry.directory.domain import Organisation
from registry.directory.repository import DirectoryRepository
from registry.directory.use_cases import organisation, utc_now
from registry.events import registry_event
from registry.schemas import OrganisationSchema
from registry_contract.bank_accounts import clean_bank_account, folded
from sanbao_common.access import Principal
from sanbao_common.context import Caller
from sanbao_common.db import UnitOfWork
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.outbox import write_events
from sanbao_common.messaging.resync import ResyncPage

REASON_CHARACTERS = (2, 500)
_org = OrganisationSchema()


def load_request(bank_account, reason) -> tuple[dict, str]:
    """The account's details and the reason, folded; InvalidInput naming every problem."""
    details, problems = clean_bank_account(bank_account)
    errors = {"bank_account": problems} if problems else {}
    reason = folded(reason) if isinstance(reason, str) else ""
    low, high = REASON_CHARACTERS
    if not low <= len(reason) <= high:
        errors["reason"] = [f"say why, {low} to {high} characters / 请说明原因，{low} 至 {high} 字"]
    if errors:
        raise InvalidInput(errors)
    return details, reason


def bank_account_changed(caller: Caller, account: BankAccount, kind: str, name: str) -> dict:
    """The organisation's account at `account.version`, whole: record id = the org id."""
    payload = {"org_id": account.org_id, "org_kind": kind, "org_name": name}
    return registry_event(
        "organisation_bank_account_changed",
        caller,
        payload | account.history_entry(),
        record_id=account.org_id,
        version=account.version,
    )


def set_bank_account(
    uow: UnitOfWork, caller: Caller, principal: Principal, org_id: str, details: dict, reason: str
) -> dict:
    """The organisation's account from now on (`details`, `reason` from `load_request`): a new
    version, unless the details are the current ones (then the current one, unchanged)."""
    repo = DirectoryRepository(uow.connection)
    org = organisation(repo, org_id)
    check_may_set(principal, org)
    accounts = BankAccountRepository(uow.connection)
    accounts.lock(org.org_id)
    current = accounts.current(org.org_id)
    changed = next_account(current, org.org_id, details, reason, utc_now(), caller.actor)
    if changed is None:
        return current.view()
    accounts.add(changed)
    action = "bank_account_set" if current is None else "bank_account_changed"
    repo.record(HISTORY_KIND, org.org_id, action, changed.history_entry(), caller.actor, reason)
    write_events(uow, [bank_account_changed(caller, changed, org.kind, org.name)])
    return changed.view()


def organisation_view(
    connection: Connection, org: Organisation, history: list[dict], principal: Principal
) -> dict:
    """The organisation as `get_organisation` shows it to `principal`: with its current bank
    account for everyone; its earlier ones (`bank_account_history`, newest first, and their
    entries in `history`) only for those `may_see_history` lets see them."""
    versions = BankAccountRepository(connection).history(org.org_id)
    view = dict(
        _org.dump(org), history=history, bank_account=versions[0].view() if versions else None
    )
    if may_see_history(principal, org.org_id):
        view["bank_account_history"] = [account.history_entry() for account in versions]
    else:
        view["history"] = [entry for entry in history if entry["record_kind"] != HISTORY_KIND]
    return view


def bank_accounts_changed(uow: UnitOfWork, caller: Caller, after: str | None, limit: int):
    """The resync source of `organisation_bank_account_changed` (sanbao_common.messaging.resync):
    each organisation's current account as its last event carried it, in org id order."""
    found = BankAccountRepository(uow.connection).current_of_each(after, limit)
    events = [bank_account_changed(caller, account, kind, name) for account, kind, name in found]
    return ResyncPage(events, len(events), found[-1][0].org_id if len(found) == limit else None)
