"""The fund service: joint accounts under two organisations' seals, opened from the cooperation
agreements they sealed. Entrypoints only."""

from __future__ import annotations

from datetime import UTC, datetime

from nameko import config
from nameko.rpc import ServiceRpc

from fund import __version__, metrics, queries
from fund.adapters.checkpoints import CheckpointKey, CheckpointTimer
from fund.adapters.repository import Books
from fund.agreements import apply_agreements, retry_held
from fund.audit_trail import take_checkpoint, verify
from fund.claims import apply_departures
from fund.commands import advances, closing, money_in, money_out, receivables
from fund.domain.accounts import Line
from fund.events import apply_seals, apply_signing_keys
from fund.payees import apply_bank_accounts
from fund.requests import apply_outflow_requests, apply_receivable_requests
from fund.schemas import (
    InflowsSchema,
    ProposalSchema,
    ReceivableSchema,
    SettlementSchema,
    proposal_reply,
)
from sanbao_common.access import OutOfScope
from sanbao_common.base import ServiceBase
from sanbao_common.crypto import public_key_text
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.consumer import consume
from sanbao_common.messaging.idempotency import run_command
from sanbao_common.messaging.outbox import OutboxRelay
from sanbao_common.messaging.resync import Resync
from sanbao_common.rpc import call_service, load, rpc
from sanbao_common.seals import RegistrarKeys


def _inflows(inflows) -> list[dict]:
    """Bank credits as the commands take them (amounts in fen)."""
    loaded = load(InflowsSchema(), {"inflows": inflows})["inflows"]
    for data in loaded:
        data["amount_fen"] = data.pop("amount")
    return loaded


def _check_filters(filters: dict) -> None:
    for field in ("period", "counterparty_id"):
        value = filters[field]
        if value is not None and (not isinstance(value, str) or len(value) > 100):
            raise InvalidInput({field: ["text of at most 100 characters"]})
    if not isinstance(filters["open_only"], bool):
        raise InvalidInput({"open_only": ["true or false"]})


