"""Where `sanbao login` keeps the caller's token: one file per county under the user's own
configuration directory, readable by them only. SANBAO_TOKEN overrides it (scripts, tests)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path


def config_dir(county: str) -> Path:
    """The user's own sanbao directory for one county (their token, requests kept to retry)."""
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "sanbao" / county


def token_file(county: str) -> Path:
    return config_dir(county) / "token"


def load(county: str) -> str | None:
    if os.environ.get("SANBAO_TOKEN"):
        return os.environ["SANBAO_TOKEN"]
    try:
        return token_file(county).read_text().strip() or None
    except OSError:
        return None


def save(county: str, token: str) -> Path:
    path = token_file(county)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token)
    return path


def forget(county: str) -> bool:
    try:
        token_file(county).unlink()
        return True
    except FileNotFoundError:
        return False


def claims(token: str | None) -> dict | None:
    """What a token says of its holder (user name, roles, when it was issued), read without
    checking its signature: only to word a message to the holder, never to decide anything."""
    try:
        body = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (AttributeError, IndexError, ValueError):
        return None
    return data if isinstance(data, dict) else None
