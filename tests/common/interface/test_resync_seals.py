"""Seals and signing keys resynced from registry, on the real broker and both databases, and
applied by their real consumers: dispatch's seal copies and the fund's seals and signatories end
as registry's, in whatever order the two queues are taken.

The directory: an HR company whose seal A was replaced by B, and B by C (a key certified by A
retired with it; one certified by C in force, another revoked by C's statement; a submission
never confirmed); the county cooperative, whose seal D a registrar revoked before E was confirmed; a
second HR company whose only seal F a registrar revoked."""

import itertools
import json
import threading
import uuid
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import delete, select

from dispatch.adapters.agreement_tables import seals as dispatch_seals
from dispatch.agreements.seal_events import apply_seal_events
from dispatch.service import DispatchService
from fund.adapters.repository import Books
from fund.service import FundService
from messaging_helpers import drain, queue_depth
from registry.resync import RESYNC_SOURCES
from registry.service import RegistryService
from sanbao_common.context import Caller
from sanbao_common.crypto import (
    fingerprint,
    new_signing_key,
    public_key_text,
    sign,
    statement_bytes,
)
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.envelope import parse_envelope
from sanbao_common.messaging.resync import Resyncer
from sanbao_common.messaging.tables import OUTBOX
from sanbao_common.messaging.topology import county_topology
from testkit import TEST_COUNTY, eventually, fake_access, principal

OPERATOR = Caller(TEST_COUNTY, "cli:admin", "corr-resync")


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def registry_db(stack_config):
    engine = create_database_engine(stack_config["registry"]["DATABASE_URL"])
    yield DatabaseHandle(engine, threading.Lock())
    engine.dispose()


class Directory:
    """The directory described above, made through registry's own entrypoints."""

    def __init__(self, db, token_keys, sample):
        self.db, self.token_keys = db, token_keys
        self.admin = self.worker(("county_admin",), "county_coop", "admin")
        self.county = self.org({"kind": "county_coop", "name": "个旧市劳务合作联社",
                                "division_code": TEST_COUNTY})  # fmt: skip
        self.hr = self.org({"kind": "hr_company", "name": "红河人力资源有限公司",
                            "credit_code": sample.credit_code()})  # fmt: skip
        self.hr2 = self.org({"kind": "hr_company", "name": "蒙自劳务派遣有限公司",
                             "credit_code": sample.credit_code()})  # fmt: skip
        self.a = self.confirmed(self.hr)
        retired = self.enrolled(self.hr, self.a, "zhao.hr")
        self.b = self.confirmed(self.hr, replaces=self.a)
        self.c = self.confirmed(self.hr, replaces=self.b)
        self.kept = self.enrolled(self.hr, self.c, "qian.hr")
        revoked = self.enrolled(self.hr, self.c, "sun.hr")
        self.revoke_key(self.hr, self.c, revoked)
        self.submitted(self.hr, new_signing_key())  # never confirmed: nothing to resync
        self.d = self.confirmed(self.county)
        self.revoke_seal(self.county, self.d)
        self.e = self.confirmed(self.county)
        self.f = self.confirmed(self.hr2)
        self.revoke_seal(self.hr2, self.f)
        self.retired_key, self.revoked_key = retired, revoked

    def worker(self, roles, kind, username, org_id=None):
        who = principal(roles, kind=kind, scope=org_id or TEST_COUNTY, username=username)
        if org_id:
            who = who.__class__(**dict(vars(who), organisation_id=org_id))
        context = SimpleNamespace(caller=lambda: Caller(TEST_COUNTY, f"user:{username}", "c"))
        return worker_factory(
            RegistryService, db=self.db, context=context, access=fake_access(who),
            token_key=self.token_keys.private_key, registrar_keys=self.token_keys.registrar.keys,
            data_key=self.token_keys.data_key,
        )  # fmt: skip

    def org(self, data: dict) -> dict:
        return self.admin.register_organisation(data, key())

    def member(self, org):
        return self.worker(("finance",), org["kind"], "member", org["org_id"])

    def submitted(self, org, seal_key) -> None:
        statement = {"purpose": "seal", "organisation_id": org["org_id"], "county": TEST_COUNTY,
                     "public_key": public_key_text(seal_key)}  # fmt: skip
        self.member(org).register_seal(
            org["org_id"], statement, self.signed(seal_key, statement), key()
        )

    def confirmed(self, org, replaces=None):
        seal_key = new_signing_key()
        self.submitted(org, seal_key)
        confirmation, signature = self.token_keys.registrar.confirmation(
            org["org_id"], org["kind"], seal_key,
            replaces=fingerprint(replaces) if replaces else None,
        )  # fmt: skip
        registrar = self.worker(("auditor",), "finance_bureau", "cai", "org-finance-bureau")
        registrar.confirm_seal(confirmation, signature, key())
        return seal_key

    def revoke_seal(self, org, seal_key) -> None:
        statement, signature = self.token_keys.registrar.revocation(
            org["org_id"], fingerprint(seal_key)
        )
        self.member(org).revoke_seal(statement, signature, key())

    def enrolled(self, org, seal_key, username) -> str:
        user = self.admin.create_user(
            {"username": username, "display_name": "赵丽", "org_id": org["org_id"],
             "roles": ["hr_operator"]}, key(),
        )  # fmt: skip
        statement = {"purpose": "certify", "organisation_id": org["org_id"], "county": TEST_COUNTY,
                     "user_id": user["user_id"], "public_key": public_key_text(new_signing_key()),
                     "limit_fen": 5_000_000, "issued_at": "2026-11-28T00:00:00+00:00"}  # fmt: skip
        enrolled = self.admin.enroll_signing_key(statement, self.signed(seal_key, statement), key())
        return enrolled["fingerprint"]

    def revoke_key(self, org, seal_key, key_fingerprint) -> None:
        statement = {"purpose": "revoke", "organisation_id": org["org_id"], "county": TEST_COUNTY,
                     "key_fingerprint": key_fingerprint, "reason": "离职",
                     "revoked_at": "2026-11-29T00:00:00+00:00"}  # fmt: skip
        self.admin.revoke_signing_key(statement, self.signed(seal_key, statement), key())

    @staticmethod
    def signed(seal_key, statement) -> str:
        return sign(seal_key, statement_bytes(statement))


