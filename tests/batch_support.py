"""Batches for tests that need them (tests/dispatch/service/test_batches*.py, placements, the
degree of organisation, the command line): people fed to dispatch's pool as registry's events
bring them, an order of dispatch's HR company, and a batch taken through its steps by the real
RPCs, with registry's age check stood in for and the fund's news of the advance applied as
dispatch's consumers apply it.

    desk = BatchDesk(dispatch)                   # dispatch: tests/dispatch_support.Dispatch
    people = desk.people(3)                      # three labourers in the pool (dicts)
    order_id = desk.order(head_count=5)
    batch = desk.form(order_id, people, costs=[cost("transport", "person", "300.00")])
    desk.answer(batch, people)                   # everyone confirms (their agent records it)
    batch = desk.approve(batch)                  # the county cooperative; advance_requested
    desk.pay_advance(batch)                      # the fund proposed and paid it
    desk.depart(batch, no_shows=[people[2]])
    batch = desk.arrive(batch)
    batch = desk.arrived_batch(2)                # all of the above in one go (no costs)
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from matching_support import VILLAGE, feed, labourer, order_opener
from nameko.testing.services import worker_factory
from sqlalchemy import select

from dispatch import handlers
from dispatch.adapters.batch_tables import batch_members, batch_substitutions, batches
from dispatch.adapters.placement_tables import placements
from dispatch.adapters.tables import candidates
from dispatch.batches.lifecycle import apply_fund_events
from dispatch.service import DispatchService
from dispatch_support import COUNTY, key, today
from sanbao_common.context import Caller
from sanbao_common.envelope import new_envelope, parse_envelope
from sanbao_common.errors import DomainError
from sanbao_common.messaging.tables import OUTBOX
from testkit import fake_access, principal

VILLAGE_COOP = "org-village-coop"


def cost(kind: str, per: str, amount: str) -> dict:
    return {"kind": kind, "per": per, "amount": amount}


class AgeRegistry:
    """registry's `check_ages` as dispatch calls it: everyone inside the limits unless `ages`
    (person id -> age) says otherwise; `unknown` ids registry does not know. Calls are kept."""

    def __init__(self, ages: dict | None = None, unknown: set | None = None):
        self.ages, self.unknown, self.calls = dict(ages or {}), set(unknown or ()), []

    def check_ages(self, person_ids, age_min, age_max):
        self.calls.append((list(person_ids), age_min, age_max))
        outside = []
        for person_id in person_ids:
            age = self.ages.get(person_id)
            if person_id in self.unknown or age is None:
                continue
            if age_min is not None and age < age_min:
                outside.append({"person_id": person_id, "why": "too_young"})
            elif age_max is not None and age > age_max:
                outside.append({"person_id": person_id, "why": "too_old"})
        return {"outside": outside, "unknown": [p for p in person_ids if p in self.unknown]}


def person_id(person) -> str:
    return person if isinstance(person, str) else person["person_id"]


def batch_id(batch) -> str:
    return batch if isinstance(batch, str) else batch["batch_id"]


def merge_records(dispatch, kept: dict, merged: dict) -> None:
    """registry's labourer_merged: the labourer `merged` folded into `kept` (labourer dicts as
    fed to the pool), applied as dispatch's consumer applies it."""
    envelope = new_envelope(
        "labourer_merged", source="registry", county=COUNTY,
        payload={"kept": dict(kept, version=kept["version"] + 1),
                 "merged_person_id": merged["person_id"], "merged_version": merged["version"] + 1},
        actor="user:clerk", correlation_id="corr",
    )  # fmt: skip
    with dispatch.db.unit_of_work() as uow:
        handlers.apply_merges(uow, [parse_envelope(envelope, COUNTY)])
        uow.commit()


