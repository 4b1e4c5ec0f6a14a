"""What the placement tests share (tests/dispatch/service/test_placements*.py, test_degree*.py):
the business clock stopped on 31 January of next year (10:00 in the county), labourers in the
pool, an order of dispatch's HR company starting that day, and a batch of it that arrived — the
batch rows written as dispatch.batches leaves them at arrival (members `arrived`, each still
booked by the batch), so these tests depend on batches' storage, not on their RPCs."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

from matching_support import VILLAGE, feed, labourer
from nameko.testing.services import worker_factory
from sqlalchemy import insert, select, update

from dispatch.adapters.batch_tables import batch_members, batches
from dispatch.adapters.tables import candidates
from dispatch.service import DispatchService
from dispatch_support import COUNTY, key, today
from sanbao_common import clock
from sanbao_common.access import Principal
from sanbao_common.context import Caller
from testkit import fake_access

CST = timezone(timedelta(hours=8))
YEAR = today().year + 1  # within the terms dispatch_support's agreements run (this year + 2)
START = date(YEAR, 1, 31)


def stop_clock(on: date = START, hour: int = 10) -> None:
    clock.set(datetime(on.year, on.month, on.day, hour, tzinfo=CST))


def move_clock_to(on: date) -> None:
    stop_clock(on)


def worker(dispatch, roles, *, org: str, kind: str, scope: str = COUNTY, user: str = "someone"):
    """A DispatchService worker for a person of any organisation (kind, scope)."""
    who = Principal(
        user_id=user, username=user, organisation_id=org, organisation_kind=kind,
        roles=tuple(sorted(roles)), scope=scope, county=COUNTY,
        expires_at="2999-01-01T00:00:00+00:00", token_id="test",
    )  # fmt: skip
    context = SimpleNamespace(caller=lambda: Caller(COUNTY, f"user:{user}", "corr"))
    return worker_factory(
        DispatchService, db=dispatch.db, context=context, access=fake_access(who),
        registrar_keys=dispatch.registrar.keys,
    )  # fmt: skip


class Placements:
    """The scene: dispatch's HR operator, an open order starting on START, people fed to the
    pool, and arrived batches of that order."""

    def __init__(self, dispatch, **agreement_changes):
        self.dispatch = dispatch
        self.hr = dispatch.as_(["hr_operator"], dispatch.hr, user="zhou.hr")
        stop_clock()
        self.agreement_id = dispatch.sealed_agreement(**agreement_changes)
        employer = self.hr.register_employer(
            {"name": "东莞市长安电子科技有限公司", "credit_code": "91350100M000100Y43",
             "place_scope": "outside_province", "place": "广东省东莞市长安镇",
             "industry": "C39"},
            key(),
        )  # fmt: skip
        self.employer_id = employer["employer_id"]
        self.order = self.open_order()

    def open_order(self, **changes) -> dict:
        """An order of the HR company starting on START (outside the province unless changed)."""
        order = {"agreement_id": self.agreement_id, "employer_id": self.employer_id,
                 "title": "电子厂普工", "head_count": 10, "wage_min": "4500.00",
                 "wage_max": "6000.00", "skills": ["assembler"], "age_min": 18, "age_max": 45,
                 "starts_on": START.isoformat()}  # fmt: skip
        order.update(changes)
        return self.hr.open_job_order(order, key())

    def people(self, *names: str, **changes) -> list[dict]:
        found = [labourer(name, **changes) for name in names]
        feed(self.dispatch, *found)
        return found

    def arrived_batch(
        self, *people: dict, arrived_on: date = START - timedelta(days=1), order=None
    ) -> str:
        """A batch of the order (`order`, or the scene's) whose members all arrived on
        `arrived_on`; each booked by it."""
        batch_id, order = str(uuid.uuid4()), order or self.order
        with self.dispatch.db.unit_of_work() as uow:
            uow.connection.execute(
                insert(batches),
                [{"batch_id": batch_id, "order_id": order["order_id"],
                  "agreement_id": self.agreement_id, "hr_company": self.dispatch.hr.org_id,
                  "status": "arrived", "costs": [], "advance": None,
                  "formed_at": clock.now(), "formed_by": "user:zhou.hr",
                  "departed_on": arrived_on - timedelta(days=1), "arrived_on": arrived_on,
                  "version": 5}],
            )  # fmt: skip
            uow.connection.execute(
                insert(batch_members),
                [{"batch_id": batch_id, "person_id": p["person_id"], "invited_seq": n,
                  "name": p["name"], "id_number_masked": p["id_number_masked"],
                  "village_code": p["village_code"], "agent_id": p["agent_id"],
                  "status": "arrived", "seat": n, "share_fen": 0,
                  "invited_on": arrived_on - timedelta(days=10)}
                 for n, p in enumerate(people, 1)],
            )  # fmt: skip
            for p in people:
                uow.connection.execute(
                    update(candidates)
                    .where(candidates.c.person_id == p["person_id"])
                    .values(booked_by=batch_id)
                )
            uow.commit()
        return batch_id

    def start(self, batch_id: str, person: dict, worker=None, **changes) -> dict:
        placement = {"batch_id": batch_id, "person_id": person["person_id"],
                     "starts_on": START.isoformat(), "wage": "5200.00"}  # fmt: skip
        placement.update(changes)
        return (worker or self.hr).start_placement(placement, key())

    def booked_by(self, person: dict) -> str | None:
        with self.dispatch.db.reader() as uow:
            return uow.connection.execute(
                select(candidates.c.booked_by).where(candidates.c.person_id == person["person_id"])
            ).scalar()


__all__ = ["VILLAGE", "Placements", "move_clock_to", "stop_clock", "worker"]
