"""Batches' entrypoints (输送批次): the order's HR company forms a batch and invites people
(`batches.form`), their agents and cooperatives record their answers (`batches.respond`), the
county cooperative approves (`batches.approve`), the HR company records substitutions,
departure and arrival; everyone reads (`batches.read`: an HR company's people only their own
company's batches). The fund's news of the advance arrives by event."""

from __future__ import annotations

from datetime import UTC, datetime

from nameko import config
from nameko.rpc import ServiceRpc

from dispatch.batches import lifecycle, use_cases
from dispatch.batches.lifecycle import AgeCheck
from dispatch.batches.repository import BatchRepository
from dispatch.batches.schemas import (
    ArrivalSchema,
    CancelSchema,
    CostsSchema,
    DepartureSchema,
    FormSchema,
    InviteSchema,
    ReleaseSchema,
    ResponseSchema,
    SubstituteSchema,
)
from dispatch.orders.repository import OrderRepository
from dispatch.parts import DispatchPart
from dispatch_contract.batches import APPROVED, BATCH_STATUSES, FORMING
from sanbao_common import clock
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.consumer import consume
from sanbao_common.rpc import call_service, load, optional_argument, rpc


def _batch_id(value) -> str:
    batch_id = optional_argument(value, "batch_id")
    if batch_id is None:
        raise InvalidInput({"batch_id": ["required"]})
    return batch_id


