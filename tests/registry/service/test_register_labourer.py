"""RegistryService's entrypoints with a real database and everything else replaced: what they
store, what they write to the outbox, what they refuse, and how a retried command behaves."""

import json
import uuid
from datetime import datetime

import pytest
from sqlalchemy import func, select

from registry.exceptions import LabourerAlreadyRegistered, LabourerNotFound
from registry.rosters.use_cases import COUNTY_TIME
from sanbao_common.access import Forbidden, OutOfScope
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.idempotency import IdempotencyKeyInvalid, IdempotencyKeyReused
from sanbao_common.messaging.tables import OUTBOX
from sanbao_common.privacy import mask_id_number
from sanbao_common.validators import id_number_check_digit
from testkit import principal


@pytest.fixture
def service(registry_worker):
    return registry_worker(principal(["coop_operator"], scope="532501"))


def outbox(db) -> list[dict]:
    with db.reader() as uow:
        return [
            json.loads(body) for body in uow.connection.execute(select(OUTBOX.c.body)).scalars()
        ]


def key() -> str:
    return uuid.uuid4().hex


def person(sample, **changes):
    data = {
        "name": sample.name(),
        "id_number": sample.id_number("532501"),
        "village_code": "532501001201",
        "phone": sample.phone(),
    }
    data.update(changes)
    return data


def test_registering_stores_the_person_and_its_event_together(service, db, sample):
    data = person(sample)
    reply = service.register_labourer(data, key())
    assert reply["id_number_masked"] == mask_id_number(data["id_number"])
    # A cooperative's operator sees the people of its own area in full.
    assert (reply["id_number"], reply["phone"]) == (data["id_number"], data["phone"])
    (event,) = outbox(db)
    assert event["type"] == "labourer_registered"
    (state,) = event["payload"]["people"]
    assert state["person_id"] == reply["person_id"] and state["version"] == 1
    assert event["actor"] == "cli:tester" and event["correlation_id"] == "corr-1"
    assert data["id_number"] not in json.dumps(event) and data["phone"] not in json.dumps(event)
    assert service.count_labourers() == {"labourers": 1}


def test_a_retry_with_the_same_key_returns_the_first_outcome_and_changes_nothing(
    service, db, sample
):
    data, same = person(sample), key()
    first = service.register_labourer(data, same)
    again = service.register_labourer(data, same)
    assert again == first
    assert service.count_labourers() == {"labourers": 1}
    assert len(outbox(db)) == 1


def test_the_same_key_with_another_request_is_refused(service, db, sample):
    same = key()
    service.register_labourer(person(sample), same)
    with pytest.raises(IdempotencyKeyReused):
        service.register_labourer(person(sample), same)
    assert service.count_labourers() == {"labourers": 1}
    assert len(outbox(db)) == 1


@pytest.mark.parametrize("bad_key", [None, "", "short", "has space in it", "x" * 129])
def test_a_command_needs_a_usable_key(service, sample, bad_key):
    with pytest.raises(IdempotencyKeyInvalid):
        service.register_labourer(person(sample), bad_key)
    assert service.count_labourers() == {"labourers": 0}


def test_the_same_id_number_twice_is_refused_with_a_pointer(service, db, sample):
    data = person(sample)
    first = service.register_labourer(data, key())
    lowercase = dict(data, id_number=data["id_number"].lower(), name="王芳")
    with pytest.raises(LabourerAlreadyRegistered) as caught:
        service.register_labourer(lowercase, key())
    assert first["person_id"] in str(caught.value)
    assert service.count_labourers() == {"labourers": 1}
    assert len(outbox(db)) == 1


def test_a_refusal_stores_nothing_so_the_key_can_be_used_for_the_corrected_request(service, sample):
    same = key()
    with pytest.raises(InvalidInput, match="not in county 532501"):
        service.register_labourer(person(sample, village_code="532528101201"), same)
    assert service.register_labourer(person(sample), same)["version"] == 1


def test_bad_input_is_refused_whole_and_writes_nothing(service, db, sample):
    data = person(sample, id_number="532501199003150012", phone="12345", village_code="5325")
    with pytest.raises(InvalidInput) as caught:
        service.register_labourer(data, key())
    text = str(caught.value)
    assert "id_number:" in text and "phone:" in text and "village_code:" in text
    assert service.count_labourers() == {"labourers": 0}
    assert outbox(db) == []


def test_unknown_fields_are_refused(service, sample):
    with pytest.raises(InvalidInput, match="favourite_colour: Unknown field"):
        service.register_labourer(person(sample, favourite_colour="red"), key())


