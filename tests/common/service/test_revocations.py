"""The kit's token revocations on both backends: the latest time wins, a token issued at or
before it is void and one issued after is not, a replica that did not record the revocation
learns it from the table within its refresh time, and an old time is forgotten once it can void
no live token."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sanbao_common.access import verify_token
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.revocations import (
    KEEP_FOR,
    REFRESH_SECONDS,
    TOKEN_REVOCATIONS,
    RevocationList,
    record,
)
from testkit import TEST_COUNTY

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def handle(databases):
    engine = create_database_engine(databases["settlement"], pool_size=4)
    yield DatabaseHandle(engine, threading.Lock())
    engine.dispose()


def revoke(handle, user_id, moment, now=None):
    with handle.unit_of_work() as uow:
        record(uow, user_id, moment, now=now or moment)
        uow.commit()


def kept(handle) -> dict:
    with handle.reader() as uow:
        rows = uow.connection.execute(select(TOKEN_REVOCATIONS)).all()
    return {row.user_id: row.not_before.replace(tzinfo=UTC) for row in rows}


def test_a_token_issued_at_or_before_the_time_is_void_and_a_later_one_is_not(handle):
    revoke(handle, "u-1", T0)
    revocations = RevocationList(lambda: handle)
    assert revocations.voids("u-1", T0 - timedelta(minutes=30))
    assert revocations.voids("u-1", T0)
    assert not revocations.voids("u-1", T0 + timedelta(microseconds=1))
    assert not revocations.voids("u-2", T0 - timedelta(minutes=30))


def test_the_latest_time_wins_whatever_order_the_events_come_in(handle):
    revoke(handle, "u-1", T0 + timedelta(minutes=5))
    revoke(handle, "u-1", T0)  # an older event redelivered late
    assert kept(handle) == {"u-1": T0 + timedelta(minutes=5)}
    revoke(handle, "u-1", T0 + timedelta(minutes=6))
    assert kept(handle) == {"u-1": T0 + timedelta(minutes=6)}


def test_a_rolled_back_revocation_voids_nothing(handle):
    with handle.unit_of_work() as uow:
        record(uow, "u-1", T0)  # the change it belonged to failed: no commit
    assert kept(handle) == {}
    assert not RevocationList(lambda: handle).voids("u-1", T0 - timedelta(minutes=1))


def test_another_replica_learns_a_revocation_within_its_refresh_time(handle, monkeypatch):
    clock = Clock()
    replica = RevocationList(lambda: handle, clock=clock)
    issued = T0 - timedelta(minutes=10)
    assert not replica.voids("u-1", issued)
    # Another process of the service applied the event: nothing in this process said so.
    import sanbao_common.revocations as revocations_module

    before = revocations_module._committed_here
    revoke(handle, "u-1", T0)
    monkeypatch.setattr(revocations_module, "_committed_here", before)
    clock.now += REFRESH_SECONDS - 1
    assert not replica.voids("u-1", issued)  # still its last reading
    clock.now += 1
    assert replica.voids("u-1", issued)


def test_this_process_reads_its_own_revocation_at_once(handle):
    replica = RevocationList(lambda: handle, clock=Clock())
    assert not replica.voids("u-1", T0 - timedelta(minutes=10))
    revoke(handle, "u-1", T0)
    assert replica.voids("u-1", T0 - timedelta(minutes=10))


def test_a_time_too_old_to_void_a_live_token_is_forgotten(handle):
    revoke(handle, "u-old", T0)
    revoke(handle, "u-new", T0 + KEEP_FOR, now=T0 + KEEP_FOR + timedelta(seconds=1))
    assert kept(handle) == {"u-new": T0 + KEEP_FOR}


def test_a_token_from_before_revocations_existed_is_refused(token_keys):
    """A token without the time it was issued cannot be checked against a revocation."""
    import base64
    import json

    from sanbao_common.access import TokenInvalid

    token = token_keys.mint(["county_admin"])
    prefix, body, _ = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    del data["issued_at"]
    old_body = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    signed = f"{prefix}.{old_body}"
    signature = base64.urlsafe_b64encode(token_keys.private_key.sign(signed.encode()))
    old_token = f"{signed}.{signature.decode().rstrip('=')}"
    public = [token_keys.private_key.public_key()]
    assert verify_token(token, public, TEST_COUNTY).issued_at
    with pytest.raises(TokenInvalid):
        verify_token(old_token, public, TEST_COUNTY)


def test_a_token_minted_to_outlive_its_revocations_is_refused(token_keys):
    """Revocations are kept two hours: a token living longer could outlast its own."""
    from sanbao_common.access import TokenInvalid

    public = [token_keys.private_key.public_key()]
    assert verify_token(token_keys.mint(["auditor"], ttl_seconds=3600), public, TEST_COUNTY)
    with pytest.raises(TokenInvalid):
        verify_token(token_keys.mint(["auditor"], ttl_seconds=3601), public, TEST_COUNTY)
