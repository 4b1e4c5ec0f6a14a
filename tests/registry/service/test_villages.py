"""The county's village list through registry's entrypoints: who may change it, what a change
must keep true, and how registrations and rosters name villages against it. Every test database
starts with the demonstration list (tests/conftest.py seeds it, as `make run` does), where
大寨村委会 is both 卡房镇's 532501001201 and 鸡街镇's 532501002205."""

import base64
import uuid

import pytest

from registry.directory.repository import DirectoryRepository
from registry.exceptions import VillagesRejected
from sanbao_common.access import Forbidden
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.idempotency import IdempotencyKeyReused
from testkit import principal

KAFANG, JIJIE = "532501001", "532501002"
KAFANG_DAZHAI, JIJIE_DAZHAI = "532501001201", "532501002205"


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def admin(registry_worker):
    return registry_worker(principal(["coop_operator", "county_admin"], scope="532501"))


@pytest.fixture
def kafang(registry_worker):
    """An operator of 卡房镇's cooperative."""
    return registry_worker(
        principal(["coop_operator"], scope=KAFANG, kind="township_coop", username="kafang.op")
    )


def someone(sample, **fields) -> dict:
    return {"name": sample.name(), "id_number": sample.id_number("532501")} | fields


def invalid(call, *args) -> str:
    """The message of the INVALID_INPUT `call(*args)` is refused with."""
    with pytest.raises(InvalidInput) as caught:
        call(*args)
    return str(caught.value)


# -- the list -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "kind", "scope"),
    [
        (["auditor"], "audit_bureau", "org-audit"),
        (["hr_operator"], "hr_company", "org-hr"),
        (["coop_operator"], "township_coop", KAFANG),
    ],
)
def test_everyone_reads_the_list_of_a_township_by_its_name(registry_worker, roles, kind, scope):
    reader = registry_worker(principal(roles, kind=kind, scope=scope))
    found = reader.list_villages("卡房")
    assert [t["name"] for t in found["townships"]] == ["卡房镇"]
    assert len(found["villages"]) == 20
    first = found["villages"][0]
    assert (first["code"], first["township_name"], first["name"]) == (
        KAFANG_DAZHAI, "卡房镇", "大寨村委会",
    )  # fmt: skip
    assert "大寨子" in first["aliases"]
    assert len(reader.list_villages()["villages"]) == 300


@pytest.mark.parametrize(
    ("roles", "kind", "scope"),
    [
        (["coop_operator"], "county_coop", "532501"),
        (["coop_operator"], "township_coop", KAFANG),
        (["auditor"], "audit_bureau", "org-audit"),
        (["finance"], "county_coop", "532501"),
    ],
)
def test_only_a_county_administrator_changes_the_list(registry_worker, roles, kind, scope):
    someone_else = registry_worker(principal(roles, kind=kind, scope=scope))
    entry = {"code": "532501001221", "name": "龙潭村委会"}
    with pytest.raises(Forbidden):
        someone_else.import_villages([entry], key())
    assert len(someone_else.list_villages(KAFANG)["villages"]) == 20


def test_an_import_is_all_or_nothing_and_every_change_is_history(admin, db):
    good = {"code": "532501001221", "township": "卡房镇", "name": "龙潭村委会", "aliases": "龙潭村"}
    clash = {"code": "532501001222", "name": "黑龙潭", "aliases": ["大寨子"]}  # 大寨村委会's
    with pytest.raises(VillagesRejected, match="大寨子"):
        admin.import_villages([good, clash], key())
    assert len(admin.list_villages(KAFANG)["villages"]) == 20  # not even the good one
    same = key()
    reply = admin.import_villages([good], same)
    assert reply["villages"] == {
        "added": 1, "changed": 0, "retired": 0, "restored": 0, "unchanged": 0,
    }  # fmt: skip
    assert admin.import_villages([good], same) == reply  # a retry
    with pytest.raises(IdempotencyKeyReused):
        admin.import_villages([dict(good, name="龙潭社区")], same)
    renamed = admin.import_villages([dict(good, name="龙潭社区")], key())
    assert renamed["villages"]["changed"] == 1
    again = admin.import_villages([dict(good, name="龙潭社区")], key())
    assert again["villages"]["unchanged"] == 1 and again["villages"]["changed"] == 0
    with db.reader() as uow:
        history = DirectoryRepository(uow.connection).history("532501001221")
    assert [(h["action"], h["state"]["name"], h["by"]) for h in history] == [
        ("added", "龙潭村委会", "cli:tester"),
        ("changed", "龙潭社区", "cli:tester"),
    ]


def test_a_new_township_comes_with_its_first_village(admin):
    admin.import_villages(
        [{"code": "532501016201", "township": "新城镇", "name": "新城社区"}], key(),
        townships=[{"code": "532501017", "name": "花园乡", "aliases": ["花园"]}],
    )  # fmt: skip
    assert admin.list_villages("新城")["villages"][0]["code"] == "532501016201"
    assert admin.list_villages("花园")["townships"][0]["aliases"] == ["花园"]


