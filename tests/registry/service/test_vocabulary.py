"""The county's vocabularies (industries, skills) through registry's entrypoints: who may change
them, what a change must keep true (nothing written when it does not), the `vocabulary_changed`
event each change publishes, and the codes labourers' events name through them."""

import json
import uuid

import eventlet
import eventlet.event
import pytest
from sqlalchemy import event as sql_event
from sqlalchemy import func, select

from registry.adapters.tables import directory_history, vocabularies, vocabulary_terms
from registry.directory.repository import DirectoryRepository
from registry.directory.vocabulary_errors import ConcurrentVocabularyChange, VocabularyRejected
from registry.directory.vocabulary_repository import VocabularyRepository
from registry.directory.vocabulary_use_cases import import_vocabulary
from registry_contract.industries_and_skills import INDUSTRY_SECTIONS, SKILL, default_terms
from sanbao_common.access import Forbidden
from sanbao_common.context import Caller
from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.idempotency import IdempotencyKeyReused
from sanbao_common.messaging.tables import OUTBOX
from testkit import TEST_COUNTY, principal

TILER = {"code": "tiler", "name": "镶贴工", "aliases": "贴砖工；瓷砖工"}


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def admin(registry_worker):
    return registry_worker(principal(["county_admin"], scope="532501"))


def events(db, event_type=None) -> list[dict]:
    with db.reader() as uow:
        bodies = uow.connection.execute(select(OUTBOX.c.body).order_by(OUTBOX.c.position))
        found = [json.loads(body) for body in bodies.scalars()]
    return [e for e in found if event_type is None or e["type"] == event_type]


def snapshot(db) -> tuple:
    """Everything an import may write."""
    with db.reader() as uow:
        connection = uow.connection
        return (
            [tuple(r) for r in connection.execute(select(vocabularies).order_by("kind"))],
            [
                tuple(r)
                for r in connection.execute(select(vocabulary_terms).order_by("kind", "code"))
            ],
            connection.execute(select(func.count()).select_from(directory_history)).scalar(),
            connection.execute(select(func.count()).select_from(OUTBOX)).scalar(),
        )


def labourer(sample, **fields) -> dict:
    return {
        "name": sample.name(), "id_number": sample.id_number("532501"),
        "village_code": "532501001201",
    } | fields  # fmt: skip


# -- reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "kind", "scope"),
    [
        (["auditor"], "audit_bureau", "org-audit"),
        (["hr_operator"], "hr_company", "org-hr"),
        (["agent"], "village_coop", "532501001201"),
    ],
)
def test_everyone_reads_both_vocabularies_as_seeded(registry_worker, roles, kind, scope):
    reader = registry_worker(principal(roles, kind=kind, scope=scope))
    industries = reader.list_vocabulary("industry")
    assert industries["version"] == 1
    by_code = {t["code"]: t for t in industries["terms"]}
    assert {c: by_code[c]["name"] for c in INDUSTRY_SECTIONS} == INDUSTRY_SECTIONS
    assert by_code["E"]["parent"] is None
    assert (by_code["E47"]["name"], by_code["E47"]["parent"]) == ("房屋建筑业", "E")
    skills = reader.list_vocabulary("skill")
    published = [{k: t[k] for k in ("code", "name", "parent", "aliases", "retired")}
                 for t in skills["terms"]]  # fmt: skip
    assert published == sorted(default_terms(SKILL), key=lambda t: t["code"])
    assert {t["changed_by"] for t in skills["terms"]} == {"system:migration-0020"}
    with pytest.raises(InvalidInput, match="one of industry, skill"):
        reader.list_vocabulary("trades")


