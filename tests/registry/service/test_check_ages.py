"""check_ages: whose exact age on the county's today (the kit's clock) lies outside an order's
limits, and why; nothing else — no birth date, no age — for up to 1,000 people in a call."""

import uuid
from datetime import UTC, datetime

import pytest

from registry_hiring_support import hr_operator
from sanbao_common.errors import InvalidInput
from sanbao_common.validators import id_number_check_digit
from testkit import principal

VILLAGE = "532501001201"


def born(coop, day: str, sequence: str = "031") -> str:
    first17 = "532501" + day.replace("-", "") + sequence
    return coop.register_labourer(
        {"name": "杨小军", "id_number": first17 + id_number_check_digit(first17),
         "village_code": VILLAGE},
        uuid.uuid4().hex,
    )["person_id"]  # fmt: skip


def test_ages_are_exact_on_the_county_s_today(coop, registry_worker, business_clock):
    turning_16 = born(coop, "2010-12-02")  # 16 on 2 December 2026
    turning_46 = born(coop, "1980-12-02", "033")  # 46 on 2 December 2026: too old for 16-45
    hr = registry_worker(hr_operator())
    ids = [turning_16, turning_46]
    # 1 December 2026, 23:59 in Asia/Shanghai (15:59 UTC): still the 1st in the county.
    business_clock.set(datetime(2026, 12, 1, 15, 59, tzinfo=UTC))
    assert hr.check_ages(ids, 16, 45) == {
        "outside": [{"person_id": turning_16, "why": "too_young"}],
        "unknown": [],
    }
    # Midnight in the county, 16:00 UTC: both birthdays have come.
    business_clock.set(datetime(2026, 12, 1, 16, 0, tzinfo=UTC))
    assert hr.check_ages(ids, 16, 45) == {
        "outside": [{"person_id": turning_46, "why": "too_old"}],
        "unknown": [],
    }
    assert hr.check_ages(ids, None, 46)["outside"] == []
    assert hr.check_ages(ids, 17, None)["outside"] == [
        {"person_id": turning_16, "why": "too_young"}
    ]


def test_the_reply_holds_in_or_out_only(coop, registry_worker):
    person = born(coop, "1990-05-01")
    reply = registry_worker(hr_operator()).check_ages([person, person], 16, 45)
    assert reply == {"outside": [], "unknown": []}  # each person once; nothing else said
    assert "1990" not in repr(reply) and "0501" not in repr(reply)


def test_unknown_merged_and_out_of_area_people_are_unknown_alike(coop, registry_worker):
    kept, merged = born(coop, "1990-05-01"), born(coop, "1990-05-02", "035")
    coop.merge_labourers(kept, merged, "同一人", uuid.uuid4().hex)
    elsewhere = coop.register_labourer(
        {"name": "李四", "id_number": "532501199001010" + "03" + id_number_check_digit(
            "53250119900101003"), "village_code": "532501002205"},
        uuid.uuid4().hex,
    )["person_id"]  # fmt: skip
    missing = str(uuid.uuid4())
    village = registry_worker(principal(["coop_operator"], kind="village_coop", scope=VILLAGE))
    reply = village.check_ages([kept, merged, elsewhere, missing], 16, 45)
    assert reply == {"outside": [], "unknown": [merged, elsewhere, missing]}


@pytest.mark.parametrize(
    ("person_ids", "age_min", "age_max", "field"),
    [
        ([], 16, 45, "person_ids"),
        ("abc", 16, 45, "person_ids"),
        ([7], 16, 45, "person_ids"),
        (["x" * 37], 16, 45, "person_ids"),
        (["p"] * 1001, 16, 45, "person_ids"),
        (["p"], None, None, "age_min"),
        (["p"], 46, 45, "age_max"),
        (["p"], -1, 45, "age_min"),
        (["p"], "16", 45, "age_min"),
        (["p"], True, 45, "age_min"),
        (["p"], 16, 151, "age_max"),
    ],
)
def test_bad_input_is_refused(registry_worker, person_ids, age_min, age_max, field):
    with pytest.raises(InvalidInput) as refused:
        registry_worker(hr_operator()).check_ages(person_ids, age_min, age_max)
    assert field in refused.value.errors


@pytest.mark.parametrize("role", ["agent", "auditor", "finance", "signatory"])
def test_only_those_who_form_or_approve_batches_may_ask(registry_worker, role):
    from sanbao_common.access import Forbidden

    with pytest.raises(Forbidden):
        registry_worker(principal([role])).check_ages(["p"], 16, 45)