# -- registering by name and by code --------------------------------------------------------------


def test_a_village_code_not_in_the_list_is_refused(admin, sample):
    message = invalid(admin.register_labourer, someone(sample, village_code="532501016201"), key())
    assert "village_code" in message and "not in the county's village list" in message
    reply = admin.register_labourers([someone(sample, village_code="532501016201")], key())
    (refused,) = reply["refused"]
    assert [p["column"] for p in refused["problems"]] == ["village_code"]
    assert "村名单" in refused["problems"][0]["reason_zh"]


def test_a_name_resolves_within_the_callers_area(admin, kafang, sample):
    assert kafang.register_labourer(someone(sample, village="大寨"), key())["village_code"] == (
        KAFANG_DAZHAI
    )
    message = invalid(admin.register_labourer, someone(sample, village="大寨村"), key())
    assert KAFANG_DAZHAI in message and JIJIE_DAZHAI in message  # the county has two
    reply = admin.register_labourer(someone(sample, village="大寨村", township="鸡街"), key())
    assert reply["village_code"] == JIJIE_DAZHAI


def test_naming_a_village_of_another_township_teaches_a_township_nothing(kafang, sample):
    elsewhere = invalid(kafang.register_labourer, someone(sample, village="小坝村委会"), key())
    assert "no village named 小坝村委会 in your area" in elsewhere
    assert "532501002" not in elsewhere and "鸡街镇" not in elsewhere
    # The township named does not widen the search beyond the area either.
    message = invalid(
        kafang.register_labourer, someone(sample, village="小坝", township="鸡街镇"), key()
    )
    assert "no township named 鸡街镇 in your area" in message


def test_a_retired_village_takes_nobody_new_but_its_people_stay_changeable(admin, sample):
    code = "532501001203"
    person = admin.register_labourer(someone(sample, village_code=code), key())
    entry = {"code": code, "name": "新坝村委会", "aliases": ["新坝村"], "active": False}
    assert admin.import_villages([entry], key())["villages"]["retired"] == 1
    assert "retired" in invalid(admin.register_labourer, someone(sample, village_code=code), key())
    changed = admin.update_labourer(person["person_id"], {"phone": sample.phone()}, key())
    assert changed["village_code"] == code and changed["version"] == 2
    moved = admin.update_labourer(person["person_id"], {"village": "大寨子"}, key())
    assert moved["village_code"] == KAFANG_DAZHAI
    assert "retired" in invalid(
        admin.update_labourer, person["person_id"], {"village_code": code}, key()
    )
    assert admin.import_villages([dict(entry, active=True)], key())["villages"]["restored"] == 1


# -- rosters --------------------------------------------------------------------------------------


def import_csv(service, text: str, township=None) -> tuple[dict, list[dict]]:
    encoded = base64.b64encode(text.encode("utf-8-sig")).decode()
    status = service.start_roster_import("花名册.csv", encoded, key(), township=township)
    errors = service.roster_imports.importer().errors(status["import_id"])
    return service.roster_import_status(status["import_id"]), errors


def roster(sample, *villages: tuple[str, str]) -> str:
    lines = ["姓名,身份证号,村委会,乡镇"]
    for village, township in villages:
        lines.append(f"{sample.name()},{sample.id_number('532501')},{village},{township}")
    return "\n".join(lines) + "\n"


def test_a_rosters_village_names_resolve_or_refuse_the_row_naming_the_candidates(admin, sample):
    status, errors = import_csv(
        admin,
        roster(sample, ("大寨村", "卡房镇"), ("大寨村委会", "鸡街"), ("第三村", "新街镇"),
               ("大寨", ""), ("石榴村", "卡房镇")),
    )  # fmt: skip
    assert status["registered"] == 3
    reasons = {e["row_number"]: e["reason"] for e in errors}
    assert set(reasons) == {5, 6}
    assert KAFANG_DAZHAI in reasons[5] and JIJIE_DAZHAI in reasons[5]  # 大寨: which one?
    assert "卡房镇没有名为“石榴村”的村" in reasons[6]


def test_the_imports_township_settles_names_for_rows_that_name_none(admin, sample):
    text = roster(sample, ("大寨", ""), ("小坝", "")).replace(",乡镇", "").replace(",\n", "\n")
    status, errors = import_csv(admin, text, township="鸡街镇")
    assert (status["registered"], errors) == (2, [])
    found = admin.search_labourers({"area": JIJIE})["labourers"]
    assert sorted(p["village_code"] for p in found) == ["532501002202", JIJIE_DAZHAI]


def test_a_township_roster_resolves_its_own_villages_only(kafang, sample):
    status, errors = import_csv(kafang, roster(sample, ("大寨", ""), ("小坝村委会", "")))
    assert status["registered"] == 1
    (error,) = errors
    assert "小坝村委会" in error["reason"] and "532501002" not in error["reason"]