@pytest.fixture
def directory(registry_db, token_keys, stack_config, sample):
    return Directory(registry_db, token_keys, sample)


@pytest.fixture
def resyncer(registry_db, stack_config):
    return Resyncer(registry_db, "registry", stack_config["AMQP_URI"], RESYNC_SOURCES)


def delivered(uri: str, queue: str) -> list:
    return [parse_envelope(json.loads(m.body), TEST_COUNTY) for m in drain(uri, queue)]


def test_seals_and_keys_resynced_are_what_each_consumer_needs(directory, resyncer, stack_config):
    reply = resyncer.to_consumer({"consumer": "fund"}, OPERATOR)
    counts = {q["event_type"]: (q["status"], q["records"], q["events"]) for q in reply["queues"]}
    assert [q["event_type"] for q in reply["queues"]] == [  # seals first, as registry lists them
        "seal_confirmed", "seal_revoked", "signing_key_enrolled", "signing_key_revoked",
        "organisation_bank_account_changed", "user_tokens_revoked",
    ]  # fmt: skip
    assert counts == {
        "seal_confirmed": ("resynced", 4, 5), "seal_revoked": ("resynced", 2, 2),
        "signing_key_enrolled": ("resynced", 1, 1), "signing_key_revoked": ("resynced", 2, 2),
        "organisation_bank_account_changed": ("resynced", 0, 0),  # none has an account here
        "user_tokens_revoked": ("no_source", 0, 0),
    }  # fmt: skip
    uri = stack_config["AMQP_URI"]
    confirmed = delivered(uri, "fund.handle_seal_confirmed")
    revoked = delivered(uri, "fund.handle_seal_revoked")
    enrolled = delivered(uri, "fund.handle_signing_key_enrolled")
    keys_revoked = delivered(uri, "fund.handle_signing_key_revoked")
    # Only the fund's queues: dispatch's seal queues, bound to the same events, got nothing.
    assert {q.name: queue_depth(uri, q.name) for q in county_topology().queues if
            queue_depth(uri, q.name)} == {}  # fmt: skip

    d = directory
    hr = [e.payload["fingerprint"] for e in confirmed if e.payload["org_id"] == d.hr["org_id"]]
    # The seal in effect first; then, its chain being longer than two, the chain oldest first.
    assert hr == [fingerprint(seal) for seal in (d.c, d.a, d.b, d.c)]
    county = [e.payload["fingerprint"] for e in confirmed if e.payload["org_id"] != d.hr["org_id"]]
    assert county == [fingerprint(d.e)]  # never D, which a registrar revoked
    assert [e.payload["fingerprint"] for e in revoked] == [fingerprint(d.d), fingerprint(d.f)]
    assert {(e.version, e.payload["status"], e.payload["revocation"]) for e in confirmed} == {
        (2, "effective", None)
    }  # each as it was published
    assert {(e.version, e.payload["revocation"]["purpose"]) for e in revoked} == {
        (3, "revoke_seal")
    }
    assert [e.payload["fingerprint"] for e in enrolled] == [d.kept]
    assert enrolled[0].payload["certificate"]["purpose"] == "certify"
    why = {e.payload["fingerprint"]: e.payload for e in keys_revoked}
    assert set(why) == {d.retired_key, d.revoked_key}
    assert why[d.retired_key]["revocation"]["purpose"] == "seal_retired"
    assert why[d.retired_key]["seal_signature"] is None
    assert why[d.revoked_key]["revocation"]["purpose"] == "revoke"
    assert why[d.revoked_key]["seal_signature"]
    for event in confirmed + revoked + enrolled + keys_revoked:
        assert event.record_id == event.payload["fingerprint"].replace(" ", "")
        assert (event.actor, event.correlation_id) == ("cli:admin", "corr-resync")


