"""Labourers: the people the county registers. Pure Python: no I/O, no framework."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from registry.exceptions import OutsideCounty
from sanbao_common.validators import DivisionCode, id_number_birth_date, id_number_sex


@dataclass(frozen=True)
class Labourer:
    person_id: str
    name: str
    id_number: str  # canonical 18 characters; never leaves the service unmasked
    sex: str
    birth_date: date
    phone: str | None
    village_code: str
    registered_at: datetime
    registered_by: str
    version: int = 1


def check_village_in_county(village: DivisionCode, county: str) -> None:
    if village.county != county:
        raise OutsideCounty(village_code=village.code, county=county)


def register(
    *,
    person_id: str,
    name: str,
    id_number: str,
    phone: str | None,
    village: DivisionCode,
    county: str,
    now: datetime,
    actor: str,
) -> Labourer:
    """A new labourer; sex and birth date come from the (already validated) ID number."""
    check_village_in_county(village, county)
    return Labourer(
        person_id=person_id,
        name=name,
        id_number=id_number,
        sex=id_number_sex(id_number),
        birth_date=id_number_birth_date(id_number),
        phone=phone,
        village_code=village.code,
        registered_at=now,
        registered_by=actor,
    )
