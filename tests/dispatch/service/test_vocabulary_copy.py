"""dispatch's copy of registry's vocabularies on a real database: seeded with registry's version
1, then kept from `vocabulary_changed` as registry builds it — the newer version wins, an older
or equal one changes nothing, and an event that does not fit is refused whole. What orders and
matching read of it (`dispatch.vocabulary.queries`)."""

import json
import threading
from types import SimpleNamespace

import pytest
from nameko import config as nameko_config
from nameko.testing.services import worker_factory
from sqlalchemy import select

from dispatch.adapters.vocabulary_tables import vocabulary_terms, vocabulary_versions
from dispatch.service import DispatchService
from dispatch.vocabulary.handlers import apply_vocabularies
from dispatch.vocabulary.queries import known_codes, section_of, vocabulary_version
from registry.directory.vocabulary_use_cases import vocabulary_changed
from registry_contract.industries_and_skills import INDUSTRY, SKILL, default_terms
from sanbao_common.context import Caller
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.envelope import MalformedEvent, parse_envelope
from sanbao_common.messaging.consumer import Delivery
from testkit import TEST_COUNTY

CALLER = Caller(TEST_COUNTY, "cli:admin", "corr-vocabulary")
TILER = {"code": "tiler", "name": "镶贴工", "parent": None, "aliases": ["贴砖工"], "retired": False}


@pytest.fixture
def db(databases):
    engine = create_database_engine(databases["dispatch"])
    yield DatabaseHandle(engine, threading.Lock())
    engine.dispose()


class Published(SimpleNamespace):
    """A term as registry's event carries it (what `vocabulary_changed` takes)."""

    def published(self) -> dict:
        return dict(vars(self))


def body(kind: str, version: int, terms: list[dict], envelope=None) -> dict:
    """`vocabulary_changed` exactly as registry builds it (`envelope`: fields changed after)."""
    built = vocabulary_changed(CALLER, kind, version, [Published(**t) for t in terms])
    return json.loads(json.dumps(built | (envelope or {})))


def event(kind: str, version: int, terms: list[dict], envelope=None) -> object:
    return parse_envelope(body(kind, version, terms, envelope), TEST_COUNTY)


def skills(*extra: dict, retire: str | None = None) -> list[dict]:
    terms = [dict(t, retired=t["code"] == retire) for t in default_terms(SKILL)]
    return terms + list(extra)


def apply(db, *events) -> None:
    with db.unit_of_work() as uow:
        apply_vocabularies(uow, list(events))
        uow.commit()


def copy(db, kind: str) -> tuple[int | None, dict]:
    with db.reader() as uow:
        return (
            vocabulary_version(uow.connection, kind),
            known_codes(uow.connection, kind, include_retired=True),
        )


def everything(db) -> tuple:
    with db.reader() as uow:
        connection = uow.connection
        return (
            [tuple(r) for r in connection.execute(select(vocabulary_versions).order_by("kind"))],
            [
                tuple(r)
                for r in connection.execute(select(vocabulary_terms).order_by("kind", "code"))
            ],
        )


def test_the_copy_starts_as_registrys_seeded_version_one(db):
    for kind in (INDUSTRY, SKILL):
        version, terms = copy(db, kind)
        assert version == 1
        assert list(terms.values()) == sorted(default_terms(kind), key=lambda t: t["code"])
    with db.reader() as uow:
        industries = known_codes(uow.connection, INDUSTRY)
    assert industries["E47"] == {"code": "E47", "name": "房屋建筑业", "parent": "E",
                                 "aliases": ["房建", "建筑工地"], "retired": False}  # fmt: skip
    assert industries["E"]["parent"] is None and industries["E"]["name"] == "建筑业"


def test_a_newer_version_replaces_the_copy_retired_terms_kept_apart(db):
    apply(db, event(SKILL, 2, skills(TILER, retire="welder")))
    version, terms = copy(db, SKILL)
    assert version == 2 and terms["tiler"] == TILER and terms["welder"]["retired"] is True
    with db.reader() as uow:
        active = known_codes(uow.connection, SKILL)
    assert "tiler" in active and "welder" not in active
    # The other vocabulary is untouched.
    assert copy(db, INDUSTRY)[0] == 1


def test_an_older_or_equal_version_changes_nothing_whatever_it_says(db):
    apply(db, event(SKILL, 3, skills(TILER)))
    held = everything(db)
    # A late v2, a replayed v3 that says something else (what a resync of the same version
    # would be if registry's list had moved on without raising it: it cannot), a v1.
    apply(db, event(SKILL, 2, skills(retire="tiler")))
    apply(db, event(SKILL, 3, skills(retire="welder")))
    apply(db, event(SKILL, 1, default_terms(SKILL)))
    assert everything(db) == held


def test_events_of_one_batch_apply_in_order_and_the_newest_stays(db):
    apply(db, event(SKILL, 3, skills(TILER)), event(SKILL, 2, skills()))
    assert copy(db, SKILL)[0] == 3 and "tiler" in copy(db, SKILL)[1]
    apply(db, event(SKILL, 4, skills()), event(SKILL, 5, skills(dict(TILER, code="tiles"))))
    version, terms = copy(db, SKILL)
    assert version == 5 and "tiles" in terms and "tiler" not in terms


