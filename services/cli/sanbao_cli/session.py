"""What every command is handed: the county, a client for its stack, the operator's broker
credentials; and `call_command`, the one way a command changes state.

`sanbao` connects as the CLI's own broker user, which may only make RPC calls: the URI given
(--amqp-uri, SANBAO_AMQP_URI) or the one `make run` provisioned on this machine. Without either
it says what to set and stops; it never connects as the broker's administrator unasked, and the
admin commands (topology, dead letters) use admin credentials only when given them."""

from __future__ import annotations

import json
from contextlib import contextmanager

from sanbao_cli import output, sent, tokens
from sanbao_cli.client import CliError, NotConfigured, StackClient
from sanbao_common.local import broker_secrets_file, county_var_dir, local_user_uri
from sanbao_common.messaging.topology import CLI_USER_ROLE, user_name

# A command that failed so may or may not have run: repeat it with the same key.
UNCERTAIN = ("TIMEOUT", "BROKER_UNREACHABLE")
# Failures that say nothing about the request itself: the caller is not (or no longer) signed
# in, the CLI cannot reach or understand the stack, or a service failed. The first attempt may
# still be stored under the key, so a kept request is kept for the retry after signing in again.
NOT_ABOUT_THE_REQUEST = (
    *UNCERTAIN,
    "UNAUTHENTICATED", "TOKEN_INVALID", "TOKEN_EXPIRED", "TOKEN_REVOKED", "TOKEN_WRONG_COUNTY",
    "PASSWORD_CHANGE_REQUIRED", "NOT_CONFIGURED", "BROKER_REFUSED", "REMOTE_ERROR", "BAD_REPLY",
    "UPSTREAM_TIMEOUT", "REPLY_TOO_LARGE",
)  # fmt: skip


def missing_broker(county: str) -> str:
    """Why there is no broker to connect to, and what to set (English / Chinese)."""
    secrets = broker_secrets_file(county_var_dir(county)).resolve()
    user = user_name(county, CLI_USER_ROLE)
    found, found_zh = (
        ("has no password for it", "其中没有该用户的密码")
        if secrets.exists()
        else ("is not there", "未找到该文件")
    )
    return (
        f"no broker configuration for county {county}: sanbao connects as the CLI's own broker "
        f"user {user}, whose password make run keeps in {secrets} (which {found}). Run sanbao in "
        "the directory make run ran in, or set SANBAO_VAR_DIR to that var directory, or set "
        "SANBAO_AMQP_URI (or --amqp-uri) to the CLI user's URI; sanbao never falls back to the "
        f"broker's administrator / 找不到本县（{county}）的消息代理配置：sanbao 以命令行专用的代理"
        f"用户 {user} 连接，其密码由 make run 保存在 {secrets}（{found_zh}）。"
        "请在运行 make run 的目录中运行 sanbao，或将 SANBAO_VAR_DIR 设为该 var 目录，"
        "或将 SANBAO_AMQP_URI（或 --amqp-uri）设为命令行用户的地址；sanbao 不会改用代理管理员账户"
    )


MISSING_ADMIN = (
    "this is an operator action with the county's admin broker credentials: give them with "
    "--admin-uri or SANBAO_ADMIN_AMQP_URI (sanbao never uses the broker's administrator "
    "unasked) / 此为运维操作，须使用本县消息代理的管理员凭据：请以 --admin-uri 或 "
    "SANBAO_ADMIN_AMQP_URI 提供（sanbao 不会自行使用代理管理员账户）"
)


class Session:
    """What every command needs: the county, a client for its stack, operator credentials."""

    def __init__(self, county: str, amqp_uri: str | None, admin_uri: str | None, timeout: float):
        self.county = county
        self.timeout = timeout
        self._admin_uri = admin_uri
        self.amqp_uri = amqp_uri or local_user_uri(county, user_name(county, CLI_USER_ROLE))
        self.token = tokens.load(county)
        self.stack = self.client(timeout)

    def client(self, timeout: float) -> StackClient:
        """A client of its own, waiting `timeout` seconds for each answer (one per thread:
        `sanbao status` asks every service at once)."""
        missing = None if self.amqp_uri else missing_broker(self.county)
        return StackClient(self.county, self.amqp_uri, timeout, self.token, missing=missing)

    @property
    def admin_uri(self) -> str:
        if not self._admin_uri:
            raise NotConfigured(MISSING_ADMIN)
        return self._admin_uri

    def close(self) -> None:
        self.stack.close()


@contextmanager
def repeatable(key: str):
    """Around the calls of one state-changing command: on a timeout, or a broker out of reach,
    the operator learns how to repeat it safely."""
    try:
        yield
    except CliError as exc:
        if exc.code in UNCERTAIN:
            raise CliError(
                exc.code,
                f"{exc.message}. It may or may not have run: repeat it with --idempotency-key "
                f"{key} and it runs at most once",
            ) from None
        raise


def _plain(value):
    """As it travels and is kept: JSON's lists, objects, strings and numbers."""
    return json.loads(json.dumps(value))


def call_command(
    session: Session, service: str, method: str, *args, key: str, intent=None, **kwargs
):
    """A state-changing call, `repeatable` under its idempotency key.

    A command that computes part of what it sends (an expiry, a signed time) names what it was
    asked in `intent`: the request is kept under the key before it is sent, and a retry under
    the same key with the same intent sends the kept request, not a recomputed one
    (`sanbao_cli.sent`)."""
    if intent is not None:
        request = {
            "service": service,
            "method": method,
            "intent": _plain(intent),
            "args": _plain(list(args)),
            "kwargs": _plain(kwargs),
        }
        kept = sent.recall(session.county, key, request)
        if kept is not None:
            args, kwargs = kept["args"], kept["kwargs"]
            output.note(
                f"sending again exactly what was sent under --idempotency-key {key} / "
                "按同一幂等键重发首次提交的原请求",
                as_json=True,
            )
        else:
            sent.keep(session.county, key, request)
    try:
        with repeatable(key):
            return session.stack.call(service, method, *args, idempotency_key=key, **kwargs)
    except CliError as exc:
        if intent is not None and exc.code not in NOT_ABOUT_THE_REQUEST:
            sent.forget(session.county, key, request)  # refused: nothing stored, can correct
        raise
