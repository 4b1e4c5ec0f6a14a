"""What the pool keeps for ranking, from registry's labourer events: the new fields read when
there, empty answers when an older event lacks them, wrong types refused (the event is parked,
not half-applied), and a booking that no event from registry can undo."""

from dataclasses import replace
from datetime import date

import pytest

from dispatch.domain.model import Candidate, apply_state
from dispatch.schemas import person_state
from sanbao_common.envelope import MalformedEvent, new_envelope, parse_envelope

OLD = {
    "person_id": "p-1", "name": "杨丽", "id_number_masked": "532501**********24",
    "sex": "female", "birth_year": 1992, "village_code": "532501001201", "poor": True,
    "status": "active", "employment_status": "at_home", "skills": ["焊工"],
    "intention_regions": ["广东省"], "willing_to_go": True, "version": 3,
}  # fmt: skip
NEW = {
    "intention_scope": "outside_province", "industry_codes": ["E47", "C39", "E47"],
    "skill_codes": ["welder"], "training_intention": ["电工"], "expected_wage_fen": 500000,
    "earliest_start": "2027-02-15", "agent_id": "agent-7", "intention_industries": ["建筑"],
}  # fmt: skip


def state_of(person: dict) -> dict:
    envelope = new_envelope(
        "labourer_updated", source="registry", county="532501", payload={"people": [person]},
        actor="user:clerk", correlation_id="c",
    )  # fmt: skip
    return person_state(parse_envelope(envelope, "532501"), person)


def test_the_ranking_fields_are_kept_as_codes_and_dates():
    state = state_of(OLD | NEW)
    assert {name: state[name] for name in (*NEW.keys() - {"intention_industries"},)} == {
        "intention_scope": "outside_province", "industry_codes": ["C39", "E47"],
        "skill_codes": ["welder"], "training_intention": ["电工"], "expected_wage_fen": 500000,
        "earliest_start": date(2027, 2, 15), "agent_id": "agent-7",
    }  # fmt: skip
    assert "intention_industries" not in state  # the texts: codes are what matching compares
    Candidate(**state)  # every field the pool keeps


def test_an_event_from_before_the_fields_gives_empty_answers():
    state = state_of(dict(OLD))
    assert (state["intention_scope"], state["industry_codes"], state["skill_codes"]) == (
        None, [], [],
    )  # fmt: skip
    assert state["training_intention"] == [] and state["expected_wage_fen"] is None
    assert state["earliest_start"] is None and state["agent_id"] is None


@pytest.mark.parametrize(
    "changes",
    [
        {"intention_scope": "abroad"},
        {"intention_scope": 3},
        {"industry_codes": "E47"},
        {"skill_codes": [1]},
        {"training_intention": {"a": 1}},
        {"expected_wage_fen": "4500"},
        {"expected_wage_fen": -1},
        {"expected_wage_fen": True},
        {"earliest_start": "15/02/2027"},
        {"earliest_start": 20270215},
        {"agent_id": ""},
    ],
)
def test_a_field_of_the_wrong_kind_refuses_the_event(changes):
    with pytest.raises(MalformedEvent):
        state_of(OLD | NEW | changes)


def test_a_booking_stays_whatever_registry_sends_later():
    booked = replace(Candidate(**state_of(OLD | NEW)), booked_by="batch-1", events_applied=1)
    newer = Candidate(**state_of(OLD | NEW | {"version": 4, "expected_wage_fen": 600000}))
    after = apply_state(booked, newer)
    assert after.booked_by == "batch-1" and after.expected_wage_fen == 600000
    assert after.events_applied == 2