# -- changing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "kind", "scope"),
    [
        (["coop_operator"], "county_coop", "532501"),
        (["coop_operator", "finance"], "county_coop", "532501"),
        (["coop_operator"], "township_coop", "532501001"),
        (["hr_operator"], "hr_company", "org-hr"),
        (["auditor"], "audit_bureau", "org-audit"),
        (["finance"], "finance_bureau", "532501"),
        (["agent"], "village_coop", "532501001201"),
    ],
)
def test_only_a_county_administrator_changes_a_vocabulary(registry_worker, db, roles, kind, scope):
    before = snapshot(db)
    someone_else = registry_worker(principal(roles, kind=kind, scope=scope))
    with pytest.raises(Forbidden):
        someone_else.import_vocabulary("skill", [TILER], key())
    assert snapshot(db) == before


def test_an_import_changes_the_list_publishes_it_whole_and_keeps_history(admin, db):
    same = key()
    reply = admin.import_vocabulary("skill", [TILER, {"code": "welder", "name": "焊工",
                                                      "aliases": ["电焊工"]}], same)  # fmt: skip
    assert reply == {"kind": "skill", "version": 2, "added": 1, "changed": 1, "retired": 0,
                     "restored": 0, "unchanged": 0}  # fmt: skip
    assert (
        admin.import_vocabulary(
            "skill", [TILER, {"code": "welder", "name": "焊工", "aliases": ["电焊工"]}], same
        )
        == reply
    )
    with pytest.raises(IdempotencyKeyReused):
        admin.import_vocabulary("skill", [TILER], same)
    (changed,) = events(db, "vocabulary_changed")
    assert (changed["record_id"], changed["version"], changed["actor"]) == (
        "skill",
        2,
        "cli:tester",
    )
    payload = changed["payload"]
    assert (payload["kind"], payload["version"]) == ("skill", 2)
    terms = {t["code"]: t for t in payload["terms"]}
    assert terms["tiler"] == {"code": "tiler", "name": "镶贴工", "parent": None,
                              "aliases": ["贴砖工", "瓷砖工"], "retired": False}  # fmt: skip
    assert terms["welder"]["name"] == "焊工" and len(terms) == len(default_terms(SKILL)) + 1
    listed = admin.list_vocabulary("skill")
    assert listed["version"] == 2
    assert [t for t in listed["terms"] if t["code"] == "tiler"][0]["changed_by"] == "cli:tester"
    with db.reader() as uow:
        history = DirectoryRepository(uow.connection).history("welder")
    assert [(h["record_kind"], h["action"], h["state"]["name"], h["state"]["version"])
            for h in history] == [("skill", "changed", "焊工", 2)]  # fmt: skip


def test_retiring_and_restoring_publish_each_version_and_the_same_file_again_nothing(admin, db):
    admin.import_vocabulary("skill", [dict(TILER, retired=True)], key())
    retire = admin.import_vocabulary("skill", [{"code": "hairdresser", "name": "美发师",
                                                "retired": True}], key())  # fmt: skip
    assert (retire["version"], retire["retired"]) == (3, 1)
    assert "hairdresser" not in {t["code"] for t in admin.list_vocabulary("skill")["terms"]}
    retired = admin.list_vocabulary("skill", True)["terms"]
    assert [t["retired"] for t in retired if t["code"] == "hairdresser"] == [True]
    restore = admin.import_vocabulary("skill", [{"code": "hairdresser", "name": "美发师"}], key())
    assert (restore["version"], restore["restored"]) == (4, 1)
    before = snapshot(db)
    again = admin.import_vocabulary("skill", [{"code": "hairdresser", "name": "美发师"}], key())
    assert (again["version"], again["unchanged"], again["restored"]) == (4, 1, 0)
    # The idempotency key's row aside, nothing was written: no version, no event.
    assert snapshot(db) == before
    versions = [e["payload"]["version"] for e in events(db, "vocabulary_changed")]
    assert versions == [2, 3, 4]
    # Each vocabulary has its own versions.
    assert admin.import_vocabulary("industry", [{"code": "E49", "name": "建筑安装业"}],
                                   key())["version"] == 2  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "entries", "named"),
    [
        ("skill", [TILER, dict(TILER, name="贴砖工")], "skill tiler: listed twice"),
        ("skill", [TILER, {"code": "tiles", "name": "瓷砖工"}],
         "name or alias 瓷砖工 would name tiler (镶贴工), tiles (瓷砖工)"),
        ("skill", [TILER, {"code": "electrician", "name": "电工", "aliases": ["焊工"]}],
         "name or alias 焊工 would name electrician (电工), welder (电焊工)"),
        ("industry", [{"code": "E49", "name": "建筑安装业", "parent": "E47"}],
         "industry E49: parent E47 is not a section"),
        ("industry", [{"code": "E49", "name": "建筑安装业", "parent": "C"}],
         "industry E49: belongs to section E, not C"),
        ("industry", [{"code": "E13", "name": "纺织业"}], "industry E13: a code is a section"),
        ("industry", [{"code": "E", "name": "建设业"}], "industry E: a section's name"),
    ],
)  # fmt: skip
def test_a_broken_change_is_refused_naming_the_term_and_nothing_is_written(
    admin, db, kind, entries, named
):
    before = snapshot(db)
    with pytest.raises(VocabularyRejected) as refused:
        admin.import_vocabulary(kind, entries, key())
    assert refused.value.code == "VOCABULARY_REJECTED"
    assert named in refused.value.message_en
    assert refused.value.message_zh  # and in Chinese
    assert snapshot(db) == before


