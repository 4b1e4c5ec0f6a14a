"""Idempotency keys for commands that change state.

The client chooses a key per command (a UUID is fine) and sends the same key when it retries,
for instance after a timeout that left it not knowing whether the command ran. The first
successful outcome is stored with the key in the command's own transaction; a retry with the
same key and the same request returns that outcome and changes nothing; the same key with a
different request is refused. A refused command stores nothing, so it can be corrected and sent
again under the same key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime

from prometheus_client import Counter
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from sanbao_common.db import DatabaseHandle, UnitOfWork
from sanbao_common.errors import DomainError
from sanbao_common.messaging.tables import IDEMPOTENCY_KEYS

# Built once: every command runs both.
_LOOKUP = select(IDEMPOTENCY_KEYS.c.request_sha256, IDEMPOTENCY_KEYS.c.response).where(
    IDEMPOTENCY_KEYS.c.key == bindparam("key")
)
_STORE = insert(IDEMPOTENCY_KEYS)
_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_replays: dict[str, Counter] = {}


class IdempotencyKeyInvalid(DomainError):
    code = "IDEMPOTENCY_KEY_INVALID"
    message_en = "an idempotency key of 8 to 128 letters, digits, '.', '_', ':' or '-' is required"
    message_zh = "须提供幂等键：8 至 128 位字母、数字或 . _ : -"


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"
    message_en = "this idempotency key was already used for a different request"
    message_zh = "该幂等键已用于另一个不同的请求"


def _replay_counter(service: str) -> Counter:
    if service not in _replays:
        _replays[service] = Counter(
            f"sanbao_{service}_idempotent_replays_total",
            "Commands answered from their idempotency key instead of running again",
            ["method"],
        )
    return _replays[service]


def request_digest(method: str, request) -> str:
    canonical = json.dumps([method, request], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def run_command(
    db: DatabaseHandle,
    service: str,
    method: str,
    key: str,
    request,
    execute: Callable[[UnitOfWork], dict],
) -> dict:
    """Run `execute(uow)` once per key: it must not commit; the reply is stored with its effect."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise IdempotencyKeyInvalid()
    digest = request_digest(method, request)
    for _ in range(2):  # a second pass only after losing an insert race to a concurrent retry
        with db.unit_of_work() as uow:
            stored = uow.connection.execute(_LOOKUP, {"key": key}).first()
            if stored is not None:
                if stored.request_sha256 != digest:
                    raise IdempotencyKeyReused(key=key)
                _replay_counter(service).labels(method).inc()
                return json.loads(stored.response)
            response = execute(uow)
            try:
                uow.connection.execute(
                    _STORE,
                    {
                        "key": key,
                        "method": method,
                        "request_sha256": digest,
                        "response": json.dumps(response, ensure_ascii=False, default=str),
                        "created_at": datetime.now(UTC),
                    },
                )
            except IntegrityError:
                # A concurrent call with the same key committed first: this transaction rolls
                # back, and the next pass answers as that call did.
                continue
            uow.commit()
            return response
    raise IdempotencyKeyReused(key=key)
