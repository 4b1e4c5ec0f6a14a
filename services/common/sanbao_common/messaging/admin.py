"""Operator actions on a county's broker: vhost, users and permissions (management HTTP API),
topology (AMQP). Everything here needs the county's admin credentials."""

from __future__ import annotations

import secrets
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import amqp
import requests

from sanbao_common.messaging.publisher import broker_credentials
from sanbao_common.messaging.topology import (
    RPC_EXCHANGE,
    Permissions,
    Topology,
    declare,
    users_and_permissions,
)


class BrokerAdminError(Exception):
    pass


def vhost_of(amqp_uri: str) -> str:
    return urlsplit(amqp_uri).path.lstrip("/") or "/"


def with_credentials(amqp_uri: str, user: str, password: str) -> str:
    parts = urlsplit(amqp_uri)
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def connect(amqp_uri: str) -> amqp.Connection:
    parts = urlsplit(amqp_uri)
    user, password = broker_credentials(amqp_uri)
    connection = amqp.Connection(
        f"{parts.hostname}:{parts.port or 5672}",
        userid=user,
        password=password,
        virtual_host=vhost_of(amqp_uri),
        connect_timeout=10,
    )
    connection.connect()
    return connection


class ManagementApi:
    def __init__(self, api_uri: str):
        parts = urlsplit(api_uri)
        path = parts.path.rstrip("/")
        if not path.endswith("/api"):
            path += "/api"
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}{path}"
        if not parts.username or not parts.password:
            raise ValueError(
                f"the management API URI {parts.scheme}://{parts.hostname}{path} names no user"
                " and password: give an administrator's (http://user:password@host:15672/api)"
            )
        self.auth = (unquote(parts.username), unquote(parts.password))

    def _call(self, method: str, path: str, **kwargs):
        response = requests.request(
            method, f"{self.base}{path}", auth=self.auth, timeout=15, **kwargs
        )
        if response.status_code >= 400:
            raise BrokerAdminError(
                f"management API {method} {path}: HTTP {response.status_code} {response.text[:200]}"
            )
        return response.json() if response.content else None

    def overview(self) -> dict:
        return self._call("GET", "/overview")

    def ensure_vhost(self, vhost: str) -> None:
        self._call("PUT", f"/vhosts/{quote(vhost, safe='')}")

    def ensure_user(self, user: str, password: str) -> None:
        self._call("PUT", f"/users/{quote(user, safe='')}", json={"password": password, "tags": ""})

    def set_permissions(self, vhost: str, user: str, permissions: Permissions) -> None:
        v, u = quote(vhost, safe=""), quote(user, safe="")
        self._call(
            "PUT",
            f"/permissions/{v}/{u}",
            json={
                "configure": permissions.configure,
                "write": permissions.write,
                "read": permissions.read,
            },
        )
        self._call(
            "PUT",
            f"/topic-permissions/{v}/{u}",
            json={
                "exchange": RPC_EXCHANGE,
                "write": permissions.rpc_topic_write,
                "read": permissions.rpc_topic_read,
            },
        )

    def grant_all(self, vhost: str, user: str) -> None:
        v, u = quote(vhost, safe=""), quote(user, safe="")
        self._call(
            "PUT", f"/permissions/{v}/{u}", json={"configure": ".*", "write": ".*", "read": ".*"}
        )


def provision_users(
    api: ManagementApi, vhost: str, county: str, passwords: dict[str, str] | None = None
) -> dict[str, str]:
    """Create (or update) the county's service and CLI users with their permissions.

    Returns user -> password; users absent from `passwords` get a new random one."""
    passwords = dict(passwords or {})
    for user, permissions in users_and_permissions(county).items():
        password = passwords.setdefault(user, secrets.token_urlsafe(24))
        api.ensure_user(user, password)
        api.set_permissions(vhost, user, permissions)
    return passwords


def apply_topology(admin_amqp_uri: str) -> Topology:
    connection = connect(admin_amqp_uri)
    try:
        return declare(connection)
    finally:
        connection.close()