def test_a_retired_code_is_never_used_for_another_meaning(admin, db):
    admin.import_vocabulary("skill", [dict(TILER, retired=True)], key())
    before = snapshot(db)
    with pytest.raises(VocabularyRejected, match="tiler: was retired as 镶贴工") as refused:
        admin.import_vocabulary("skill", [{"code": "tiler", "name": "瓦工组长"}], key())
    assert "停用的代码不能另作他用" in refused.value.message_zh
    assert snapshot(db) == before
    # Its words are free for a new code, and the old one comes back only as what it was.
    admin.import_vocabulary("skill", [{"code": "tiles", "name": "镶贴工"}], key())
    with pytest.raises(VocabularyRejected, match="镶贴工 would name tiler"):
        admin.import_vocabulary("skill", [{"code": "tiler", "name": "镶贴工"}], key())


@pytest.mark.parametrize(
    ("kind", "terms", "field"),
    [
        ("trades", [TILER], "kind"),
        ("skill", [], "terms"),
        ("skill", "tiler", "terms"),
        ("skill", [dict(TILER, colour="red")], "colour"),
        ("skill", [dict(TILER, aliases=[1, 2])], "aliases"),
        ("skill", [dict(TILER, retired="perhaps")], "retired"),
        ("skill", [{"code": "tiler"}], "name"),
    ],
)
def test_a_request_of_the_wrong_shape_is_invalid_input(admin, db, kind, terms, field):
    before = snapshot(db)
    with pytest.raises(InvalidInput, match=field):
        admin.import_vocabulary(kind, terms, key())
    assert snapshot(db) == before


def test_a_version_raised_meanwhile_fails_the_slower_import(db):
    with db.unit_of_work() as uow:
        repo = VocabularyRepository(uow.connection)
        # Another import got to version 2 first: this one, planned on version 1, cannot also
        # publish a version 2.
        repo.set_version("skill", 2, *_stamp())
        with pytest.raises(ConcurrentVocabularyChange):
            repo.set_version("skill", 2, *_stamp())


def test_two_imports_at_once_cannot_both_give_one_word_to_two_terms(db):
    """Each import alone is fine; together they would give 瓷砖工 two codes. The second waits
    for the first (PostgreSQL: the vocabulary's lock; SQLite: writers take turns), then is
    checked against what the first wrote."""
    holding, outcome = eventlet.event.Event(), {}

    def run(actor, entries, hold=False):
        try:
            with db.unit_of_work() as uow:
                import_vocabulary(uow, Caller(TEST_COUNTY, actor, actor), "skill", entries)
                if hold:
                    holding.send()
                    eventlet.sleep(0.3)  # the other import reaches the vocabulary meanwhile
                uow.commit()
            outcome[actor] = "done"
        except (VocabularyRejected, ConcurrentVocabularyChange) as exc:
            outcome[actor] = exc.code

    def second():
        holding.wait()
        run("cli:second", [{"code": "tiles", "name": "瓷砖工"}])

    threads = [eventlet.spawn(run, "cli:first", [TILER], True), eventlet.spawn(second)]
    for thread in threads:
        thread.wait()
    assert outcome["cli:first"] == "done"
    assert outcome["cli:second"] in ("VOCABULARY_REJECTED", "CONCURRENT_VOCABULARY_CHANGE")
    with db.reader() as uow:
        repo = VocabularyRepository(uow.connection)
        assert repo.version("skill") == 2
        assert "tiler" in repo.terms("skill") and "tiles" not in repo.terms("skill")
    assert [e["actor"] for e in events(db, "vocabulary_changed")] == ["cli:first"]


