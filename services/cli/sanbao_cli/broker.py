"""The CLI's operator actions on the broker, with clear errors instead of library exceptions."""

from __future__ import annotations

import json
import os
from pathlib import Path

import amqp
import requests

from sanbao_cli.client import CliError
from sanbao_common.config import redact_url
from sanbao_common.messaging import deadletters
from sanbao_common.messaging.admin import (
    BrokerAdminError,
    ManagementApi,
    apply_topology,
    provision_users,
    vhost_of,
)


def _broker_error(admin_uri: str, exc: Exception) -> CliError:
    if isinstance(exc, amqp.exceptions.AccessRefused | amqp.exceptions.NotAllowed):
        return CliError("BROKER_REFUSED", f"{redact_url(admin_uri)} refused the admin login")
    if isinstance(exc, amqp.exceptions.NotFound):
        return CliError("TOPOLOGY_MISSING", f"{exc}; run `sanbao topology apply` first")
    return CliError("BROKER_UNREACHABLE", f"cannot reach {redact_url(admin_uri)}: {exc}")


def apply(admin_uri, users: bool, api_uri: str, secrets_file: str | None, county: str) -> dict:
    summary = {}
    try:
        if users:
            if not secrets_file:
                raise CliError("USAGE", "--provision-users needs --secrets-file for the passwords")
            if not api_uri:
                raise CliError(
                    "USAGE",
                    "--provision-users needs --api-uri (or RABBITMQ_API_URI): the management "
                    "API with admin credentials / --provision-users 须提供 --api-uri（或 "
                    "RABBITMQ_API_URI）：带管理员凭据的管理接口地址",
                )
            path = Path(secrets_file)
            known = json.loads(path.read_text()) if path.exists() else {}
            passwords = provision_users(ManagementApi(api_uri), vhost_of(admin_uri), county, known)
            path.touch(mode=0o600)
            os.chmod(path, 0o600)
            path.write_text(json.dumps(passwords, indent=2))
            summary["users"] = len(passwords)
            summary["passwords written to"] = str(path)
        topology = apply_topology(admin_uri)
    except (OSError, amqp.exceptions.AMQPError) as exc:
        raise _broker_error(admin_uri, exc) from None
    except (requests.RequestException, BrokerAdminError) as exc:
        raise CliError("BROKER_API", str(exc)) from None
    summary.update(
        exchanges=len(topology.exchanges),
        queues=len(topology.queues),
        bindings=len(topology.bindings),
    )
    return summary


def list_dead_letters(admin_uri: str, queue: str | None, limit: int):
    try:
        return deadletters.list_dead_letters(admin_uri, queue, limit)
    except ValueError as exc:
        raise CliError("UNKNOWN_QUEUE", str(exc)) from None
    except (OSError, amqp.exceptions.AMQPError) as exc:
        raise _broker_error(admin_uri, exc) from None


def replay_dead_letters(admin_uri: str, queue, event_ids, progress) -> int:
    try:
        return deadletters.replay_dead_letters(admin_uri, queue, event_ids, progress)
    except ValueError as exc:
        raise CliError("UNKNOWN_QUEUE", str(exc)) from None
    except (OSError, amqp.exceptions.AMQPError) as exc:
        raise _broker_error(admin_uri, exc) from None
