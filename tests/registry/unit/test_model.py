"""registry's domain rules, without I/O."""

from datetime import UTC, date, datetime

import pytest

from registry.domain.model import register
from registry.exceptions import OutsideCounty
from sanbao_common.validators import parse_division_code


def new(**changes):
    arguments = dict(
        person_id="p1", name="李秀英", id_number="11010519491231002X", phone=None,
        village=parse_division_code("532501001201"), county="532501",
        now=datetime(2026, 11, 28, tzinfo=UTC), actor="cli:op",
    )  # fmt: skip
    arguments.update(changes)
    return register(**arguments)


def test_sex_and_birth_date_come_from_the_id_number():
    labourer = new()
    assert labourer.sex == "female" and labourer.birth_date == date(1949, 12, 31)
    assert new(id_number="532501199003150013").sex == "male"


def test_a_person_born_elsewhere_registers_in_a_village_of_the_county():
    assert new(id_number="440524188001010014").village_code == "532501001201"


def test_a_village_of_another_county_is_refused():
    with pytest.raises(OutsideCounty) as caught:
        new(village=parse_division_code("532528101201"))
    assert caught.value.code == "OUTSIDE_COUNTY"


def test_a_new_record_starts_at_version_1():
    assert new().version == 1