# -- the consumers ---------------------------------------------------------------------------


@pytest.fixture
def dispatch_db(stack_config):
    engine = create_database_engine(stack_config["dispatch"]["DATABASE_URL"])
    yield DatabaseHandle(engine, threading.Lock())
    engine.dispose()


def seal_states(db) -> dict[str, str]:
    """fingerprint -> effective | revoked, as dispatch keeps them."""
    with db.reader() as uow:
        rows = uow.connection.execute(select(dispatch_seals.c.fingerprint, dispatch_seals.c.status))
        return dict(rows.all())


def apply(db, events, keys, after_each=None) -> None:
    """The events through dispatch's own handler, one delivery each (as from two queues);
    `after_each(states)` looks at the seals after each."""
    for event in events:
        with db.unit_of_work() as uow:
            apply_seal_events(uow, [event], TEST_COUNTY, keys)
            uow.commit()
        if after_each is not None:
            after_each(seal_states(db))


def effective(states: dict) -> set[str]:
    return {seal for seal, status in states.items() if status == "effective"}


def interleavings(first: list, second: list):
    """Every order two queues' events can be taken in, each queue's own order kept."""
    for slots in itertools.combinations(range(len(first) + len(second)), len(first)):
        one, two, merged = iter(first), iter(second), []
        for position in range(len(first) + len(second)):
            merged.append(next(one) if position in slots else next(two))
        yield merged


def resynced_seals(resyncer, uri) -> tuple[list, list]:
    resyncer.to_consumer(
        {"consumer": "dispatch", "event_types": ["seal_confirmed", "seal_revoked"]}, OPERATOR
    )
    return (
        delivered(uri, "dispatch.handle_seal_confirmed"),
        delivered(uri, "dispatch.handle_seal_revoked"),
    )


def published(directory, event_type: str, seal_key):
    """The event registry published back then, from its outbox."""
    with directory.db.reader() as uow:
        body = uow.connection.execute(
            select(OUTBOX.c.body).where(
                OUTBOX.c.event_type == event_type,
                OUTBOX.c.record_id == fingerprint(seal_key).replace(" ", ""),
            )
        ).scalar_one()
    return parse_envelope(json.loads(body), TEST_COUNTY)


def right(directory, states: dict) -> bool:
    """registry's seals in effect, and only those; the revoked ones known as revoked (a replaced
    seal a consumer never saw may stay unknown to it)."""
    d = directory
    return effective(states) == {fingerprint(d.c), fingerprint(d.e)} and (
        states.get(fingerprint(d.d)) == states.get(fingerprint(d.f)) == "revoked"
    )


def clear(db) -> None:
    with db.unit_of_work() as uow:
        uow.connection.execute(delete(dispatch_seals))
        uow.commit()


