"""Exporting labourers in the import template's columns, so that a township can correct an
export and import it again (docs/rosters.md)."""

from __future__ import annotations

import time

from registry.people.domain import skills_text
from registry.people.repository import Criteria, PeopleRepository
from registry_contract.rosters import header_for
from registry_contract.vocabularies import EMPLOYMENT_STATUSES
from sanbao_common.crypto import DataKey
from sanbao_common.db import UnitOfWork
from sanbao_common.money import format_yuan

EXPORT_COLUMNS = (
    "name", "id_number", "phone", "village_code", "village_group", "household_number",
    "relation_to_head", "poor", "poverty_file_number", "employment_status", "employment_place",
    "skills", "intention_regions", "intention_industries", "expected_wage", "earliest_start",
    "training_intention", "agent",
)  # fmt: skip
# ID numbers and phones are written as text, so Excel keeps every digit.
TEXT_COLUMNS = {EXPORT_COLUMNS.index("id_number"), EXPORT_COLUMNS.index("phone")}
_BATCH = 500


def export_headers() -> list[str]:
    return [header_for(column) for column in EXPORT_COLUMNS]


def export_rows(
    uow: UnitOfWork, criteria: Criteria, key: DataKey, sees_unmasked, company_people=frozenset()
) -> tuple[list[list], int]:
    """The labourers matching `criteria` as rows of EXPORT_COLUMNS; ID numbers and phones in
    full where `sees_unmasked(village_code)` or for the people of `company_people` (an HR
    operator's company's open batches and placements), masked elsewhere."""
    repository = PeopleRepository(uow.connection)
    usernames = repository.usernames()
    rows: list[list] = []
    batch: list[dict] = []

    def flush() -> None:
        households = repository.households_by_id(
            sorted({r.household_id for r in batch if r.household_id})
        )
        for record in batch:
            household = households.get(record.household_id)
            unmasked = sees_unmasked(record.village_code) or record.person_id in company_people
            phone = record.phone_sealed
            rows.append(
                [
                    record.name,
                    key.decrypt(record.id_sealed) if unmasked else record.id_masked,
                    (key.decrypt(phone) if unmasked else record.phone_masked) if phone else "",
                    record.village_code,
                    str(int(record.village_group[-2:])) if record.village_group else "",
                    household.household_number if household else "",
                    record.relation_to_head or "",
                    ("是" if household.poor else "否") if household else "",
                    (household.poverty_file_number or "") if household else "",
                    EMPLOYMENT_STATUSES.get(record.employment_status, ""),
                    record.employment_place or "",
                    skills_text(record.skills),
                    "；".join(record.intention_regions),
                    "；".join(record.intention_industries),
                    format_yuan(record.expected_wage_fen) if record.expected_wage_fen else "",
                    record.earliest_start.isoformat() if record.earliest_start else "",
                    "；".join(record.training_intention),
                    usernames.get(record.agent_id, "") if record.agent_id else "",
                ]
            )
        batch.clear()
        time.sleep(0)  # under nameko, let the process answer between batches

    for record in repository.stream(criteria, batch=_BATCH):
        batch.append(record)
        if len(batch) == _BATCH:
            flush()
    flush()
    return rows, len(rows)
