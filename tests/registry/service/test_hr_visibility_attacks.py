"""Attacks on what registry learns from dispatch's batches and placements (issue
17): events delivered out of order across the placement queues, crafted events, and the reads an
HR company's people have. Each test states the attack; the behaviour asserted is the defence."""

import pytest

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

VILLAGE = "532501001201"


def unemployed(coop, sample) -> str:
    return coop.register_labourer(
        {"name": sample.name(), "id_number": sample.id_number("532501"), "village_code": VILLAGE,
         "phone": sample.phone(), "employment_status": "失业", "intention_regions": ["昆明市"]},
        key(),
    )["person_id"]  # fmt: skip


def employment(coop, person_id) -> tuple:
    reply = coop.get_labourer(person_id)
    return reply["employment_status"], reply["employment_place"], reply["employment_source"]


def started(placement, version, person, place):
    return placement_event(
        "placement_started", placement, version, person, overrides={"place": place}
    )


def ended(placement, version, person, place):
    return placement_event(
        "placement_ended", placement, version, person, status="ended", overrides={"place": place}
    )


TOWNSHIP = ("unemployed", None, None)  # what the township recorded


def test_a_return_heard_after_the_next_placement_began_does_not_come_back_later(coop, hr_a, sample):
    """Anna returns from placement 1 and is placed again (placement 2). placement_ended and
    placement_started have their own queues: registry hears the new start first. When placement
    2 ends too, her four clears must say what the township recorded, not placement 1 again."""
    anna = unemployed(coop, sample)
    first, second = new_id(), new_id()
    deliver(hr_a, started(first, 1, anna, "昆明市"))
    deliver(hr_a, started(second, 1, anna, "玉溪市"))  # heard before the first one's end
    assert employment(coop, anna) == ("in_province", "玉溪市", second)
    deliver(hr_a, ended(first, 2, anna, "昆明市"))
    assert employment(coop, anna) == ("in_province", "玉溪市", second)
    deliver(hr_a, ended(second, 2, anna, "玉溪市"))
    assert employment(coop, anna) == TOWNSHIP


def test_a_start_heard_late_is_undone_by_the_ends_in_any_order(coop, hr_a, sample):
    """The first placement's start reaches registry only after the second's: whatever order the
    two ends then come in, nothing of either placement stays in the four clears."""
    for order in ("first-end-first", "second-end-first"):
        anna = unemployed(coop, sample)
        first, second = new_id(), new_id()
        deliver(hr_a, started(second, 1, anna, "玉溪市"))
        deliver(hr_a, started(first, 1, anna, "昆明市"))  # late
        ends = [ended(first, 2, anna, "昆明市"), ended(second, 2, anna, "玉溪市")]
        for body in ends if order == "first-end-first" else ends[::-1]:
            deliver(hr_a, body)
        assert employment(coop, anna) == TOWNSHIP, order


def test_a_merged_record_is_not_rewritten_when_its_placement_ends(
    registry_worker, coop, hr_a, sample
):
    """A placed record is merged into another: the tombstone keeps what it said; the end of the
    placement does not give the tombstone a new version and a labourer_updated."""
    anna, twin = unemployed(coop, sample), unemployed(coop, sample)
    placement = new_id()
    deliver(hr_a, started(placement, 1, anna, "昆明市"))
    admin = coop
    admin.merge_labourers(twin, anna, "the same person twice", key())
    before = coop.get_labourer(anna)
    deliver(hr_a, ended(placement, 2, anna, "昆明市"))
    after = coop.get_labourer(anna)
    assert (after["status"], after["version"]) == ("merged", before["version"])


@pytest.mark.parametrize("version", [2**31, 2**63, 10**30])
def test_a_version_no_column_holds_is_parked_at_once(coop, hr_a, sample, version):
    """A crafted event with a version beyond the database's integer is refused as malformed
    (parked at once), not retried as a database failure."""
    anna = unemployed(coop, sample)
    batch = new_id()
    with pytest.raises(MalformedEvent):
        deliver(hr_a, batch_event("batch_formed", batch, version, "forming", {anna: "confirmed"}))
    assert "id_number" not in hr_a.get_labourer(anna)


def test_a_batch_of_one_company_shows_nothing_to_another_nor_to_its_other_people(
    registry_worker, coop, hr_a, sample
):
    """Company B's operator, and company A's finance person and signatory, gain nothing from A's
    batch through any read: get, search, export, check_age, check_ages."""
    anna = unemployed(coop, sample)
    deliver(hr_a, batch_event("batch_formed", new_id(), 1, "forming", {anna: "confirmed"}))
    assert "id_number" in hr_a.get_labourer(anna)
    for other in (
        hr_operator(HR_B),
        hr_operator(HR_A, roles=("finance",)),
        hr_operator(HR_A, roles=("signatory",)),
    ):
        worker = registry_worker(other)
        assert "id_number" not in worker.get_labourer(anna)
        found = worker.search_labourers({"employment_status": "unemployed"})["labourers"]
        assert all("id_number" not in row and "phone" not in row for row in found)


def test_an_invitation_alone_shows_nobody_s_numbers(coop, hr_a, sample):
    """An HR operator may post an order with any head count and invite anyone in the pool: were
    an invitation enough, inviting the county would show every ID number and phone, and a
    cancellation would hide the harvest. Only a person whose consent their agent or cooperative
    recorded (confirmed), or who departed, is shown."""
    anna, bo = unemployed(coop, sample), unemployed(coop, sample)
    batch = new_id()
    deliver(
        hr_a, batch_event("batch_formed", batch, 1, "forming", {anna: "invited", bo: "invited"})
    )
    assert "id_number" not in hr_a.get_labourer(anna)
    assert "id_number" not in hr_a.get_labourer(bo)
    deliver(
        hr_a, batch_event("batch_updated", batch, 2, "forming", {anna: "confirmed", bo: "invited"})
    )
    assert "id_number" in hr_a.get_labourer(anna)
    assert "id_number" not in hr_a.get_labourer(bo)
