"""What a command sent under an idempotency key, kept on this machine so that a retry sends the
very same request.

Most commands send what their arguments say, so running them again with the same
`--idempotency-key` sends the same request and the service answers it with the first outcome.
A few compute part of what they send: `fund propose` its expiry (now + `--expires-in`), `seal
certify` and the revocations the time they sign, inside a signed statement. Computed again, the
retry would differ from the first request and the service would refuse it as a different request
under a used key (IDEMPOTENCY_KEY_REUSED) — the honest retry refused. So such a command keeps
what it sent, with the arguments it was given (its intent), before sending it; run again under
the same key with the same intent, it sends the kept request instead of a new one.

Each (key, intent) has its own file: a key reused by mistake for another intent sends that
intent's own request (which the service refuses if the key's first request reached it), and
leaves the first one's alone. A request the service refused is forgotten (the service stores
nothing for it either, so it can be corrected and sent again under the same key); one that was
answered, or whose answer never came, is kept for KEEP_DAYS. The files sit beside the sign-in
token, readable by the user only.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from sanbao_cli.tokens import config_dir

KEEP_DAYS = 30


def _directory(county: str) -> Path:
    return config_dir(county) / "sent"


ASKED = ("service", "method", "intent")


def _path(county: str, key: str, request: dict) -> Path:
    """The file of `key` and the request's intent: a digest, which also keeps the key's ':' and
    '.' out of the file name."""
    asked = json.dumps([key, *(request[name] for name in ASKED)], sort_keys=True)
    return _directory(county) / f"{hashlib.sha256(asked.encode()).hexdigest()[:40]}.json"


def recall(county: str, key: str, request: dict) -> dict | None:
    """The request kept for `key` and the intent of `request` (same service, method and
    intent), else None."""
    try:
        kept = json.loads(_path(county, key, request).read_text())
    except (OSError, ValueError):
        return None
    same = kept.get("key") == key and all(kept.get(n) == request[n] for n in ASKED)
    return kept if same else None


def keep(county: str, key: str, request: dict) -> None:
    """Keep `request` ({service, method, intent, args, kwargs}) for `key`, on disk before it is
    sent (written whole, then renamed into place); older requests are forgotten."""
    directory = _directory(county)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    _prune(directory)
    target = _path(county, key, request)
    partial = target.with_suffix(".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(dict(request, key=key, kept_at=time.time()), out, ensure_ascii=False)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)


def forget(county: str, key: str, request: dict) -> None:
    try:
        _path(county, key, request).unlink()
    except FileNotFoundError:
        pass


def _prune(directory: Path) -> None:
    cutoff = time.time() - KEEP_DAYS * 86400
    for path in directory.glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass
