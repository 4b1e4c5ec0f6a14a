"""The events registry publishes about people: a person's whole state (masked) in batches of
`labourer_registered` / `labourer_updated`, `labourer_merged`, and a household's poverty flag.

A state names the codes of the person's skills and intended industries in the county's
vocabularies (`skill_codes`, `industry_codes`: registry.directory.vocabulary.Lexicon, loaded once
for a batch of events), beside the words as written."""

from __future__ import annotations

from registry.directory.vocabulary import Lexicon
from registry.events import registry_event
from registry.people.domain import Household, Person, is_poor, willing_to_go
from sanbao_common.context import Caller


def labourer_state(person: Person, household: Household | None, lexicon: Lexicon) -> dict:
    """A labourer as events carry them: the whole state consumers need, nothing unmasked."""
    return {
        "person_id": person.person_id,
        "name": person.name,
        "id_number_masked": person.id_masked,
        "phone_masked": person.phone_masked,
        "sex": person.sex,
        "birth_year": person.birth_year,
        "village_code": person.village_code,
        "village_group": person.village_group,
        "household_id": person.household_id,
        "poor": is_poor(household),
        "agent_id": person.agent_id,
        "status": person.status,
        "employment_status": person.employment_status,
        # The placement the employment comes from (dispatch's); None: the township's record.
        "employment_source": person.employment_source,
        "skills": [skill["name"] for skill in person.skills],
        "skill_codes": lexicon.skill_codes(person.skills),
        "intention_scope": person.intention_scope,
        "intention_regions": person.intention_regions,
        "intention_industries": person.intention_industries,
        "industry_codes": lexicon.industry_codes(person.intention_industries),
        "expected_wage_fen": person.expected_wage_fen,
        "earliest_start": person.earliest_start.isoformat() if person.earliest_start else None,
        "training_intention": person.training_intention,
        "willing_to_go": willing_to_go(vars(person)),
        "version": person.version,
    }


def poverty_status_changed(caller: Caller, household: Household, members: list[str]) -> dict:
    return registry_event(
        "household_poverty_status_changed",
        caller,
        {
            "household_id": household.household_id,
            "household_number": household.household_number,
            "village_code": household.village_code,
            "poor": household.poor,
            "members": members,
            "version": household.version,
        },
        record_id=household.household_id,
        version=household.version,
    )


def labourer_merged(
    caller: Caller,
    kept: Person,
    household: Household | None,
    merged: Person,
    reason: str,
    lexicon: Lexicon,
) -> dict:
    return registry_event(
        "labourer_merged",
        caller,
        {
            "kept": labourer_state(kept, household, lexicon),
            "merged_person_id": merged.person_id,
            "merged_version": merged.version,
            "reason": reason,
        },
        record_id=kept.person_id,
        version=kept.version,
    )