def test_a_batch_registers_the_good_rows_and_says_why_each_other_was_refused(service, db, sample):
    known = person(sample)
    service.register_labourer(known, key())
    twin = person(sample)
    rows = [
        person(sample),
        dict(known, name="张伟"),  # already registered
        twin,
        dict(twin, name="赵丽"),  # the same person twice in one batch
        person(sample, id_number="532501199003150012"),  # bad check digit
        person(sample, village_code="532528101201"),  # another county
        "not an object",
    ]
    reply = service.register_labourers(rows, key())
    assert [r["name"] for r in reply["registered"]] == [rows[0]["name"], twin["name"]]
    assert [(r["index"], r["code"]) for r in reply["refused"]] == [
        (1, "LABOURER_ALREADY_REGISTERED"),
        (3, "INVALID_INPUT"),  # the same ID number twice in what was sent
        (4, "INVALID_INPUT"),
        (5, "INVALID_INPUT"),  # a village of another county
        (6, "INVALID_INPUT"),
    ]
    assert (
        reply["refused"][0]["person_id"]
        == service.get_labourer(reply["refused"][0]["person_id"])["person_id"]
    )
    assert service.count_labourers() == {"labourers": 3}
    # one event per command, carrying each person registered, none of the refused
    assert [len(e["payload"]["people"]) for e in outbox(db)] == [1, 2]


def test_a_batch_retried_with_its_key_registers_nobody_twice(service, db, sample):
    rows, same = [person(sample) for _ in range(5)], key()
    first = service.register_labourers(rows, same)
    assert service.register_labourers(rows, same) == first
    assert service.count_labourers() == {"labourers": 5}
    with db.reader() as uow:
        assert uow.connection.execute(select(func.count()).select_from(OUTBOX)).scalar() == 1


@pytest.mark.parametrize("rows", [[], "x", [{}] * 1001])
def test_a_batch_must_be_a_list_of_1_to_1000(service, rows):
    with pytest.raises(InvalidInput):
        service.register_labourers(rows, key())


def test_an_unknown_person_is_not_found(service):
    with pytest.raises(LabourerNotFound):
        service.get_labourer("no-such-person")


@pytest.mark.parametrize(
    ("role", "kind", "scope", "unmasked"),
    [
        ("coop_operator", "village_coop", "532501001201", True),
        ("agent", "village_group", "532501001201-03", True),
        ("county_admin", "county_coop", "532501", True),
        ("hr_operator", "hr_company", "org-hr", False),
        ("auditor", "audit_bureau", "org-audit", False),
        ("finance", "county_coop", "532501", False),
    ],
)
def test_who_sees_personal_data_unmasked(registry_worker, sample, role, kind, scope, unmasked):
    writer = registry_worker(principal(["coop_operator"], scope="532501"))
    data = person(sample, village_group="3")  # the agent's group
    person_id = writer.register_labourer(data, key())["person_id"]
    reader = registry_worker(principal([role], kind=kind, scope=scope))
    reply = reader.get_labourer(person_id)
    assert (data["id_number"] in str(reply)) is unmasked
    assert (data["phone"] in str(reply)) is unmasked
    assert reply["id_number_masked"] == mask_id_number(data["id_number"])


def test_a_village_operator_cannot_reach_another_village(registry_worker, sample):
    county = registry_worker(principal(["coop_operator"], scope="532501"))
    elsewhere = county.register_labourer(person(sample, village_code="532501002205"), key())
    mine = county.register_labourer(person(sample, village_code="532501001201"), key())
    village = registry_worker(
        principal(["coop_operator"], kind="village_coop", scope="532501001201")
    )
    # by id: as if it did not exist
    with pytest.raises(LabourerNotFound):
        village.get_labourer(elsewhere["person_id"])
    assert village.get_labourer(mine["person_id"])["person_id"] == mine["person_id"]
    # by filter: refused; without one, only its own village is counted
    with pytest.raises(OutOfScope):
        village.count_labourers("532501002205")
    assert village.count_labourers() == {"labourers": 1}
    assert county.count_labourers() == {"labourers": 2}
    # and it cannot register people elsewhere
    with pytest.raises(OutOfScope):
        village.register_labourer(person(sample, village_code="532501002205"), key())


# -- exact ages: checked by registry, the birth date never leaves it ----------------------------


