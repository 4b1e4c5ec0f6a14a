"""Organisations' bank accounts' entrypoint: a county administrator sets any organisation's, a
finance person their own organisation's (`directory.bank_accounts`); everyone reads the current
one with the organisation (`get_organisation`)."""

from __future__ import annotations

from registry.directory import bank_account_use_cases as bank
from registry.parts import RegistryPart
from sanbao_common.rpc import rpc


class BankAccountEntrypoints(RegistryPart):
    @rpc(permission="directory.bank_accounts")
    def set_bank_account(
        self, org_id: str, bank_account: dict, reason: str, idempotency_key: str
    ) -> dict:
        """Where the organisation's money goes from now on; the accounts before stay on record."""
        details, why = bank.load_request(bank_account, reason)
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            "set_bank_account",
            idempotency_key,
            [org_id, bank_account, reason],
            lambda uow: bank.set_bank_account(uow, caller, principal, org_id, details, why),
        )
