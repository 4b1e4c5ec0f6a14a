"""Placements of a batch taken through its real steps (tests/batch_support.py): each arrived
member is placed once and the batch's hold on them passes to the placement; a no-show is not in
the batch's arrived roster; a return frees the person for another batch."""

import pytest
from sqlalchemy import select

from batch_support import BatchDesk
from dispatch.adapters.tables import candidates
from dispatch_support import key, today
from sanbao_common.errors import DomainError


def booked_by(dispatch, person_id: str) -> str | None:
    with dispatch.db.reader() as uow:
        return uow.connection.execute(
            select(candidates.c.booked_by).where(candidates.c.person_id == person_id)
        ).scalar()


def test_arrived_members_are_placed_and_a_no_show_is_not(dispatch):
    desk = BatchDesk(dispatch)
    batch = desk.arrived_batch(3, no_shows=1)
    arrived = [m for m in batch["members"] if m["status"] == "arrived"]
    (no_show,) = [m for m in batch["members"] if m["status"] == "no_show"]
    start = {"batch_id": batch["batch_id"], "starts_on": today().isoformat(), "wage": "5000.00"}

    placed = [desk.hr.start_placement({**start, "person_id": m["person_id"]}, key())
              for m in arrived]  # fmt: skip
    for member, placement in zip(arrived, placed, strict=True):
        assert placement["name"] == member["name"]
        assert placement["order_id"] == batch["order_id"]
        assert placement["agreement_id"] == batch["agreement_id"]
        assert placement["place_scope"] == batch["place_scope"]
        assert booked_by(dispatch, member["person_id"]) == placement["placement_id"]
    with pytest.raises(DomainError) as refused:
        desk.hr.start_placement({**start, "person_id": no_show["person_id"]}, key())
    assert refused.value.code == "NOT_IN_BATCH"
    assert booked_by(dispatch, no_show["person_id"]) is None  # the no-show was released

    # A return frees the person: a new batch may invite them.
    ended = desk.hr.end_placement(placed[0]["placement_id"], today().isoformat(), "returned", key())
    assert booked_by(dispatch, ended["person_id"]) is None
    again = desk.form(desk.order(head_count=1), [ended["person_id"]])
    assert booked_by(dispatch, ended["person_id"]) == again["batch_id"]