def _date(text: str, field: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise InvalidInput({field: ["a date, YYYY-MM-DD"]}) from None


class FundService(ServiceBase):
    name = "fund"
    version = __version__

    relay = OutboxRelay()
    checkpoint_key = CheckpointKey()
    checkpoints = CheckpointTimer()
    registry = ServiceRpc("registry")
    registrar_keys = RegistrarKeys()
    resync = Resync({})  # no source yet: audit checkpoints reach registry by replay

    @rpc(permission="events.replay")
    def resync_events(self, request: dict) -> dict:
        """Publish the current state of the fund's records to one consumer's queues
        (sanbao_common.messaging.resync); says which of its events have no resync source."""
        return self.resync.to_consumer(request, self.context.caller())

    def _command(self, method: str, key: str, request, execute):
        """Run `execute(uow)` once per idempotency key, bound to the caller whose token sent it:
        the same key from anyone else is refused, never answered with the stored reply."""
        caller = self.access.principal.actor
        return run_command(self.db, self.name, method, key, request, execute, caller=caller)

    def _visible(self, account) -> None:
        """Parties' people see their accounts; the county's administrators and auditors all."""
        principal = self.access.principal
        if principal.organisation_id in account.parties:
            return
        if {"county_admin", "auditor"} & set(principal.roles):
            return
        raise OutOfScope(account_id=account.account_id)

    # -- money in and out ----------------------------------------------------------------------

    @rpc(permission="fund.record")
    def record_inflow(self, account_id: str, inflow: dict, idempotency_key: str) -> dict:
        """One bank credit; an income credit says what it pays (docs/api.md)."""
        (data,) = _inflows([inflow])
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            "record_inflow",
            idempotency_key,
            [account_id, inflow],
            lambda uow: money_in.record_inflow(uow, caller, principal, account_id, data),
        )

    @rpc(permission="fund.record")
    def record_inflows(self, account_id: str, inflows: list, idempotency_key: str) -> list:
        """A bank statement's credits in one transaction: all recorded, or none."""
        loaded = _inflows(inflows)
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            "record_inflows",
            idempotency_key,
            [account_id, inflows],
            lambda uow: money_in.record_inflows(uow, caller, principal, account_id, loaded),
        )

    @rpc(permission="fund.record")
    def record_receivable(self, account_id: str, receivable: dict, idempotency_key: str) -> dict:
        """What a counterparty owes the account, recorded by a party's finance person; once per
        business key (kind, period, counterparty, statement)."""
        data = load(ReceivableSchema(), receivable)
        data["amount_fen"] = data.pop("amount")
        caller, party = self.context.caller(), self.access.principal.organisation_id

        def execute(uow):
            recorded, _ = receivables.record_receivable(uow, caller, account_id, data, party=party)
            return queries.receivable_view(recorded)

        return self._command(
            "record_receivable", idempotency_key, [account_id, receivable], execute
        )

    @rpc(permission="fund.propose")
    def propose_outflow(self, account_id: str, proposal: dict, idempotency_key: str) -> dict:
        data, caller, principal = (
            load(ProposalSchema(), proposal),
            self.context.caller(),
            self.access.principal,
        )
        lines = [
            Line(
                x["payee"], x["amount"], x["purpose"], x["reference"], payee_kind=x["payee_kind"],
                bank_name=x["bank_name"], account_name=x["account_name"],
                bank_account=x["bank_account"],
            )
            for x in data["lines"]
        ]  # fmt: skip
        proposer = (principal.user_id, principal.organisation_id)
        return self._command(
            "propose_outflow",
            idempotency_key,
            [account_id, proposal],
            lambda uow: proposal_reply(
                money_out.propose_outflow(
                    uow, caller, proposer, account_id, data["kind"], lines, data["expires_at"]
                )
            ),
        )

    @rpc(permission="fund.sign")
    def sign_outflow(
        self, proposal_id: str, key_fingerprint: str, signature: str, idempotency_key: str
    ) -> dict:
        caller, principal = self.context.caller(), self.access.principal

        def execute(uow):
            signed = money_out.sign_outflow(
                uow, caller, principal, proposal_id, key_fingerprint, signature
            )
            if signed.status == "paid":  # after every payment, a checkpoint leaves the database
                take_checkpoint(uow, caller, self.checkpoint_key)
            return proposal_reply(signed)

        return self._command(
            "sign_outflow", idempotency_key, [proposal_id, key_fingerprint, signature], execute
        )

    @rpc(permission="fund.sign")
    def reject_outflow(self, proposal_id: str, reason: str, idempotency_key: str) -> dict:
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            "reject_outflow",
            idempotency_key,
            [proposal_id, reason],
            lambda uow: proposal_reply(
                money_out.reject_outflow(uow, caller, principal, proposal_id, reason)
            ),
        )

    @rpc(permission="fund.record")
    def settle_advance(self, account_id: str, reference: str, vouchers: list, idempotency_key: str):
        settlement = {"reference": reference, "vouchers": vouchers}
        loaded = load(SettlementSchema(), settlement)["vouchers"]
        for voucher in loaded:
            voucher["amount_fen"] = voucher.pop("amount")
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            "settle_advance",
            idempotency_key,
            [account_id, reference, vouchers],
            lambda uow: advances.settle_advance(
                uow, caller, principal, account_id, reference, loaded
            ),
        )

    @rpc(permission="fund.close")
    def close_joint_account(self, account_id: str, idempotency_key: str) -> dict:
        caller = self.context.caller()

        def execute(uow):
            account = closing.close_account(uow, caller, account_id)
            return queries.account_view(Books(uow.connection), account)

        return self._command("close_joint_account", idempotency_key, [account_id], execute)

    # -- reading -------------------------------------------------------------------------------

    @rpc(permission="fund.read")
    def get_joint_account(self, account_id: str) -> dict:
        with self.db.reader() as uow:
            books = Books(uow.connection)
            account = queries.find_account(books, account_id)
            self._visible(account)
            return queries.account_view(books, account)

    @rpc(permission="fund.read")
    def get_outflow(self, proposal_id: str) -> dict:
        """One proposal as signatories sign it, with what is pending on it."""
        with self.db.reader() as uow:
            books = Books(uow.connection)
            proposal = queries.find_proposal(books, proposal_id, self.context.caller().county)
            account = queries.find_account(books, proposal.account_id)
            self._visible(account)
            return dict(proposal_reply(proposal), waiting_for=proposal.waiting_for(account))

    @rpc(permission="fund.read")
    def export_statement(self, account_id: str, date_from: str, date_to: str) -> dict:
        """The account's statement for a period: opening and closing balances, every entry with its
        postings, and the latest checkpoint of the audit chain (so a reader can check it later)."""
        start, end = _date(date_from, "date_from"), _date(date_to, "date_to")
        with self.db.reader() as uow:
            books = Books(uow.connection)
            account = queries.find_account(books, account_id)
            self._visible(account)
            return queries.statement(books, account, start, end)

    @rpc(permission="fund.read")
    def list_joint_accounts(self) -> list:
        with self.db.reader() as uow:
            books = Books(uow.connection)
            found = []
            for account in books.accounts():
                try:
                    self._visible(account)
                except OutOfScope:
                    continue
                found.append(queries.account_view(books, account))
            return found

    @rpc(permission="fund.read")
    def list_receivables(
        self,
        account_id: str,
        period: str | None = None,
        counterparty_id: str | None = None,
        open_only: bool = False,
    ) -> dict:
        """The account's receivables, oldest first (by period, counterparty, open only), with
        totals by kind and the payers' credits held."""
        filters = {"period": period, "counterparty_id": counterparty_id, "open_only": open_only}
        _check_filters(filters)
        with self.db.reader() as uow:
            books = Books(uow.connection)
            self._visible(queries.find_account(books, account_id))
            return queries.receivables_report(books, account_id, **filters)

    @rpc(permission="fund.read")
    def list_fund_requests(self, account_id: str) -> list:
        """What other services asked of the fund for this account by event: each request's key,
        what it made (a proposal, a receivable) or why it was refused."""
        with self.db.reader() as uow:
            books = Books(uow.connection)
            self._visible(queries.find_account(books, account_id))
            return [
                dict(row, updated_at=row["updated_at"].isoformat())
                for row in books.fund_requests(account_id)
            ]

    @rpc(permission="fund.read")
    def list_advance_claims(self, account_id: str, open_only: bool = False) -> dict:
        """The claims batches' no-shows left on the account's advances, oldest first, each with
        what is outstanding of it now and what recovered, settled or wrote off the rest."""
        _check_filters({"period": None, "counterparty_id": None, "open_only": open_only})
        with self.db.reader() as uow:
            books = Books(uow.connection)
            self._visible(queries.find_account(books, account_id))
            return queries.advance_claims(books, account_id, open_only)

    @rpc(permission="fund.read")
    def aging_report(self, account_id: str) -> list:
        with self.db.reader() as uow:
            books = Books(uow.connection)
            self._visible(queries.find_account(books, account_id))
            return queries.aging(books, account_id, datetime.now(UTC).date())

    @rpc(permission="fund.verify")
    def verify_books(self) -> dict:
        """Recompute the chain against the county's witness, every payment's signatures, every
        trial balance; name the first break."""
        witness = call_service(self.registry, "list_audit_checkpoints", "fund")
        with self.db.reader() as uow:
            return verify(
                Books(uow.connection),
                witness,
                public_key_text(self.checkpoint_key),
                self.context.caller().county,
                self.registrar_keys,
            )

    # -- agreements, from dispatch; seals and signatories, from registry -----------------------

    @consume("dispatch", "agreement_sealed")
    def handle_agreement_sealed(self, uow, events) -> None:
        """Opens, amends or re-seals joint accounts from the agreements both seals signed."""
        apply_agreements(uow, events, config["COUNTY"], self.registrar_keys)

    @consume("registry", "seal_confirmed")
    def handle_seal_confirmed(self, uow, events) -> None:
        apply_seals(uow, events, config["COUNTY"], self.registrar_keys)
        retry_held(uow, config["COUNTY"], self.registrar_keys)  # agreements waiting for a seal

    @consume("registry", "seal_revoked")
    def handle_seal_revoked(self, uow, events) -> None:
        apply_seals(uow, events, config["COUNTY"], self.registrar_keys)
        retry_held(uow, config["COUNTY"], self.registrar_keys)

    @consume("registry", "organisation_bank_account_changed")
    def handle_bank_account_changed(self, uow, events) -> None:
        """Payees' bank details, as the directory keeps them."""
        apply_bank_accounts(uow, events, config["COUNTY"])

    # -- requests by event (fund_contract.requests) --------------------------------------------

    @consume("settlement", "receivable_requested")
    def handle_receivable_requested(self, uow, events) -> None:
        apply_receivable_requests(uow, events, config["COUNTY"], "settlement")

    @consume("dispatch", "advance_requested")
    def handle_advance_requested(self, uow, events) -> None:
        apply_outflow_requests(uow, events, config["COUNTY"], "dispatch")

    @consume("dispatch", "batch_departed")
    def handle_batch_departed(self, uow, events) -> None:
        """A batch's no-shows: a claim on each one's advance (fund.claims)."""
        apply_departures(uow, events, config["COUNTY"])

    @consume("settlement", "distribution_requested")
    def handle_distribution_requested(self, uow, events) -> None:
        apply_outflow_requests(uow, events, config["COUNTY"], "settlement")

    @consume("registry", "signing_key_enrolled")
    def handle_signing_key_enrolled(self, uow, events) -> None:
        apply_signing_keys(uow, events)

    @consume("registry", "signing_key_revoked")
    def handle_signing_key_revoked(self, uow, events) -> None:
        apply_signing_keys(uow, events)

    # -- metrics -------------------------------------------------------------------------------

    def refresh_gauges(self) -> None:
        with self.db.reader() as uow:
            metrics.show(queries.gauge_figures(Books(uow.connection)))
