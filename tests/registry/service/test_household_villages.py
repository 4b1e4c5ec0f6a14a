"""Households are numbered within their village, on both databases, from the attacker's side.

Townships number households 001, 002… in each village's survey. 鸡街镇 registers 王五, head of
its household 001, registered poor; 卡房镇 then names household 001 on rows of its own village
— through a roster import, `register_labourer(s)` and `update_labourer` — as head, with 否, and
with the poor flag left unsaid (which would read the flag back). Each attack runs twice: in a
registry where 鸡街镇's household exists and in one where it does not; 卡房镇's replies are the
same in both, and 鸡街镇's household, its head, its poor flag and its members are untouched, with
no history and no event about them. Then: a person moving village with their household number."""

import base64
import json
import re
import threading
import uuid
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select
from sqlalchemy.engine import make_url

from registry.adapters.tables import households, labourers, people_history
from registry.rosters.use_cases import RosterImporter
from registry.service import RegistryService
from sanbao_common.context import Caller
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.tables import OUTBOX
from testkit import TEST_COUNTY, fake_access, principal

KAFANG, JIJIE = "532501001", "532501002"
HOME, NEXT_DOOR, VICTIM_VILLAGE = f"{KAFANG}201", f"{KAFANG}202", f"{JIJIE}201"
HEADER = ["姓名", "身份证号", "村代码", "户编号", "户主身份证号", "与户主关系", "是否建档立卡"]


def key() -> str:
    return uuid.uuid4().hex


class ForegroundImports:
    """The roster importer as the service has it, applying each import before returning."""

    def __init__(self, db, data_key, settings):
        self.db, self.data_key, self.settings = db, data_key, settings

    def importer(self) -> RosterImporter:
        return RosterImporter(self.db, self.data_key, TEST_COUNTY, self.settings)

    def apply_in_background(self, import_id, caller, roster=None):
        self.importer().apply(import_id, caller, roster)


class Registry:
    """One registry's database and its callers: 卡房镇's operator (the attacker), 鸡街镇's."""

    def __init__(self, db, token_keys, settings):
        self.db = db

        def worker(scope, username):
            actor = f"user:{username}"
            return worker_factory(
                RegistryService,
                db=db,
                context=SimpleNamespace(caller=lambda: Caller(TEST_COUNTY, actor, "corr-1")),
                access=fake_access(
                    principal(
                        ["coop_operator"], scope=scope, kind="township_coop", username=username
                    )  # fmt: skip
                ),
                data_key=token_keys.data_key,
                roster_imports=ForegroundImports(db, token_keys.data_key, settings),
            )

        self.kafang = worker(KAFANG, "li.kf")
        self.jijie = worker(JIJIE, "wang.jj")

    def rows(self, table, *conditions) -> list[dict]:
        with self.db.reader() as uow:
            query = select(table).where(*conditions)
            return [dict(row._mapping) for row in uow.connection.execute(query)]

    def events(self) -> list[str]:
        with self.db.reader() as uow:
            return list(
                uow.connection.execute(select(OUTBOX.c.body).order_by(OUTBOX.c.position)).scalars()
            )


@pytest.fixture
def registries(db, db_backend, database_templates, tmp_path, token_keys, registry_settings):
    """(the registry where 鸡街镇's household will exist, a registry where it never does)."""
    directory = tmp_path / "without"
    directory.mkdir()
    url = database_templates.copy(db_backend, "registry", directory)
    engine = create_database_engine(url)
    yield (
        Registry(db, token_keys, registry_settings),
        Registry(DatabaseHandle(engine, threading.Lock()), token_keys, registry_settings),
    )
    engine.dispose()
    if db_backend == "postgresql":
        name = make_url(url).database
        database_templates.drop_postgres([name])
        database_templates._postgres_databases.remove(name)


@pytest.fixture
def people(sample) -> dict:
    """The same people in both registries: 鸡街镇's 王五 and 赵梅, 卡房镇's 李四, 张三 and 孙七."""
    return {
        name: {"name": name, "id_number": sample.id_number("532501")}
        for name in ("王五", "赵梅", "李四", "张三", "孙七")
    }


