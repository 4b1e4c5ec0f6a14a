"""Where a county stack started by `make run` (no containers) keeps its broker credentials, so
that `sanbao` on the same machine finds them without being told."""

from __future__ import annotations

import json
import os
from pathlib import Path

DEFAULT_API_URI = "http://guest:guest@127.0.0.1:15672/api"


def default_admin_uri(county: str) -> str:
    """The local RabbitMQ's built-in administrator, on the county's vhost."""
    return f"amqp://guest:guest@127.0.0.1:5672/sanbao-{county}"


def county_var_dir(county: str) -> Path:
    return Path(os.environ.get("SANBAO_VAR_DIR", "var")) / county


def broker_secrets_file(var_dir: Path) -> Path:
    """user -> password of the county's broker users (mode 0600, written by make run)."""
    return var_dir / "secrets" / "broker.json"


def local_user_uri(county: str, user: str) -> str | None:
    """The AMQP URI of one of the county's broker users, if make run provisioned it here."""
    from sanbao_common.messaging.admin import with_credentials

    secrets_file = broker_secrets_file(county_var_dir(county))
    try:
        password = json.loads(secrets_file.read_text())[user]
    except (OSError, ValueError, KeyError):
        return None
    return with_credentials(default_admin_uri(county), user, password)