def test_a_new_consumer_never_holds_a_retired_seal_whatever_the_order(
    directory, resyncer, dispatch_db, stack_config, token_keys
):
    """At no moment, in any of the orders two queues can be taken in, is a replaced or revoked
    seal in effect; at the end registry's are."""
    d = directory
    retired = {fingerprint(seal) for seal in (d.a, d.b, d.d, d.f)}

    def never_retired(states):
        assert not effective(states) & retired, states

    confirmed, revoked = resynced_seals(resyncer, stack_config["AMQP_URI"])
    orders = list(interleavings(confirmed, revoked))
    assert len(orders) == 21  # five confirmations, two revocations
    for order in orders:
        clear(dispatch_db)
        apply(dispatch_db, order, token_keys.registrar.keys, never_retired)
        assert right(d, seal_states(dispatch_db)), [e.type for e in order]


@pytest.mark.parametrize("held", ["a", "b"])
def test_a_consumer_that_held_an_old_seal_of_the_chain_moves_to_the_current_one(
    directory, resyncer, dispatch_db, stack_config, token_keys, held
):
    """It saw A (or B) confirmed as published then, and nothing after: the chain's confirmations,
    each naming the one before in `replaces`, move it forward, never back, to C."""
    keys, d = token_keys.registrar.keys, directory
    chain = [fingerprint(seal) for seal in (d.a, d.b, d.c)]
    old = getattr(d, held)
    reached = []

    def forward_only(states):
        (hr,) = effective(states) & set(chain)
        assert not reached or chain.index(hr) >= chain.index(reached[-1])
        reached.append(hr)

    confirmed, revoked = resynced_seals(resyncer, stack_config["AMQP_URI"])
    for order in interleavings(confirmed, revoked):
        clear(dispatch_db)
        reached.clear()
        apply(dispatch_db, [published(d, "seal_confirmed", old)], keys, forward_only)
        assert reached == [fingerprint(old)]
        apply(dispatch_db, order, keys, forward_only)
        assert right(d, seal_states(dispatch_db))


def test_a_consumer_that_missed_a_revocation_never_ends_on_a_wrong_seal_and_a_second_resync_mends(
    directory, resyncer, dispatch_db, stack_config, token_keys
):
    """It held D in effect and missed D's revocation and E's confirmation. E's confirmation names
    no seal to replace, so it counts only once D's revocation is in (the queues are apart): taken
    first, it is refused and the county has no seal in effect until the next resync."""
    keys, d = token_keys.registrar.keys, directory
    confirmed, revoked = resynced_seals(resyncer, stack_config["AMQP_URI"])
    clear(dispatch_db)
    apply(dispatch_db, [published(d, "seal_confirmed", d.d)], keys)
    assert seal_states(dispatch_db) == {fingerprint(d.d): "effective"}
    apply(dispatch_db, confirmed + revoked, keys)  # the worse order
    states = seal_states(dispatch_db)
    county = {fingerprint(d.d), fingerprint(d.e)}
    assert states[fingerprint(d.d)] == "revoked" and not effective(states) & county
    confirmed, revoked = resynced_seals(resyncer, stack_config["AMQP_URI"])
    apply(dispatch_db, confirmed + revoked, keys)
    assert right(d, seal_states(dispatch_db))


def test_dispatch_and_the_fund_running_take_what_a_resync_sends(
    directory, resyncer, dispatch_db, container_factory, stack_config
):
    """The containers as deployed, on queues that never carried the directory's events."""
    for service in (DispatchService, FundService):
        container_factory(service).start()
    resyncer.to_consumer({"consumer": "dispatch"}, OPERATOR)
    resyncer.to_consumer({"consumer": "fund"}, OPERATOR)
    d = directory
    eventually(lambda: right(d, seal_states(dispatch_db)), within=20)
    fund = create_database_engine(stack_config["fund"]["DATABASE_URL"], pool_size=1)
    every_seal = [fingerprint(seal) for seal in (d.a, d.b, d.c, d.d, d.e, d.f)]
    keys = {d.kept: False, d.retired_key: True, d.revoked_key: True}

    def fund_caught_up():
        with fund.connect() as connection:
            books = Books(connection)
            found = {fp: books.seal(fp) for fp in every_seal}
            signatories = {fp: books.signatory(fp) for fp in keys}
        states = {fp: "revoked" if s.revoked else "effective" for fp, s in found.items() if s}
        return (
            right(d, states)
            and None not in signatories.values()
            and {fp: s[0].revoked for fp, s in signatories.items()} == keys
        )

    try:
        eventually(fund_caught_up, within=20)
    finally:
        fund.dispose()
