"""A claim's state from the journal's movements on its advance (pure), and what the fund reads
of a `batch_departed`: its no-shows with their seats, nothing else."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fund.domain.claims import (
    OPEN,
    RECOVERED,
    REDUCED_BY,
    SETTLED,
    WRITTEN_OFF,
    DepartureUnreadable,
    claim_state,
    read_departure,
)
from fund_claims_support import batch_state

KINDS = [*REDUCED_BY, "outflow:advance"]


def test_a_claim_is_open_until_its_last_part_goes_and_says_what_took_it():
    state = claim_state(35_000, [("inflow:advance_recovery", -10_000)])
    assert (state.recovered_fen, state.outstanding_fen, state.status) == (10_000, 25_000, OPEN)
    state = claim_state(
        35_000, [("inflow:advance_recovery", -10_000), ("outflow:write_off", -25_000)]
    )
    assert (state.written_off_fen, state.outstanding_fen, state.status) == (25_000, 0, WRITTEN_OFF)
    assert claim_state(35_000, [("settlement", -35_000)]).status == SETTLED
    # A later advance on the same reference is not the claim's; a reduction beyond it neither.
    state = claim_state(35_000, [("outflow:advance", 5_000), ("inflow:advance_recovery", -40_000)])
    assert (state.recovered_fen, state.outstanding_fen, state.status) == (35_000, 0, RECOVERED)


@given(
    st.integers(min_value=1, max_value=10**9),
    st.lists(st.tuples(st.sampled_from(KINDS), st.integers(min_value=-(10**9), max_value=10**9))),
)
def test_a_claims_parts_add_up_and_it_is_open_exactly_while_something_is_outstanding(
    claimed, movements
):
    state = claim_state(claimed, movements)
    parts = (state.recovered_fen, state.settled_fen, state.written_off_fen, state.outstanding_fen)
    assert all(part >= 0 for part in parts) and sum(parts) == claimed
    assert (state.status == OPEN) == (state.outstanding_fen > 0)


def test_a_departure_gives_its_no_shows_by_seat_and_nothing_else():
    state = batch_state("acc", "b-1", no_shows=(3, 1))
    departure = read_departure(state, "b-1")
    assert (departure.batch_id, departure.account_id, departure.version) == ("b-1", "acc", 7)
    assert [(n.seat, n.person_id, n.reference) for n in departure.no_shows] == [
        (1, "p-1", "b-1/1"),
        (3, "p-3", "b-1/3"),
    ]
    assert read_departure(batch_state("acc", "b-1"), "b-1").no_shows == ()
    # A substituted member has left the seat to the newcomer; a departed one is no claim.
    state["members"].append(dict(state["members"][1], status="substituted", person_id="p-0"))
    assert len(read_departure(state, "b-1").no_shows) == 2


@pytest.mark.parametrize(
    "changes, record_id",
    [
        ({}, "b-2"),
        ({"status": "forming"}, "b-1"),
        ({"version": 0}, "b-1"),
        ({"version": True}, "b-1"),
        ({"agreement_id": "x" * 37}, "b-1"),
        ({"members": [{"status": "no_show", "seat": True, "person_id": "p", "name": "n"}]}, "b-1"),
        ({"members": [{"status": "no_show", "seat": 0, "person_id": "p", "name": "n"}]}, "b-1"),
        ({"members": [{"status": "no_show", "seat": 1, "person_id": "p", "name": ""}]}, "b-1"),
        ({"members": [{}] * 1001}, "b-1"),
    ],
)
def test_a_departure_the_fund_cannot_read_says_why(changes, record_id):
    with pytest.raises(DepartureUnreadable):
        read_departure(dict(batch_state("acc", "b-1", no_shows=(1,)), **changes), record_id)
    with pytest.raises(DepartureUnreadable):
        read_departure(["not", "a", "state"], "b-1")
