"""Batches through DispatchService on a real database: formed by the order's HR company,
answered by the people's agents, approved by the county cooperative after registry checked ages,
the advance asked of the fund and followed, departure (refused until the advance is paid) with
no-shows, arrival; whole states with versions in the `batch_*` events."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from batch_support import AgeRegistry, BatchDesk, cost
from dispatch.adapters.tables import candidates
from dispatch_support import key, today
from sanbao_common.envelope import parse_envelope
from sanbao_common.errors import DomainError

COUNTY = "532501"


def booked(dispatch, people) -> list:
    ids = [p["person_id"] for p in people]
    with dispatch.db.reader() as uow:
        rows = uow.connection.execute(
            select(candidates.c.person_id, candidates.c.booked_by).where(
                candidates.c.person_id.in_(ids)
            )
        )
        found = {row.person_id: row.booked_by for row in rows}
    return [found[i] for i in ids]


def refused(call, code: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code, caught.value
    return caught.value


def test_a_batch_from_forming_to_arrival(dispatch, desk):
    people = desk.people(3)
    order_id = desk.order(head_count=3)
    costs = [cost("transport", "person", "300.00"), cost("medical_exam", "batch", "100.00")]
    formed = desk.form(order_id, people, costs)

    assert formed["status"] == "forming" and formed["version"] == 1
    assert [m["status"] for m in formed["members"]] == ["invited"] * 3
    assert formed["formed_by"] == "user:zhou.hr" and formed["hr_company"] == dispatch.hr.org_id
    assert formed["costs"] == [
        {"kind": "transport", "per": "person", "amount_fen": 30000},
        {"kind": "medical_exam", "per": "batch", "amount_fen": 10000},
    ]
    assert booked(dispatch, people) == [formed["batch_id"]] * 3

    desk.answer(formed, people[:2])
    answered = desk.answer(formed, people[2:], "declined")
    assert [m["status"] for m in answered["members"]] == ["confirmed", "confirmed", "declined"]
    assert answered["members"][0]["responded_on"] == today().isoformat()
    assert booked(dispatch, people)[2] is None  # a decline lets the person go

    approved = desk.approve(formed)
    assert approved["status"] == "approved" and approved["approved_by"] == "user:li.coop"
    # 100.00 per batch over two seats, 300.00 each per person.
    assert [(m["seat"], m["share_fen"]) for m in approved["members"][:2]] == [
        (1, 35000),
        (2, 35000),
    ]
    assert approved["advance_fen"] == 70000
    assert approved["advance"]["status"] == "requested"
    assert approved["advance"]["request_key"] == f"batch:{formed['batch_id']}"
    assert desk.registry.calls == [([p["person_id"] for p in people[:2]], 18, 45)]

    (request,) = dispatch.events("advance_requested")
    envelope = parse_envelope(request, COUNTY)
    assert envelope.actor == "user:li.coop" and envelope.record_id == formed["batch_id"]
    payload = envelope.payload
    assert payload["account_id"] == approved["agreement_id"]
    assert payload["proposer"] == {
        "user_id": "li.coop",
        "username": "li.coop",
        "organisation_id": dispatch.county.org_id,
    }
    assert payload["replaces"] is None
    assert [
        (line["amount_fen"], line["reference"], line["payee"]) for line in payload["lines"]
    ] == [
        (35000, f"{formed['batch_id']}/1", dispatch.hr.org_id),
        (35000, f"{formed['batch_id']}/2", dispatch.hr.org_id),
    ]

    refused(lambda: desk.depart(formed), "ADVANCE_NOT_PAID")
    desk.pay_advance(formed)
    paid = desk.hr.get_batch(formed["batch_id"])
    assert paid["advance"]["status"] == "paid"

    departed = desk.depart(formed, no_shows=[people[1]])
    assert [m["status"] for m in departed["members"]] == ["departed", "no_show", "declined"]
    assert booked(dispatch, people) == [formed["batch_id"], None, None]
    arrived = desk.arrive(formed)
    assert arrived["status"] == "arrived"
    assert [m["status"] for m in arrived["members"]] == ["arrived", "no_show", "declined"]
    assert booked(dispatch, people)[0] == formed["batch_id"]  # until the placement starts

    types = [e["type"] for e in dispatch.events() if e["type"].startswith("batch_")]
    assert types == ["batch_formed"] + ["batch_updated"] * 3 + ["batch_approved"] + [
        "batch_updated"
    ] * 2 + ["batch_departed", "batch_arrived"]
    last = parse_envelope(dispatch.events("batch_arrived")[0], COUNTY)
    assert last.payload == arrived and last.version == arrived["version"] == 9


def test_a_batch_without_costs_needs_no_advance(dispatch, desk):
    arrived = desk.arrived_batch(2)
    assert arrived["status"] == "arrived" and arrived["advance"] is None
    assert dispatch.events("advance_requested") == []


def test_ages_outside_the_order_s_limits_refuse_approval_and_write_nothing(dispatch):
    registry = AgeRegistry()
    desk = BatchDesk(dispatch, registry)
    people = desk.people(2)
    formed = desk.form(desk.order(), people)
    desk.answer(formed, people)
    registry.ages[people[1]["person_id"]] = 50
    before = dispatch.events()
    error = refused(lambda: desk.approve(formed), "AGE_OUTSIDE_LIMITS")
    assert error.details["person_ids"] == [people[1]["person_id"]]
    assert "50" not in str(error)
    assert dispatch.events() == before
    assert desk.hr.get_batch(formed["batch_id"])["status"] == "forming"
    registry.ages.clear()
    registry.unknown.add(people[0]["person_id"])
    refused(lambda: desk.approve(formed), "AGE_UNKNOWN")


def test_no_age_check_when_the_order_has_no_limits(dispatch, desk):
    people = desk.people(1)
    formed = desk.form(desk.order(age_min=None, age_max=None), people)
    desk.answer(formed, people)
    assert desk.approve(formed)["status"] == "approved"
    assert desk.registry.calls == []


def test_substitution_hands_the_seat_and_its_share_over(dispatch, desk):
    people = desk.people(3)
    formed = desk.form(desk.order(head_count=2), people[:2], [cost("meals", "batch", "0.03")])
    desk.answer(formed, people[:2])
    approved = desk.approve(formed)
    assert [m["share_fen"] for m in approved["members"]] == [2, 1]  # the odd fen to seat 1
    changed = desk.hr.substitute_in_batch(
        formed["batch_id"], people[0]["person_id"], people[2]["person_id"], "生病",
        today().isoformat(), key(),
    )  # fmt: skip
    by_person = {m["person_id"]: m for m in changed["members"]}
    assert by_person[people[0]["person_id"]]["status"] == "substituted"
    assert (
        by_person[people[2]["person_id"]]["seat"],
        by_person[people[2]["person_id"]]["share_fen"],
    ) == (1, 2)
    assert changed["substitutions"] == [
        {"seat": 1, "out_person_id": people[0]["person_id"],
         "in_person_id": people[2]["person_id"], "reason": "生病", "on": today().isoformat(),
         "by": "user:zhou.hr"}
    ]  # fmt: skip
    assert booked(dispatch, people) == [None, formed["batch_id"], formed["batch_id"]]


def test_cancelling_lets_everyone_go(dispatch, desk):
    people = desk.people(2)
    formed = desk.form(desk.order(), people)
    cancelled = desk.hr.cancel_batch(formed["batch_id"], "用工单位推迟", key())
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_reason"] == "用工单位推迟"
    assert [m["status"] for m in cancelled["members"]] == ["released"] * 2
    assert booked(dispatch, people) == [None, None]


def test_the_advance_follows_the_fund_and_is_asked_again_after_a_rejection(dispatch, desk):
    people = desk.people(1)
    formed = desk.form(desk.order(), people, [cost("transport", "person", "250.00")])
    desk.answer(formed, people)
    desk.approve(formed)
    desk.fund_event("outflow_proposed", formed, "p-1")
    assert desk.hr.get_batch(formed["batch_id"])["advance"]["status"] == "proposed"
    refused(lambda: desk.coop.request_batch_advance(formed["batch_id"], key()),
            "ADVANCE_NOT_REPEATABLE")  # fmt: skip
    desk.fund_event("outflow_rejected", formed, "p-1", reason="金额有误")
    rejected = desk.hr.get_batch(formed["batch_id"])["advance"]
    assert (rejected["status"], rejected["reason"]) == ("rejected", "金额有误")
    again = desk.coop.request_batch_advance(formed["batch_id"], key())
    assert again["advance"]["status"] == "requested"
    requests = dispatch.events("advance_requested")
    assert parse_envelope(requests[-1], COUNTY).payload["replaces"] == "p-1"
    desk.fund_event("outflow_rejected", formed, "p-1")  # stale news of the replaced one
    assert desk.hr.get_batch(formed["batch_id"])["advance"]["status"] == "requested"
    desk.fund_event("outflow_proposed", formed, "p-2")
    desk.fund_event("outflow_paid", formed, "p-2")
    assert desk.hr.get_batch(formed["batch_id"])["advance"]["status"] == "paid"
    assert desk.depart(formed)["status"] == "departed"


def test_dates_in_the_future_are_refused(dispatch, desk):
    people = desk.people(1)
    formed = desk.form(desk.order(), people)
    tomorrow = today() + timedelta(days=1)
    refused(lambda: desk.answer(formed, people, on=tomorrow), "BATCH_DATE_REFUSED")
