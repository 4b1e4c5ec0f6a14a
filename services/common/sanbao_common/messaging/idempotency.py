"""Idempotency keys for commands that change state.

The client chooses a key per command (a UUID is fine) and sends the same key when it retries,
for instance after a timeout that left it not knowing whether the command ran. The first
successful outcome is stored with the key in the command's own transaction; a retry with the
same key and the same request returns that outcome and changes nothing; the same key with a
different request is refused. A refused command stores nothing, so it can be corrected and sent
again under the same key.

A key belongs to the caller who first used it (the actor of their token): the same key from
anyone else is refused with `IDEMPOTENCY_KEY_CONFLICT`, whatever their request, and learns
nothing of the stored reply (nor whether their request matched the first), so a key seen in a
log or over a shoulder opens nothing. A command whose first reply holds something to show only
once (a one-time password) stores a reply without it (`stored=`): a retry says it was shown.
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
_LOOKUP = select(
    IDEMPOTENCY_KEYS.c.caller, IDEMPOTENCY_KEYS.c.request_sha256, IDEMPOTENCY_KEYS.c.response
).where(IDEMPOTENCY_KEYS.c.key == bindparam("key"))
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


class IdempotencyKeyConflict(DomainError):
    code = "IDEMPOTENCY_KEY_CONFLICT"
    message_en = "this idempotency key is already taken; send the command with a new key"
    message_zh = "该幂等键已被占用，请使用新的幂等键提交"


def _replay_counter(service: str) -> Counter:
    if service not in _replays:
        _replays[service] = Counter(
            f"sanbao_{service}_idempotent_replays_total",
            "Commands answered from their idempotency key instead of running again",
            ["method"],
        )
    return _replays[service]


def request_digest(method: str, request, keyed: Callable[[str], str] | None = None) -> str:
    """What tells a retry from another request under the same key. `keyed`, a keyed hash (an
    HMAC), for a service whose requests carry personal data: a plain SHA-256 of a request whose
    other fields the stored reply shows would give its phone or ID number back to anyone with a
    copy of the database, by trying the few million candidates."""
    canonical = json.dumps([method, request], sort_keys=True, ensure_ascii=False, default=str)
    if keyed is not None:
        return keyed(canonical)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def run_command(
    db: DatabaseHandle,
    service: str,
    method: str,
    key: str,
    request,
    execute: Callable[[UnitOfWork], dict],
    *,
    caller: str,
    stored: Callable[[dict], dict] | None = None,
    keyed: Callable[[str], str] | None = None,
) -> dict:
    """Run `execute(uow)` once per key: it must not commit; the reply is stored with its effect,
    bound to `caller` (the actor of the command's token). `stored(reply)`, when given, is what
    is kept and what a retry gets instead of the reply itself; `keyed`, see `request_digest`."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise IdempotencyKeyInvalid()
    digest = request_digest(method, request, keyed)
    for _ in range(2):  # a second pass only after losing an insert race to a concurrent retry
        with db.unit_of_work() as uow:
            found = uow.connection.execute(_LOOKUP, {"key": key}).first()
            if found is not None:
                return _replay(found, caller, digest, service, method, key)
            response = execute(uow)
            kept = response if stored is None else stored(response)
            try:
                uow.connection.execute(
                    _STORE,
                    {
                        "key": key,
                        "method": method,
                        "request_sha256": digest,
                        "response": json.dumps(kept, ensure_ascii=False, default=str),
                        "created_at": datetime.now(UTC),
                        "caller": caller,
                    },
                )
            except IntegrityError:
                # A concurrent call with the same key committed first: this transaction rolls
                # back, and the next pass answers as that call did.
                continue
            uow.commit()
            return response
    raise IdempotencyKeyReused(key=key)


def _replay(found, caller: str, digest: str, service: str, method: str, key: str) -> dict:
    """The stored reply, to its own caller sending the same request again. Another caller is
    refused before the request is compared: the refusal is the same whatever they sent."""
    if found.caller != caller:
        raise IdempotencyKeyConflict()
    if found.request_sha256 != digest:
        raise IdempotencyKeyReused(key=key)
    _replay_counter(service).labels(method).inc()
    return json.loads(found.response)
