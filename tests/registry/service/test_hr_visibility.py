"""An HR company's operators see a person's ID number and phone in full only while the person is
in one of that company's open batches or active placements, as registry learns from dispatch's
events (issue 17); everyone else of an HR company, and every other HR company, sees them masked.
Late, replayed, forged and malformed events open nothing."""

import base64
import io
import uuid

import pytest
from sqlalchemy import func, select

from registry.adapters.tables import company_people, company_records
from registry_hiring_support import (
    HR_A,
    HR_B,
    batch_event,
    deliver,
    hr_operator,
    key,
    new_id,
    placement_event,
)
from sanbao_common.envelope import MalformedEvent
from testkit import principal

VILLAGE = "532501001201"


def register(coop, sample) -> tuple[str, str, str]:
    """A person: (person id, ID number, phone)."""
    id_number, phone = sample.id_number("532501"), sample.phone()
    reply = coop.register_labourer(
        {"name": sample.name(), "id_number": id_number, "village_code": VILLAGE, "phone": phone},
        key(),
    )
    return reply["person_id"], id_number, phone


def shown(worker, person_id) -> tuple[str | None, str | None]:
    reply = worker.get_labourer(person_id)
    return reply.get("id_number"), reply.get("phone")


def count(db, table) -> int:
    with db.reader() as uow:
        return uow.connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_the_batch_company_sees_its_people_in_full_only_while_the_batch_is_open(
    registry_worker, coop, hr_a, sample
):
    anna, anna_id, anna_phone = register(coop, sample)
    bo, _, _ = register(coop, sample)
    batch = new_id()
    assert shown(hr_a, anna) == (None, None)  # before any batch
    deliver(
        hr_a, batch_event("batch_formed", batch, 1, "forming", {anna: "invited", bo: "invited"})
    )
    assert shown(hr_a, anna) == (None, None)  # invited only: nobody has said yes yet
    deliver(
        hr_a,
        batch_event("batch_updated", batch, 2, "forming", {anna: "confirmed", bo: "confirmed"}),
    )
    assert shown(hr_a, anna) == (anna_id, anna_phone)
    # Another HR company, and the same company's people who are not its HR operators: masked.
    for other in (
        hr_operator(HR_B),
        hr_operator(HR_A, roles=("finance",)),
        hr_operator(HR_A, roles=("signatory",)),
        principal(["auditor"], kind="audit_bureau", scope="org-audit"),
    ):
        reply = registry_worker(other).get_labourer(anna)
        assert "id_number" not in reply and "phone" not in reply
        assert reply["id_number_masked"].startswith("532501")
    assert shown(hr_a, bo)[0] is not None
    # Bo is swapped out after the approval: masked again for him, Anna still shown.
    deliver(
        hr_a,
        batch_event("batch_approved", batch, 3, "approved", {anna: "confirmed", bo: "confirmed"}),
    )
    deliver(
        hr_a,
        batch_event("batch_updated", batch, 4, "approved", {anna: "confirmed", bo: "substituted"}),
    )
    assert shown(hr_a, bo) == (None, None) and shown(hr_a, anna)[0] == anna_id
    deliver(hr_a, batch_event("batch_departed", batch, 5, "departed", {anna: "departed"}))
    assert shown(hr_a, anna)[0] == anna_id
    # Arrival closes the batch: from then on the placement (if any) is what shows her.
    deliver(hr_a, batch_event("batch_arrived", batch, 6, "arrived", {anna: "arrived"}))
    assert shown(hr_a, anna) == (None, None)


def test_after_a_cancellation_an_older_version_replayed_does_not_open_anything_again(
    coop, hr_a, sample
):
    anna, _, _ = register(coop, sample)
    batch = new_id()
    formed = batch_event("batch_formed", batch, 1, "forming", {anna: "confirmed"})
    approved = batch_event("batch_approved", batch, 2, "approved", {anna: "confirmed"})
    deliver(hr_a, formed)
    deliver(hr_a, batch_event("batch_cancelled", batch, 3, "cancelled", {anna: "confirmed"}))
    assert shown(hr_a, anna) == (None, None)
    # The approval arrives late, and the formation is replayed under new event ids.
    outcome = deliver(hr_a, approved)
    assert outcome.applied == 1 and shown(hr_a, anna) == (None, None)
    deliver(hr_a, dict(formed, event_id=str(uuid.uuid4())))
    assert shown(hr_a, anna) == (None, None)
    # The same event again is the inbox's business: a duplicate, nothing applied.
    assert deliver(hr_a, formed).duplicates == 1


