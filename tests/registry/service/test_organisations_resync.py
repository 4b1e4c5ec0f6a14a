"""registry's resync source of `organisation_registered`: every organisation, active or not, at
its current version with its whole state, as the ordinary event carries it (`action`
`registered`, `reason` null), page by page in org id order — what settlement fills its copy of
the directory from (`sanbao events resync settlement`)."""

import json
import uuid

from sqlalchemy import select

from registry.resync import RESYNC_SOURCES, organisations_registered
from sanbao_common.context import Caller
from sanbao_common.messaging.tables import OUTBOX
from testkit import TEST_COUNTY, principal

ORGANISATION_EVENTS = ("organisation_registered", "organisation_changed")


def key() -> str:
    return uuid.uuid4().hex


def latest_events(db) -> dict:
    with db.reader() as uow:
        bodies = uow.connection.execute(
            select(OUTBOX.c.body)
            .where(OUTBOX.c.event_type.in_(ORGANISATION_EVENTS))
            .order_by(OUTBOX.c.position)
        ).scalars()
        return {(e := json.loads(body))["record_id"]: e for body in bodies}


def test_every_organisation_is_sent_at_its_current_state(registry_worker, db):
    admin = registry_worker(principal(["county_admin"]), actor="user:tester")
    coop = admin.register_organisation(
        {"kind": "county_coop", "name": "个旧市劳务合作联社", "division_code": TEST_COUNTY}, key()
    )
    township = admin.register_organisation(
        {"kind": "township_coop", "name": "老厂镇劳务合作社", "division_code": "532501001",
         "parent_id": coop["org_id"]},
        key(),
    )  # fmt: skip
    admin.register_organisation(
        {"kind": "hr_company", "name": "红河人力资源有限公司", "credit_code": "91532501MA6K2XQ93P"},
        key(),
    )
    admin.deactivate_organisation(township["org_id"], "并入其他乡镇", key())
    latest = latest_events(db)
    operator = Caller(TEST_COUNTY, "cli:admin", "corr-resync")
    sent, after = [], None
    while True:
        with db.reader() as uow:
            page = organisations_registered(uow, operator, after, 2)
        assert page.records == len(page.events) <= 2
        sent.extend(page.events)
        if page.after is None:
            break
        after = page.after
    assert [e["record_id"] for e in sent] == sorted(latest)
    for envelope in sent:
        published = latest[envelope["record_id"]]
        assert envelope["type"] == "organisation_registered" and envelope["actor"] == "cli:admin"
        assert envelope["version"] == published["version"] == envelope["payload"]["version"]
        assert envelope["payload"] == dict(published["payload"], action="registered", reason=None)
    deactivated = next(e for e in sent if e["record_id"] == township["org_id"])
    assert deactivated["version"] == 2 and deactivated["payload"]["active"] is False
    assert RESYNC_SOURCES["organisation_registered"] is organisations_registered
