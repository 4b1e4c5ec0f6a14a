"""How people are shown on the command line: a labourer's record and four clears, a search row,
times in the county's own clock, history values as cells."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from registry_contract.vocabularies import EMPLOYMENT_STATUSES
from sanbao_cli import output
from sanbao_common.money import format_yuan

COUNTY_TIME = ZoneInfo("Asia/Shanghai")
# The four clears (四清) of a labourer, as registry names them.
ASPECTS = {
    "employment": "employment (就业)",
    "skills": "skills (技能)",
    "intention": "intention (意愿)",
    "training": "training (培训)",
}


def county_time(text: str | None) -> str:
    """An ISO time as the county reads it (Beijing time, to the minute)."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return moment.astimezone(COUNTY_TIME).strftime("%Y-%m-%d %H:%M")


def yes_no(flag) -> str:
    """A yes/no flag as a cell; unknown stays empty."""
    return "" if flag is None else ("yes" if flag else "no")


def skills_text(skills) -> str:
    """Skills (names, or name, level and certificate) as one cell."""
    parts = []
    for skill in skills or []:
        if isinstance(skill, str):
            parts.append(skill)
            continue
        inside = [
            t for t in (skill.get("level"), "持证" if skill.get("certificate") else None) if t
        ]
        parts.append(skill["name"] + (f"({','.join(inside)})" if inside else ""))
    return "；".join(parts)


def history_cell(value) -> str:
    """A history value or list as one cell."""
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "；".join(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _id_shown(person: dict) -> str:
    return person.get("id_number") or person["id_number_masked"]


def show_labourer(title: str, person: dict) -> None:
    """A labourer as registry replies: the record, then the four clears and their dates."""
    wage = person.get("expected_wage_fen")
    household = " ".join(
        part
        for part in (
            person.get("household_number"),
            f"(id {person['household_id']})" if person.get("household_id") else None,
        )
        if part
    )
    data = {
        "person id": person["person_id"],
        "name": person["name"],
        "ID number": person.get("id_number"),
        "ID number (masked)": person["id_number_masked"],
        "phone": person.get("phone"),
        "phone (masked)": person.get("phone_masked"),
        "sex": person.get("sex"),
        "birth year": person.get("birth_year"),
        "village": person["village_code"],
        "village group": person.get("village_group"),
        "household": household,
        "relation to head": person.get("relation_to_head"),
        "poor (建档立卡)": yes_no(person.get("poor"))
        + (f" ({person['poverty_file_number']})" if person.get("poverty_file_number") else ""),
        "agent": person.get("agent_id"),
        "status": person.get("status")
        + (f" into {person['merged_into']}" if person.get("merged_into") else ""),
        "employment": EMPLOYMENT_STATUSES.get(person.get("employment_status"), "")
        + (f", {person['employment_place']}" if person.get("employment_place") else ""),
        "skills": skills_text(person.get("skills")),
        "wants to go to": "；".join(person.get("intention_regions") or []),
        "industries": "；".join(person.get("intention_industries") or []),
        "expected wage (yuan/month)": format_yuan(wage, grouping=True) if wage else None,
        "earliest start": person.get("earliest_start"),
        "training wanted": "；".join(person.get("training_intention") or []),
        "willing to go out": yes_no(person.get("willing_to_go")),
        "registered": attributed(person.get("registered_at"), person.get("registered_by")),
        "version": person.get("version"),
    }
    output.record(title, {k: v for k, v in data.items() if v not in (None, "")})
    clears = person.get("four_clears")
    if clears is None:
        return
    stale = person.get("stale")
    output.rows(
        "four clears (四清)",
        ["aspect", "last changed", "by"],
        [
            [
                label,
                county_time(clears.get(aspect, {}).get("changed_at")),
                clears.get(aspect, {}).get("by"),
            ]
            for aspect, label in ASPECTS.items()
        ]
        + [
            [
                "confirmed" + (" — STALE: check and confirm again" if stale else ""),
                county_time(person.get("confirmed_at")),
                person.get("confirmed_by"),
            ]
        ],
    )


def attributed(at: str | None, by: str | None) -> str:
    """When and by whom, e.g. "2026-03-01 09:30 by li.op"."""
    return " by ".join(part for part in (county_time(at), by) if part)


SEARCH_COLUMNS = [
    "person id", "name", "ID number", "village group", "household", "poor", "employment",
    "skills", "willing", "confirmed", "stale",
]  # fmt: skip


def search_row(person: dict) -> list:
    """One labourer as a row under SEARCH_COLUMNS."""
    return [
        person["person_id"],
        person["name"],
        _id_shown(person),
        person.get("village_group") or person["village_code"],
        person.get("household_number") or "",
        yes_no(person.get("poor")),
        EMPLOYMENT_STATUSES.get(person.get("employment_status"), ""),
        skills_text(person.get("skills")),
        yes_no(person.get("willing_to_go")),
        county_time(person.get("confirmed_at"))[:10],
        "STALE" if person.get("stale") else "",
    ]