def test_a_placement_shows_its_person_to_its_company_until_it_ends(coop, hr_a, sample):
    anna, anna_id, _ = register(coop, sample)
    placement = new_id()
    deliver(hr_a, placement_event("placement_started", placement, 1, anna))
    assert shown(hr_a, anna)[0] == anna_id
    deliver(hr_a, placement_event("placement_followed_up", placement, 2, anna))
    assert shown(hr_a, anna)[0] == anna_id
    deliver(hr_a, placement_event("placement_ended", placement, 3, anna, status="ended"))
    assert shown(hr_a, anna) == (None, None)
    deliver(hr_a, placement_event("placement_followed_up", placement, 2, anna))
    assert shown(hr_a, anna) == (None, None)


def test_search_export_and_age_check_follow_the_same_rule(registry_worker, coop, hr_a, sample):
    anna, anna_id, anna_phone = register(coop, sample)
    bo, bo_id, _ = register(coop, sample)
    deliver(hr_a, batch_event("batch_formed", new_id(), 1, "forming", {anna: "confirmed"}))
    found = {row["person_id"]: row for row in hr_a.search_labourers({"area": VILLAGE})["labourers"]}
    assert found[anna]["id_number"] == anna_id and found[anna]["phone"] == anna_phone
    assert "id_number" not in found[bo]
    exported = base64.b64decode(hr_a.export_labourers({"area": VILLAGE}, "csv")["content_base64"])
    text = io.BytesIO(exported).read().decode("utf-8-sig")
    assert anna_id in text and bo_id not in text
    assert hr_a.check_age(anna, "2026-11-30", 16)["person_id"] == anna
    other = registry_worker(hr_operator(HR_B))
    assert anna_id not in base64.b64decode(
        other.export_labourers({"area": VILLAGE}, "csv")["content_base64"]
    ).decode("utf-8-sig")


def parked(worker, body) -> bool:
    """Whether the consumer parks the event at once, without retrying: refused by the envelope
    check (the outcome's malformed list), or by the handler (a MalformedEvent)."""
    try:
        return len(deliver(worker, body).malformed) == 1
    except MalformedEvent:
        return True


@pytest.mark.parametrize(
    "spoil",
    [
        lambda body: dict(body, record_id=str(uuid.uuid4())),  # another record's id
        lambda body: dict(body, version=body["version"] + 5),  # a version the state is not
        lambda body: dict(body, payload=dict(body["payload"], members="everyone")),
        lambda body: dict(body, payload=dict(body["payload"], members=[{"person_id": 7}])),
        lambda body: dict(body, payload=dict(body["payload"], hr_company=None)),
        lambda body: dict(body, payload=dict(body["payload"], version="1")),
        lambda body: dict(body, payload=dict(body["payload"], status=None)),
        lambda body: dict(body, payload=["not", "an", "object"]),
    ],
)
def test_a_malformed_batch_event_changes_nothing(coop, hr_a, db, sample, spoil):
    anna, _, _ = register(coop, sample)
    body = spoil(batch_event("batch_formed", new_id(), 1, "forming", {anna: "confirmed"}))
    assert parked(hr_a, body)
    assert count(db, company_records) == 0 and count(db, company_people) == 0
    assert shown(hr_a, anna) == (None, None)
    # The consumer goes on: the next genuine event is applied.
    deliver(hr_a, batch_event("batch_formed", new_id(), 1, "forming", {anna: "confirmed"}))
    assert shown(hr_a, anna)[0] is not None


def test_an_event_from_another_source_is_parked_not_applied(coop, hr_a, db, sample):
    anna, _, _ = register(coop, sample)
    batch = new_id()
    forged = dict(
        batch_event("batch_formed", batch, 1, "forming", {anna: "confirmed"}), source="fund"
    )
    outcome = deliver(hr_a, forged)
    assert outcome.applied == 0 and len(outcome.malformed) == 1
    forged = dict(
        placement_event("placement_started", new_id(), 1, anna, hr_company=HR_A),
        source="registry",
    )
    assert len(deliver(hr_a, forged).malformed) == 1
    assert count(db, company_records) == 0 and shown(hr_a, anna) == (None, None)


def test_a_company_named_in_an_unknown_status_sees_nothing(coop, hr_a, sample):
    """A status dispatch might add later is read as closed: it never opens anyone's numbers."""
    anna, _, _ = register(coop, sample)
    deliver(hr_a, batch_event("batch_formed", new_id(), 1, "paused", {anna: "confirmed"}))
    deliver(hr_a, batch_event("batch_formed", new_id(), 1, "forming", {anna: "waitlisted"}))
    assert shown(hr_a, anna) == (None, None)