def _stamp():
    from datetime import UTC, datetime

    return datetime.now(UTC), "cli:other"


# -- labourers' codes -----------------------------------------------------------------------------


def test_labourer_events_name_the_codes_of_their_skills_and_industries(admin, db, sample):
    reply = admin.register_labourer(
        labourer(sample, skills="电工(中级,持证)；焊工；吹唢呐",
                 intention_industries="建筑；电子厂；餐饮；不知道"),
        key(),
    )  # fmt: skip
    assert reply["skill_codes"] == ["electrician", "welder"]
    assert reply["industry_codes"] == ["C39", "E", "H62"]
    (registered,) = events(db, "labourer_registered")
    (state,) = registered["payload"]["people"]
    assert (state["skill_codes"], state["industry_codes"]) == (
        ["electrician", "welder"], ["C39", "E", "H62"],
    )  # fmt: skip
    # Words without a term are kept as written.
    assert state["skills"] == ["电工", "焊工", "吹唢呐"]
    assert state["intention_industries"] == ["建筑", "电子厂", "餐饮", "不知道"]
    # The county teaches the vocabulary a word and retires another: the next event follows.
    admin.import_vocabulary("skill", [
        {"code": "suona", "name": "唢呐手", "aliases": ["吹唢呐"]},
        {"code": "welder", "name": "电焊工", "aliases": ["焊工", "电焊"], "retired": True},
    ], key())  # fmt: skip
    admin.update_labourer(reply["person_id"], {"phone": sample.phone()}, key())
    (updated,) = events(db, "labourer_updated")
    (state,) = updated["payload"]["people"]
    assert state["skill_codes"] == ["electrician", "suona"]
    assert admin.get_labourer(reply["person_id"])["skill_codes"] == ["electrician", "suona"]


def test_a_person_without_skills_or_intentions_has_no_codes(admin, db, sample):
    admin.register_labourer(labourer(sample), key())
    (state,) = events(db, "labourer_registered")[0]["payload"]["people"]
    assert (state["skill_codes"], state["industry_codes"]) == ([], [])


def test_the_kept_person_of_a_merge_carries_codes(admin, db, sample):
    first = admin.register_labourer(labourer(sample, skills="木工"), key())
    second = admin.register_labourer(labourer(sample, skills="厨师"), key())
    admin.merge_labourers(first["person_id"], second["person_id"], "同一人登记两次", key())
    (merged,) = events(db, "labourer_merged")
    assert merged["payload"]["kept"]["skill_codes"] == ["carpenter"]


def test_the_vocabulary_is_read_once_for_a_batch_not_once_a_person(admin, db, sample):
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "vocabulary_terms" in statement:
            statements.append(statement)

    people = [labourer(sample, skills="电工", intention_industries="建筑") for _ in range(30)]
    sql_event.listen(db.engine, "before_cursor_execute", seen)
    try:
        reply = admin.register_labourers(people, key())
    finally:
        sql_event.remove(db.engine, "before_cursor_execute", seen)
    assert len(reply["registered"]) == 30
    assert len(statements) == 1
    states = [p for e in events(db, "labourer_registered") for p in e["payload"]["people"]]
    assert len(states) == 30 and {tuple(p["skill_codes"]) for p in states} == {("electrician",)}