def victim(registry: Registry, people: dict) -> dict:
    """鸡街镇's household 001: 王五 its head, registered poor, and 赵梅. What is stored of it."""
    head = dict(people["王五"], village_code=VICTIM_VILLAGE, household_number="001",
                relation_to_head="户主", poor="是", poverty_file_number="YN0000000001")  # fmt: skip
    spouse = dict(people["赵梅"], village_code=VICTIM_VILLAGE, household_number="001",
                  relation_to_head="配偶")  # fmt: skip
    registry.jijie.register_labourers([head, spouse], key())
    return stored_of_victim(registry)


def stored_of_victim(registry: Registry) -> dict:
    (household,) = registry.rows(households, households.c.village_code == VICTIM_VILLAGE)
    members = registry.rows(labourers, labourers.c.village_code == VICTIM_VILLAGE)
    ids = {household["household_id"], *(m["person_id"] for m in members)}
    return {
        "household": household,
        "members": sorted(members, key=lambda m: m["person_id"]),
        "history": registry.rows(people_history, people_history.c.record_id.in_(ids)),
        "events": [body for body in registry.events() if any(i in body for i in ids)],
    }


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)?")


def as_seen(replies: list) -> str:
    """What the attacker was told, with what differs between any two runs made the same: ids
    (numbered in the order they first appear, so that one naming the same record as another
    still shows) and moments."""
    text = json.dumps(replies, ensure_ascii=False, sort_keys=True, default=str)
    ids: dict[str, str] = {}
    text = _UUID.sub(lambda m: ids.setdefault(m.group(), f"<id{len(ids)}>"), text)
    return _MOMENT.sub("<moment>", text)


def decoded(reply: dict) -> str:
    return base64.b64decode(reply["content_base64"]).decode("utf-8-sig")


def looks_around(kafang) -> list:
    """Everything 卡房镇 can read of its own area afterwards (by name: lists come in the order
    of record ids, which differ from run to run)."""

    def search(filters: dict) -> list[dict]:
        return sorted(kafang.search_labourers(filters)["labourers"], key=lambda p: p["name"])

    found = search({})
    header, *lines = decoded(kafang.export_labourers({}, "csv")).splitlines()
    return [
        found,
        [kafang.labourer_history(p["person_id"]) for p in found],
        search({"poor": True}),
        kafang.labourer_counts("village"),
        [header, *sorted(lines)],
    ]


def roster(*rows: list) -> str:
    lines = [",".join(HEADER)] + [",".join(row) for row in rows]
    return base64.b64encode("\n".join(lines).encode("utf-8-sig")).decode()


def import_roster(kafang, content: str) -> list:
    tried = kafang.start_roster_import("花名册.csv", content, key(), dry_run=True)
    started = kafang.start_roster_import("花名册.csv", content, key())
    status = kafang.roster_import_status(started["import_id"])
    errors = decoded(kafang.roster_import_errors(started["import_id"], "csv"))
    return [tried, started, status, errors]


def by_roster(kafang, people: dict) -> list:
    """李四 as head of 001 in 卡房镇's village, the poor flag unsaid (what it would read back),
    naming 王五 as 户主身份证号; then 张三 with 否."""
    li, zhang, wang = people["李四"], people["张三"], people["王五"]
    first = import_roster(
        kafang, roster([li["name"], li["id_number"], HOME, "001", wang["id_number"], "户主", ""])
    )
    seen = [first, looks_around(kafang)]
    second = import_roster(
        kafang, roster([zhang["name"], zhang["id_number"], HOME, "001", "", "户主", "否"])
    )
    return [*seen, second, looks_around(kafang)]


def by_register_labourer(kafang, people: dict) -> list:
    li, zhang = people["李四"], people["张三"]
    first = kafang.register_labourer(
        dict(li, village_code=HOME, household_number="001", relation_to_head="户主"), key()
    )
    second = kafang.register_labourer(
        dict(zhang, village_code=HOME, household_number="001", relation_to_head="户主",
             poor="否"),
        key(),
    )  # fmt: skip
    return [first, second, looks_around(kafang)]