def id_number_born(day: str, sequence: str = "031") -> str:
    """A valid ID number of Gejiu (532501) born on `day` (YYYY-MM-DD); odd sequence: a man."""
    first17 = "532501" + day.replace("-", "") + sequence
    return first17 + id_number_check_digit(first17)


@pytest.mark.parametrize(
    ("on", "min_age", "max_age", "passes"),
    [
        ("2026-03-09", 16, None, False),  # the day before the 16th birthday
        ("2026-03-10", 16, None, True),  # the birthday itself
        ("2026-03-10", 16, 45, True),
        ("2055-03-09", None, 45, True),  # 45 until the day before turning 46
        ("2056-03-10", None, 45, False),
        ("2026-03-10", 17, 45, False),
    ],
)
def test_an_exact_age_limit_is_checked_on_the_day_and_answered_pass_or_fail(
    service, on, min_age, max_age, passes
):
    person_id = service.register_labourer(
        {"name": "杨小军", "id_number": id_number_born("2010-03-10"),
         "village_code": "532501001201"},
        key(),
    )["person_id"]  # fmt: skip
    reply = service.check_age(person_id, on, min_age, max_age)
    assert reply == {
        "person_id": person_id, "on": on, "min_age": min_age, "max_age": max_age,
        "passes": passes,
    }  # fmt: skip


def test_a_leap_day_birthday_comes_on_the_first_of_march_in_other_years(service):
    person_id = service.register_labourer(
        {"name": "李春梅", "id_number": id_number_born("2008-02-29", "042"),
         "village_code": "532501001201"},
        key(),
    )["person_id"]  # fmt: skip
    assert service.check_age(person_id, "2026-02-28", 18)["passes"] is False
    assert service.check_age(person_id, "2026-03-01", 18)["passes"] is True


@pytest.mark.parametrize(
    ("role", "kind", "scope"),
    [
        ("hr_operator", "hr_company", "org-hr"),
        ("auditor", "audit_bureau", "org-audit"),
        ("finance", "county_coop", "532501"),
        ("signatory", "hr_company", "org-hr"),
    ],
)
def test_who_sees_only_the_masked_form_cannot_probe_a_birth_date_with_age_checks(
    registry_worker, service, sample, role, kind, scope
):
    """Asked often enough, pass/fail answers would give the birthday away: only those who may
    see the ID number in full get them."""
    person_id = service.register_labourer(person(sample), key())["person_id"]
    prober = registry_worker(principal([role], kind=kind, scope=scope))
    with pytest.raises(Forbidden):
        prober.check_age(person_id, "2026-11-30", 16)


def test_another_village_cannot_check_an_age_nor_learn_the_person_exists(registry_worker, service):
    person_id = service.register_labourer(
        {"name": "杨小军", "id_number": id_number_born("1990-05-01"),
         "village_code": "532501002205"},
        key(),
    )["person_id"]  # fmt: skip
    village = registry_worker(
        principal(["coop_operator"], kind="village_coop", scope="532501001201")
    )
    with pytest.raises(LabourerNotFound):
        village.check_age(person_id, "2026-11-30", 16)


@pytest.mark.parametrize(
    ("on", "min_age", "max_age"),
    [("30/11/2026", 16, None), ("2026-11-30", None, None), ("2026-11-30", 46, 45),
     ("2026-11-30", -1, None), ("2026-11-30", "16", None), ("2026-11-30", True, None)],
)  # fmt: skip
def test_an_age_check_needs_a_date_and_sensible_limits(service, sample, on, min_age, max_age):
    person_id = service.register_labourer(person(sample), key())["person_id"]
    with pytest.raises(InvalidInput):
        service.check_age(person_id, on, min_age, max_age)


def test_working_age_is_judged_by_birth_year_so_the_registration_day_reveals_no_birthday(
    service,
):
    """Registered on any day of this year, someone born 16 years ago is 16 this year: born on
    31 December they are registered too, so seeing the day a person was registered tells
    nothing about which day of their birth year they were born."""
    youngest = datetime.now(COUNTY_TIME).year - 16
    reply = service.register_labourer(
        {"name": "杨小军", "id_number": id_number_born(f"{youngest}-12-31"),
         "village_code": "532501001201"},
        key(),
    )  # fmt: skip
    assert reply["birth_year"] == youngest and "birth_date" not in reply
    with pytest.raises(InvalidInput, match=f"born in {youngest + 1}"):
        service.register_labourer(
            {"name": "杨小华", "id_number": id_number_born(f"{youngest + 1}-01-01"),
             "village_code": "532501001201"},
            key(),
        )  # fmt: skip
