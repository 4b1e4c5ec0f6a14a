"""The contract between dispatch and the fund, with both services' real code on their own
databases: the `agreement_sealed` events dispatch actually publishes open the joint account,
re-seal it after a party's seal changed, and are ignored when replayed — the fund trusting only
the terms and signatures, and the seals it keeps itself from the same registry events."""

import threading

import pytest

from dispatch_support import COUNTY, key
from fund.agreements import apply_agreements
from fund.events import apply_seals
from sanbao_common.crypto import new_signing_key
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.envelope import parse_envelope


@pytest.fixture
def fund_db(databases):
    engine = create_database_engine(databases["fund"])
    yield DatabaseHandle(engine, threading.Lock())
    engine.dispose()


def both_hear(dispatch, fund_db, *events) -> None:
    """registry's seal events reaching dispatch and the fund alike."""
    dispatch.relay(*events)
    with fund_db.unit_of_work() as uow:
        apply_seals(uow, list(events), COUNTY, dispatch.registrar.keys)
        uow.commit()


def fund_takes(dispatch, fund_db, envelope: dict) -> list:
    with fund_db.unit_of_work() as uow:
        outcomes = apply_agreements(
            uow, [parse_envelope(envelope, COUNTY)], COUNTY, dispatch.registrar.keys
        )
        uow.commit()
    return [o.result for o in outcomes]


def test_the_fund_opens_and_reseals_from_what_dispatch_publishes(dispatch, fund_db):
    both_hear(
        dispatch, fund_db, dispatch.seal_event(dispatch.county), dispatch.seal_event(dispatch.hr)
    )
    agreement_id = dispatch.sealed_agreement()
    [v1] = dispatch.events("agreement_sealed")
    assert fund_takes(dispatch, fund_db, v1) == ["opened"]

    old = dispatch.hr.seal_fingerprint
    dispatch.hr.seal = new_signing_key()  # lost; the registrar confirms the new one
    both_hear(dispatch, fund_db, dispatch.seal_event(dispatch.hr, replaces=old))
    amended = dispatch.amend(agreement_id)
    dispatch.seal(amended, dispatch.county)
    dispatch.seal(amended, dispatch.hr)
    [_, v2] = dispatch.events("agreement_sealed")
    assert v2["payload"]["terms"]["hr_company_seal"] == dispatch.hr.seal_fingerprint
    assert fund_takes(dispatch, fund_db, v2) == ["resealed"]
    assert fund_takes(dispatch, fund_db, v1) == ["ignored"]  # a replay of the past


def test_an_event_whose_unsigned_fields_lie_is_taken_for_its_signed_terms_only(dispatch, fund_db):
    both_hear(
        dispatch, fund_db, dispatch.seal_event(dispatch.county), dispatch.seal_event(dispatch.hr)
    )
    dispatch.sealed_agreement()
    [v1] = dispatch.events("agreement_sealed")
    lying = dict(v1, event_id=key()[:8] + "-0000-4000-8000-000000000000")
    lying["payload"] = dict(v1["payload"], status="withdrawn", version=9, agreement_id="x")
    assert fund_takes(dispatch, fund_db, lying) == ["opened"]
    forged = dict(v1, event_id=key()[:8] + "-0000-4000-8000-000000000001")
    forged["payload"] = dict(
        v1["payload"], terms=dict(v1["payload"]["terms"], principal_fen=1, version=2)
    )
    assert fund_takes(dispatch, fund_db, forged) == ["refused"]