def by_register_labourers(kafang, people: dict) -> list:
    li, zhang = people["李四"], people["张三"]
    reply = kafang.register_labourers(
        [
            dict(li, village_code=HOME, household_number="001", relation_to_head="户主"),
            dict(zhang, village_code=HOME, household_number="001", relation_to_head="配偶",
                 household_head_id=people["王五"]["id_number"]),
        ],
        key(),
    )  # fmt: skip
    seen = [reply, looks_around(kafang)]
    cleared = kafang.register_labourers(
        [dict(people["孙七"], village_code=HOME, household_number="001", relation_to_head="子女",
              poor="否")],
        key(),
    )  # fmt: skip
    return [*seen, cleared, looks_around(kafang)]


def by_update_labourer(kafang, people: dict) -> list:
    li = kafang.register_labourer(dict(people["李四"], village_code=HOME), key())
    joined = kafang.update_labourer(
        li["person_id"], {"household_number": "001", "relation_to_head": "户主"}, key()
    )
    cleared = kafang.update_labourer(
        li["person_id"],
        {"household_number": "001", "relation_to_head": "户主", "poor": "否",
         "household_head_id": people["王五"]["id_number"]},
        key(),
    )  # fmt: skip
    # Moving next door with the number: 001 there is another household again.
    moved = kafang.update_labourer(
        li["person_id"],
        {"village_code": NEXT_DOOR, "household_number": "001", "relation_to_head": "户主"},
        key(),
    )
    return [li, joined, cleared, moved, looks_around(kafang)]


@pytest.mark.parametrize(
    "attack", [by_roster, by_register_labourer, by_register_labourers, by_update_labourer]
)
def test_another_townships_household_001_is_neither_changed_nor_told(registries, people, attack):
    attacked, untouched = registries
    before = victim(attacked, people)
    assert before["household"]["poor"] is True
    events_before = len(attacked.events())

    seen_attacked = as_seen(attack(attacked.kafang, people))
    seen_untouched = as_seen(attack(untouched.kafang, people))

    # 鸡街镇's household, its head, its flag, its members' versions: as they were; no history,
    # no event about any of them.
    assert stored_of_victim(attacked) == before
    assert len(attacked.events()) > events_before  # 卡房镇's own people were published
    # 卡房镇 was told exactly what it is told where that household does not exist.
    assert seen_attacked == seen_untouched
    # And what it was told: its own households, of its own people, none of them poor.
    mine = attacked.rows(households, households.c.village_code.in_([HOME, NEXT_DOOR]))
    assert mine and not any(h["poor"] for h in mine)
    assert before["household"]["household_id"] not in {h["household_id"] for h in mine}
    own = attacked.rows(labourers, labourers.c.village_code.in_([HOME, NEXT_DOOR]))
    assert {p["household_id"] for p in own} <= {h["household_id"] for h in mine}


def test_the_same_number_in_two_villages_is_two_households(registries, people):
    registry, _ = registries
    li, zhang = people["李四"], people["张三"]
    reply = registry.kafang.register_labourers(
        [
            dict(li, village_code=HOME, household_number="001", relation_to_head="户主",
                 poor="是"),
            dict(zhang, village_code=NEXT_DOOR, household_number="001", relation_to_head="户主"),
        ],
        key(),
    )  # fmt: skip
    first, second = (registry.kafang.get_labourer(p["person_id"]) for p in reply["registered"])
    assert first["household_number"] == second["household_number"] == "001"
    assert first["household_id"] != second["household_id"]
    assert (first["poor"], second["poor"]) == (True, False)
    stored = {h["village_code"]: h for h in registry.rows(households)}
    assert {v: (h["household_number"], h["poor"]) for v, h in stored.items()} == {
        HOME: ("001", True),
        NEXT_DOOR: ("001", False),
    }


