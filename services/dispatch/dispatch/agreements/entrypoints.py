"""Cooperation agreements' entrypoints: the county cooperative drafts and amends
(`agreements.draft`), any party's seal signature is relayed by whoever holds it
(`agreements.seal`: the signature is the authority), and the parties' and the county's people
read (`agreements.read`; an HR company's people only its own). Also the seals dispatch keeps,
from registry's events."""

from __future__ import annotations

from datetime import UTC, datetime

from nameko import config

from dispatch.agreements import use_cases as agreements
from dispatch.agreements.seal_events import apply_seal_events
from dispatch.agreements.terms import AmendmentSchema, DraftSchema
from dispatch.parts import DispatchPart
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.consumer import consume
from sanbao_common.rpc import load, rpc, text_argument

STATUSES = ("draft", "sealed", "withdrawn")


def _version(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidInput({"version": ["a version number, 1 or more"]})
    return value


class AgreementEntrypoints(DispatchPart):
    @rpc(permission="agreements.draft")
    def draft_agreement(self, terms: dict, idempotency_key: str) -> dict:
        """Version 1 of a new agreement, a draft naming both parties' seals in effect."""
        data, caller = load(DraftSchema(), terms), self.context.caller()
        principal = self.access.principal
        return self._command(
            "draft_agreement",
            idempotency_key,
            terms,
            lambda uow: agreements.draft_agreement(
                uow, caller, principal, data, self.registrar_keys, datetime.now(UTC)
            ),
        )

    @rpc(permission="agreements.draft")
    def amend_agreement(self, agreement_id: str, amendment: dict, idempotency_key: str) -> dict:
        """The next version, a draft from `effective_from`: new (or the same) revenue and
        subsidy rules, naming both parties' seals in effect now (how an agreement is re-sealed
        after a party's seal changed)."""
        text_argument(agreement_id, "agreement_id", 36)
        data, caller = load(AmendmentSchema(), amendment), self.context.caller()
        principal = self.access.principal
        return self._command(
            "amend_agreement",
            idempotency_key,
            [agreement_id, amendment],
            lambda uow: agreements.amend_agreement(
                uow, caller, principal, agreement_id, data, self.registrar_keys, datetime.now(UTC)
            ),
        )

    @rpc(permission="agreements.draft")
    def withdraw_agreement_draft(
        self, agreement_id: str, version: int, idempotency_key: str
    ) -> dict:
        """A draft no one will seal, withdrawn (kept, never sealed)."""
        text_argument(agreement_id, "agreement_id", 36)
        _version(version)
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            "withdraw_agreement_draft",
            idempotency_key,
            [agreement_id, version],
            lambda uow: agreements.withdraw_draft(
                uow, caller, principal, agreement_id, version, datetime.now(UTC)
            ),
        )

    @rpc(permission="agreements.seal")
    def seal_agreement(
        self, agreement_id: str, version: int, org_id: str, signature: str, idempotency_key: str
    ) -> dict:
        """`org_id`'s seal's signature over the draft's exact terms; with both parties', the
        version takes effect (`agreement_sealed`)."""
        request = {
            "agreement_id": text_argument(agreement_id, "agreement_id", 36),
            "version": _version(version),
            "org_id": text_argument(org_id, "org_id", 36),
            "signature": text_argument(signature, "signature", 200),
        }
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            "seal_agreement",
            idempotency_key,
            request,
            lambda uow: agreements.seal_agreement(
                uow, caller, principal, request, self.registrar_keys, datetime.now(UTC)
            ),
        )

    @rpc(permission="agreements.read")
    def get_agreement(self, agreement_id: str) -> dict:
        text_argument(agreement_id, "agreement_id", 36)
        with self.db.reader() as uow:
            return agreements.get_agreement(uow, self.access.principal, agreement_id)

    @rpc(permission="agreements.read")
    def list_agreements(self, hr_company: str | None = None, status: str | None = None) -> dict:
        if hr_company is not None:
            text_argument(hr_company, "hr_company", 36)
        if status is not None and status not in STATUSES:
            raise InvalidInput({"status": [f"one of {', '.join(STATUSES)}"]})
        with self.db.reader() as uow:
            return agreements.list_agreements(uow, self.access.principal, hr_company, status)

    # -- the parties' seals, from registry ------------------------------------------------------

    @consume("registry", "seal_confirmed")
    def handle_seal_confirmed(self, uow, events) -> None:
        apply_seal_events(uow, events, config["COUNTY"], self.registrar_keys)

    @consume("registry", "seal_revoked")
    def handle_seal_revoked(self, uow, events) -> None:
        apply_seal_events(uow, events, config["COUNTY"], self.registrar_keys)