def test_the_same_event_twice_leaves_what_once_leaves(db):
    changed = event(INDUSTRY, 2, default_terms(INDUSTRY) + [
        {"code": "E49", "name": "建筑安装业", "parent": "E", "aliases": [], "retired": False},
    ])  # fmt: skip
    apply(db, changed)
    once = everything(db)
    apply(db, changed)
    assert everything(db) == once
    assert copy(db, INDUSTRY)[1]["E49"]["parent"] == "E"


@pytest.mark.parametrize(
    ("kind", "terms", "envelope", "problem"),
    [
        (SKILL, skills(dict(TILER, code="Tiler")), {}, "'Tiler' is not a code of the skill"),
        (SKILL, skills(dict(TILER, parent="E")), {}, "tiler: parent is None, not 'E'"),
        (INDUSTRY, default_terms(INDUSTRY) + [
            {"code": "E49", "name": "建筑安装业", "parent": "C", "aliases": [], "retired": False}
        ], {}, "E49: parent is 'E', not 'C'"),
        (INDUSTRY, default_terms(INDUSTRY) + [
            {"code": "E13", "name": "纺织业", "parent": "E", "aliases": [], "retired": False}
        ], {}, "'E13' is not a code of the industry vocabulary"),
        (SKILL, skills(TILER, TILER), {}, "a code is listed twice"),
        (SKILL, skills(dict(TILER, aliases="贴砖工")), {}, "tiler: aliases is not a list"),
        (SKILL, skills(dict(TILER, aliases=[""])), {}, "tiler: an alias is not a text"),
        (SKILL, skills(dict(TILER, name="工" * 51)), {}, "tiler: name is not a text"),
        (SKILL, skills(dict(TILER, retired="no")), {}, "tiler: retired is not true or false"),
        (SKILL, skills(TILER), {"version": 9}, "record id and version"),
        (SKILL, skills(TILER), {"record_id": "industry"}, "record id and version"),
        (SKILL, [], {}, "terms is not a list"),
    ],
)  # fmt: skip
def test_an_event_that_does_not_fit_is_refused_whole(db, kind, terms, envelope, problem):
    held = everything(db)
    good = event(INDUSTRY, 2, default_terms(INDUSTRY))
    with pytest.raises(MalformedEvent) as refused, db.unit_of_work() as uow:
        # A good event before it in the batch: the consumer rolls the batch back, then
        # tries each alone (sanbao_common.messaging.consumer).
        apply_vocabularies(uow, [good, event(kind, 2, terms, envelope)])
        uow.commit()
    assert problem in refused.value.message_en
    assert everything(db) == held


def test_a_payload_naming_an_unknown_vocabulary_or_version_is_refused(db):
    body = vocabulary_changed(CALLER, SKILL, 2, [Published(**t) for t in skills()])
    for payload, problem in [
        (dict(body["payload"], kind="trades"), "kind is one of"),
        (dict(body["payload"], version="2"), "version is not a positive integer"),
        (dict(body["payload"], version=True), "version is not a positive integer"),
    ]:
        bad = parse_envelope(json.loads(json.dumps(dict(body, payload=payload))), TEST_COUNTY)
        with pytest.raises(MalformedEvent, match=problem), db.unit_of_work() as uow:
            apply_vocabularies(uow, [bad])


def test_the_service_keeps_the_copy_from_its_queue_each_event_once(db):
    worker = worker_factory(DispatchService, db=db)
    two, three = body(SKILL, 2, skills(TILER)), body(SKILL, 3, skills())

    def delivered(*bodies):
        deliveries = [Delivery(n, json.dumps(b).encode(), {}) for n, b in enumerate(bodies)]
        with nameko_config.patch({"COUNTY": TEST_COUNTY}):
            return worker.handle_vocabulary_changed(deliveries)

    outcome = delivered(two, three, two)
    assert (outcome.applied, outcome.duplicates, outcome.malformed) == (2, 1, [])
    assert copy(db, SKILL)[0] == 3 and "tiler" not in copy(db, SKILL)[1]
    # Redelivered later: the inbox has them.
    assert delivered(three).duplicates == 1
    # Another publisher's event of the same name is not the copy's.
    forged = dict(body(SKILL, 9, skills(TILER)), source="fund")
    assert len(delivered(forged).malformed) == 1 and copy(db, SKILL)[0] == 3


def test_what_orders_and_matching_read():
    assert section_of("E47") == "E" and section_of("E") == "E" and section_of("T97") == "T"
    for wrong in ("E13", "welder", "", None):
        with pytest.raises(ValueError):
            section_of(wrong)


def test_known_codes_of_an_unknown_vocabulary_is_a_mistake(db):
    with db.reader() as uow, pytest.raises(ValueError, match="no vocabulary"):
        known_codes(uow.connection, "trades")