class BatchDesk:
    """The people around a batch, as workers of `dispatch` (a dispatch_support.Dispatch)."""

    def __init__(self, dispatch, registry: AgeRegistry | None = None):
        self.dispatch = dispatch
        self.registry = registry or AgeRegistry()
        self.hr = dispatch.as_(["hr_operator"], dispatch.hr, user="zhou.hr", registry=self.registry)
        self.coop = dispatch.as_(["coop_operator"], user="li.coop", registry=self.registry)
        self.agent = self.worker(["agent"], "village_coop", VILLAGE, "agent-1", VILLAGE_COOP)
        self._opener = None
        self._names = iter(range(1, 1_000_000))

    def worker(self, roles, kind: str, scope: str, user: str, org_id: str):
        """A worker for someone of `org_id` (of `kind`, whose area is `scope`)."""
        who = principal(roles, kind=kind, scope=scope, username=user)
        who = who.__class__(**{**who.__dict__, "user_id": user, "organisation_id": org_id})
        context = SimpleNamespace(caller=lambda: Caller(COUNTY, f"user:{user}", "corr"))
        return worker_factory(
            DispatchService, db=self.dispatch.db, context=context, access=fake_access(who),
            registrar_keys=self.dispatch.registrar.keys, registry=self.registry,
        )  # fmt: skip

    # -- the pool and the order ------------------------------------------------------------------

    def people(self, count: int, **changes) -> list[dict]:
        """`count` new labourers in the pool (matching_support.labourer, with `changes`)."""
        found = [labourer(f"劳动力{next(self._names)}号", **changes) for _ in range(count)]
        feed(self.dispatch, *found)
        return found

    def order(self, **changes) -> str:
        """An open order of dispatch's HR company (head count 2 unless `changes` say)."""
        if self._opener is None:
            self._opener = order_opener(self.dispatch, self.hr)
        return self._opener(**changes)

    # -- the steps ---------------------------------------------------------------------------------

    def form(self, order_id: str, people=(), costs=()) -> dict:
        request = {"order_id": order_id, "people": [person_id(p) for p in people],
                   "costs": list(costs)}  # fmt: skip
        return self.hr.form_batch(request, key())

    def answer(self, batch, people, response: str = "confirmed", on=None) -> dict:
        state = None
        for person in people:
            state = self.agent.record_response(
                batch_id(batch), person_id(person), response, (on or today()).isoformat(), key()
            )
        return state

    def approve(self, batch) -> dict:
        return self.coop.approve_batch(batch_id(batch), key())

    def fund_event(self, event_type: str, batch, proposal_id: str, **payload) -> None:
        """The fund's `event_type` about the batch's advance proposal, applied by dispatch."""
        body = {
            "proposal_id": proposal_id,
            "status": event_type.removeprefix("outflow_"),
            "expires_at": None,
            "reason": None,
            "request": {"source": "dispatch", "request_key": f"batch:{batch_id(batch)}"},
        }
        body.update(payload)  # fmt: skip
        envelope = new_envelope(
            event_type, source="fund", county=COUNTY, payload=body, actor="user:fund.signer",
            correlation_id="corr", record_id=proposal_id, version=1,
        )  # fmt: skip
        with self.dispatch.db.unit_of_work() as uow:
            apply_fund_events(uow, [parse_envelope(envelope, COUNTY)], COUNTY)
            uow.commit()

    def pay_advance(self, batch) -> str:
        """The fund proposed the batch's advance and both organisations signed it: paid."""
        proposal_id = str(uuid.uuid4())
        self.fund_event("outflow_proposed", batch, proposal_id)
        self.fund_event("outflow_paid", batch, proposal_id)
        return proposal_id

    def depart(self, batch, no_shows=(), on=None) -> dict:
        return self.hr.record_departure(
            batch_id(batch), (on or today()).isoformat(), [person_id(p) for p in no_shows], key()
        )

    def arrive(self, batch, on=None) -> dict:
        return self.hr.record_arrival(batch_id(batch), (on or today()).isoformat(), key())

    def arrived_batch(self, count: int = 2, costs=(), no_shows: int = 0, **order) -> dict:
        """A batch of `count` new labourers (the last `no_shows` of them did not go) that
        arrived today: formed, confirmed, approved, its advance paid if it has costs."""
        order.setdefault("head_count", count)
        people = self.people(count)
        batch = self.form(self.order(**order), people, costs)
        self.answer(batch, people)
        approved = self.approve(batch)
        if approved["advance"] is not None:
            self.pay_advance(batch)
        self.depart(batch, no_shows=people[count - no_shows :])
        return self.arrive(batch)


def everything(dispatch) -> tuple:
    """What a refused batch request must leave as it was: batches, members, substitutions,
    placements, who holds whom, and the outbox."""
    with dispatch.db.reader() as uow:
        c = uow.connection

        def rows(query):
            return sorted(tuple(str(v) for v in row) for row in c.execute(query))

        return (
            rows(select(batches)),
            rows(select(batch_members)),
            rows(select(batch_substitutions)),
            rows(select(placements.c.placement_id)),
            rows(select(candidates.c.person_id, candidates.c.booked_by)),
            rows(select(OUTBOX.c.event_id)),
        )


def refused(dispatch, call, code: str) -> DomainError:
    """`call()` is refused with `code` and writes nothing."""
    before = everything(dispatch)
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code, caught.value
    assert everything(dispatch) == before
    return caught.value
