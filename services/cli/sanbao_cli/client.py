"""RPC calls from the command line to a county stack, with every failure turned into one
`CliError` with a stable code: a remote domain error keeps its own code."""

from __future__ import annotations

import getpass
import logging
import re
import socket
import uuid
import warnings
from datetime import datetime
from zoneinfo import ZoneInfo

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from amqp.exceptions import AccessRefused, NotAllowed, PreconditionFailed  # noqa: E402
from kombu.exceptions import OperationalError  # noqa: E402
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService  # noqa: E402
from nameko.standalone.rpc import ClusterRpcClient  # noqa: E402

from sanbao_cli import tokens  # noqa: E402
from sanbao_common.config import redact_url  # noqa: E402
from sanbao_common.errors import parse_error_text  # noqa: E402
from sanbao_common.messaging.publisher import broker_credentials  # noqa: E402

COUNTY_TIME = ZoneInfo("Asia/Shanghai")
# py-amqp warns on stderr of a confirm that arrives while a channel closes (a client closed
# right after its call): nothing the operator can act on, and not an error line of ours.
logging.getLogger("amqp").addHandler(logging.NullHandler())


class CliError(Exception):
    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(f"[{code}] {message}")


class NotConfigured(CliError):
    """No broker to connect to was given or found: raised when a command first needs one."""

    def __init__(self, message: str):
        super().__init__("NOT_CONFIGURED", message)


class StackClient:
    """Calls one county stack's services; opens its AMQP connection on first use. Without an
    AMQP URI (`missing` says why there is none), the first call raises `NotConfigured`."""

    def __init__(
        self,
        county: str,
        amqp_uri: str | None,
        timeout: float,
        token: str | None = None,
        missing: str | None = None,
    ):
        self.county = county
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self.token = token
        self.missing = missing
        self._client: ClusterRpcClient | None = None
        self._proxy = None

    def __enter__(self) -> StackClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.stop()
            except Exception:  # closing a broken connection must not hide the real error
                pass
            self._client = None

    def _connect(self):
        if self.amqp_uri is None:
            raise NotConfigured(self.missing or "no broker URI given (--amqp-uri)")
        try:
            broker_credentials(self.amqp_uri)
        except ValueError as exc:  # kombu would fill in the broker's guest administrator
            raise NotConfigured(f"{exc} / 代理地址中没有用户名和密码") from None
        if self._client is None:
            context = {"correlation_id": uuid.uuid4().hex, "actor": f"cli:{getpass.getuser()}"}
            if self.token:
                context["token"] = self.token
            client = ClusterRpcClient(context_data=context, timeout=self.timeout, uri=self.amqp_uri)
            try:
                self._proxy = client.start()
            except Exception as exc:
                raise self._connection_error(exc) from None
            self._client = client
        return self._proxy

    def call(self, service: str, method: str, *args, **kwargs):
        proxy = self._connect()
        try:
            return getattr(getattr(proxy, service), method)(*args, **kwargs)
        except RemoteError as exc:
            code, message = parse_error_text(exc.value)
            if code is None:
                raise CliError(
                    "REMOTE_ERROR", f"{service}.{method} failed: {exc.exc_type}: {exc.value}"
                ) from None
            if code == "FORBIDDEN":
                message += self._roles_since_sign_in()
            raise CliError(code, message) from None
        except RpcTimeout:
            raise CliError(
                "TIMEOUT",
                f"{service} did not answer within {self.timeout:g} s; is the stack running? "
                "(make run)",
            ) from None
        except UnknownService:
            raise CliError(
                "SERVICE_DOWN",
                f"{service} is not running on this county's broker; start the stack (make run)",
            ) from None
        except PreconditionFailed as exc:
            self.close()  # the broker closed the channel: start afresh on the next call
            raise self._refused_message(service, method, exc) from None
        except (OSError, OperationalError, AccessRefused, NotAllowed) as exc:
            self.close()
            raise self._connection_error(exc) from None

    def _roles_since_sign_in(self) -> str:
        """Services decide from the roles the token carries, which are those the holder had when
        they signed in: a role (or a signatory's certification) given since counts only once
        they sign in again. Said with every refusal for want of a role, naming the roles and
        the time of the sign-in, since the CLI cannot tell what was granted meanwhile."""
        said = tokens.claims(self.token) or {}
        user, roles = said.get("username") or "<username>", said.get("roles") or []
        try:
            at = datetime.fromisoformat(said["issued_at"]).astimezone(COUNTY_TIME)
            when = f" at {at:%Y-%m-%d %H:%M}"
        except (KeyError, TypeError, ValueError):
            when = ""
        return (
            f". Your sign-in{when} carries the roles you had then ({', '.join(roles) or 'none'}); "
            f"a role or signatory certification given to you since counts once you sign in "
            f"again: sanbao login {user} / 登录凭证只含登录时的角色（{'、'.join(roles) or '无'}），"
            f"登录后新授予的角色或签批人资格须重新登录（sanbao login {user}）后生效"
        )

    @staticmethod
    def _refused_message(service: str, method: str, exc: PreconditionFailed) -> CliError:
        """The broker refused to take the request: over its max_message_size, or another
        precondition it names."""
        size = re.search(r"message size (\d+) is larger than configured max size (\d+)", str(exc))
        if size is None:
            return CliError("BROKER_REFUSED", f"the broker refused {service}.{method}: {exc}")
        sent, limit = (int(n) / 2**20 for n in size.groups())
        return CliError(
            "REQUEST_TOO_LARGE",
            f"the broker refused {service}.{method}: the request is {sent:.1f} MiB, more than "
            f"the {limit:.1f} MiB it carries (its max_message_size); send less at a time",
        )

    def _connection_error(self, exc: Exception) -> CliError:
        if (
            isinstance(exc, AccessRefused | NotAllowed)
            or "ACCESS_REFUSED" in str(exc)
            or "NOT_ALLOWED" in str(exc)
        ):
            return CliError(
                "BROKER_REFUSED",
                f"the broker refused {redact_url(self.amqp_uri)}: wrong user, password or vhost "
                "(does this county's stack exist? make run creates it)",
            )
        if isinstance(exc, socket.timeout):
            return CliError(
                "BROKER_UNREACHABLE", f"the broker at {redact_url(self.amqp_uri)} timed out"
            )
        return CliError(
            "BROKER_UNREACHABLE",
            f"cannot reach the broker at {redact_url(self.amqp_uri)}: {exc}",
        )