class BatchEntrypoints(DispatchPart):
    registry = ServiceRpc("registry")

    def _run(self, method: str, key: str, request: dict, use_case, *args) -> dict:
        caller, principal = self.context.caller(), self.access.principal
        return self._command(
            method, key, request, lambda uow: use_case(uow, caller, principal, *args)
        )

    def _ages(self, batch_id: str, status: str, people) -> AgeCheck | None:
        """registry's check of `people(batch)`'s exact ages against the batch's order's limits,
        asked outside any transaction (with the caller's token) while the batch is `status`;
        None when there is nothing to ask (the use case then says why, or needs none)."""
        with self.db.reader() as uow:
            batch = BatchRepository(uow.connection).get(batch_id)
            if batch is None or batch.status != status:
                return None
            order = OrderRepository(uow.connection).order(batch.order_id)
            if order is None or (order.age_min is None and order.age_max is None):
                return None
            members = BatchRepository(uow.connection).members([batch_id])[batch_id]
            person_ids = people(members)
        if not person_ids:
            return None
        answer = call_service(self.registry, "check_ages", person_ids, order.age_min, order.age_max)
        return AgeCheck(
            tuple(person_ids), tuple(answer.get("outside", ())), tuple(answer.get("unknown", ()))
        )

    @rpc(permission="batches.form")
    def form_batch(self, batch: dict, idempotency_key: str) -> dict:
        """A batch for an open order of the caller's HR company: `order_id`, `people` (person
        ids invited), `costs` ([{kind, per, amount}]); publishes `batch_formed`."""
        data = load(FormSchema(), batch)
        today, now = clock.today(), clock.now()
        return self._run(
            "form_batch", idempotency_key, batch, use_cases.form_batch, data, today, now
        )

    @rpc(permission="batches.form")
    def invite_to_batch(self, batch_id: str, people: list, idempotency_key: str) -> dict:
        request = {"batch_id": batch_id, "people": people}
        data = load(InviteSchema(), request)
        return self._run(
            "invite_to_batch", idempotency_key, request, use_cases.invite_to_batch, data,
            clock.today(),
        )  # fmt: skip

    @rpc(permission="batches.respond")
    def record_response(
        self, batch_id: str, person_id: str, response: str, responded_on: str,
        idempotency_key: str,
    ) -> dict:  # fmt: skip
        """An invited person `confirmed` or `declined` on `responded_on`."""
        request = {"batch_id": batch_id, "person_id": person_id, "response": response,
                   "responded_on": responded_on}  # fmt: skip
        data = load(ResponseSchema(), request)
        return self._run(
            "record_response", idempotency_key, request, use_cases.record_response, data,
            clock.today(),
        )  # fmt: skip

    @rpc(permission="batches.form")
    def set_batch_costs(self, batch_id: str, costs: list, idempotency_key: str) -> dict:
        request = {"batch_id": batch_id, "costs": costs}
        data = load(CostsSchema(), request)
        return self._run(
            "set_batch_costs", idempotency_key, request, use_cases.set_batch_costs, data
        )

    @rpc(permission="batches.approve")
    def approve_batch(self, batch_id: str, idempotency_key: str) -> dict:
        """The county cooperative approves: registry checks the confirmed people's ages first;
        publishes `batch_approved` (and `advance_requested`)."""
        batch_id = _batch_id(batch_id)
        ages = None
        if lifecycle.may_approve(self.access.principal):
            ages = self._ages(
                batch_id, FORMING, lambda ms: [m.person_id for m in ms if m.status == "confirmed"]
            )
        return self._run(
            "approve_batch", idempotency_key, {"batch_id": batch_id}, lifecycle.approve_batch,
            batch_id, ages, clock.now(), datetime.now(UTC),
        )  # fmt: skip

    @rpc(permission="batches.form")
    def substitute_in_batch(
        self, batch_id: str, out_person_id: str, in_person_id: str, reason: str,
        responded_on: str, idempotency_key: str,
    ) -> dict:  # fmt: skip
        """A seat of an approved batch passes to someone else (who confirmed on
        `responded_on`); publishes `batch_updated`."""
        request = {"batch_id": batch_id, "out_person_id": out_person_id,
                   "in_person_id": in_person_id, "reason": reason,
                   "responded_on": responded_on}  # fmt: skip
        data = load(SubstituteSchema(), request)
        ages = self._ages(data["batch_id"], APPROVED, lambda _: [data["in_person_id"]])
        return self._run(
            "substitute_in_batch", idempotency_key, request, lifecycle.substitute_in_batch,
            data, ages, clock.today(),
        )  # fmt: skip

    @rpc(permission="batches.approve")
    def request_batch_advance(self, batch_id: str, idempotency_key: str) -> dict:
        """The advance asked of the fund again (after a refusal, a rejection or an expiry)."""
        batch_id = _batch_id(batch_id)
        return self._run(
            "request_batch_advance", idempotency_key, {"batch_id": batch_id},
            lifecycle.request_batch_advance, batch_id, datetime.now(UTC),
        )  # fmt: skip

    @rpc(permission="batches.form")
    def record_departure(
        self, batch_id: str, departed_on: str, no_shows: list, idempotency_key: str
    ) -> dict:
        request = {"batch_id": batch_id, "departed_on": departed_on, "no_shows": no_shows}
        data = load(DepartureSchema(), request)
        return self._run(
            "record_departure", idempotency_key, request, lifecycle.record_departure, data,
            clock.today(),
        )  # fmt: skip

    @rpc(permission="batches.form")
    def record_arrival(self, batch_id: str, arrived_on: str, idempotency_key: str) -> dict:
        request = {"batch_id": batch_id, "arrived_on": arrived_on}
        data = load(ArrivalSchema(), request)
        return self._run(
            "record_arrival", idempotency_key, request, lifecycle.record_arrival, data,
            clock.today(),
        )  # fmt: skip

    @rpc(permission="batches.form")
    def release_from_batch(
        self, batch_id: str, person_id: str, reason: str, idempotency_key: str
    ) -> dict:
        """An arrived member the employer turned away, never placed from the batch, let go with
        the reason; publishes `batch_updated`."""
        request = {"batch_id": batch_id, "person_id": person_id, "reason": reason}
        data = load(ReleaseSchema(), request)
        return self._run(
            "release_from_batch", idempotency_key, request, lifecycle.release_from_batch, data
        )

    @rpc(permission="batches.form")
    def cancel_batch(self, batch_id: str, reason: str, idempotency_key: str) -> dict:
        request = {"batch_id": batch_id, "reason": reason}
        data = load(CancelSchema(), request)
        return self._run(
            "cancel_batch", idempotency_key, request, lifecycle.cancel_batch, data,
            datetime.now(UTC),
        )  # fmt: skip

    @rpc(permission="batches.read")
    def get_batch(self, batch_id: str) -> dict:
        batch_id = _batch_id(batch_id)
        with self.db.reader() as uow:
            return use_cases.get_batch(uow, self.access.principal, batch_id)

    @rpc(permission="batches.read")
    def list_batches(self, order_id: str | None = None, status: str | None = None) -> dict:
        order_id = optional_argument(order_id, "order_id")
        status = optional_argument(status, "status", BATCH_STATUSES)
        with self.db.reader() as uow:
            return use_cases.list_batches(uow, self.access.principal, order_id, status)

    # -- the fund's news of advances -----------------------------------------------------------

    @consume("fund", "outflow_proposed")
    def handle_outflow_proposed(self, uow, events) -> None:
        lifecycle.apply_fund_events(uow, events, config["COUNTY"])

    @consume("fund", "outflow_paid")
    def handle_outflow_paid(self, uow, events) -> None:
        lifecycle.apply_fund_events(uow, events, config["COUNTY"])

    @consume("fund", "outflow_rejected")
    def handle_outflow_rejected(self, uow, events) -> None:
        lifecycle.apply_fund_events(uow, events, config["COUNTY"])

    @consume("fund", "fund_request_refused")
    def handle_fund_request_refused(self, uow, events) -> None:
        lifecycle.apply_fund_events(uow, events, config["COUNTY"])