def a_poor_household(registry: Registry, people: dict) -> tuple[str, str, dict]:
    """卡房镇's household 001 of HOME: 李四 its head, registered poor, and 张三."""
    head = dict(people["李四"], village_code=HOME, household_number="001",
                relation_to_head="户主", poor="是")  # fmt: skip
    member = dict(people["张三"], village_code=HOME, household_number="001",
                  relation_to_head="配偶")  # fmt: skip
    reply = registry.kafang.register_labourers([head, member], key())
    head_id, member_id = (p["person_id"] for p in reply["registered"])
    (household,) = registry.rows(households)
    return head_id, member_id, household


def test_moving_village_with_the_household_number_starts_a_household_there(registries, people):
    """A household lives in its village: the member who moves next door naming 001 heads a new
    household 001 there (poor as their row says, not as the one left behind); the household
    left keeps its head, its flag and its version, and its other member is not touched."""
    registry, _ = registries
    head_id, member_id, left = a_poor_household(registry, people)
    head_before = registry.rows(labourers, labourers.c.person_id == head_id)
    events = len(registry.events())

    moved = registry.kafang.update_labourer(
        member_id,
        {"village_code": NEXT_DOOR, "household_number": "001", "relation_to_head": "户主"},
        key(),
    )
    assert (moved["village_code"], moved["household_number"], moved["poor"]) == (
        NEXT_DOOR, "001", False,
    )  # fmt: skip
    assert moved["household_id"] != left["household_id"] and moved["version"] == 2
    new = registry.rows(households, households.c.village_code == NEXT_DOOR)
    assert [(h["household_id"], h["head_person_id"], h["poor"]) for h in new] == [
        (moved["household_id"], member_id, False)
    ]
    assert registry.rows(households, households.c.village_code == HOME) == [left]
    assert registry.rows(labourers, labourers.c.person_id == head_id) == head_before
    published = [json.loads(body) for body in registry.events()[events:]]
    assert [e["type"] for e in published] == ["labourer_updated"]
    assert [p["person_id"] for p in published[0]["payload"]["people"]] == [member_id]
    history = {h["field"]: (h["before"], h["after"]) for h in registry.kafang.labourer_history(
        member_id)}  # fmt: skip
    assert history["household_id"] == (left["household_id"], moved["household_id"])

    # Moving back with 户编号 001 and 是否建档立卡 是 joins the household left, as its member.
    back = registry.kafang.update_labourer(
        member_id,
        {"village_code": HOME, "household_number": "001", "relation_to_head": "配偶",
         "poor": "是"},
        key(),
    )  # fmt: skip
    assert (back["household_id"], back["poor"]) == (left["household_id"], True)
    assert registry.rows(households, households.c.village_code == HOME) == [left]


def test_moving_village_says_which_household_or_none(registries, people):
    """Moving a household's member to another village without a household number would leave
    them in a household of the village they left (or drop them from it, and from its flag,
    unsaid): refused, nothing changed. An empty number moves them out of any household."""
    registry, _ = registries
    _, member_id, left = a_poor_household(registry, people)
    stored = registry.rows(labourers, labourers.c.person_id == member_id)
    with pytest.raises(InvalidInput) as refused:
        registry.kafang.update_labourer(member_id, {"village_code": NEXT_DOOR}, key())
    assert "household number there" in str(refused.value.errors["household_number"])
    assert registry.rows(labourers, labourers.c.person_id == member_id) == stored

    content = base64.b64encode(
        "姓名,身份证号,村代码\n{},{},{}".format(
            people["张三"]["name"], people["张三"]["id_number"], NEXT_DOOR
        ).encode("utf-8-sig")
    ).decode()
    started = registry.kafang.start_roster_import("花名册.csv", content, key())
    status = registry.kafang.roster_import_status(started["import_id"])
    assert (status["refused_applying"], status["updated"]) == (1, 0)
    assert "户编号" in decoded(registry.kafang.roster_import_errors(started["import_id"], "csv"))
    assert registry.rows(labourers, labourers.c.person_id == member_id) == stored

    out = registry.kafang.update_labourer(
        member_id,
        {"village_code": NEXT_DOOR, "household_number": "", "relation_to_head": ""},
        key(),
    )
    assert (out["village_code"], out["household_id"], out["poor"]) == (NEXT_DOOR, None, False)
    assert registry.rows(households) == [left]
