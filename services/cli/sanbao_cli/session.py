"""What every command is handed: the county, a client for its stack, the operator's broker
credentials; and `call_command`, the one way a command changes state."""

from __future__ import annotations

from contextlib import contextmanager

from sanbao_cli import tokens
from sanbao_cli.client import CliError, StackClient
from sanbao_common.local import default_admin_uri, local_user_uri
from sanbao_common.messaging.topology import CLI_USER_ROLE, user_name


class Session:
    """What every command needs: the county, a client for its stack, operator credentials."""

    def __init__(self, county: str, amqp_uri: str | None, admin_uri: str | None, timeout: float):
        self.county = county
        self.admin_uri = admin_uri or default_admin_uri(county)
        uri = amqp_uri or local_user_uri(county, user_name(county, CLI_USER_ROLE))
        self.stack = StackClient(
            county, uri or default_admin_uri(county), timeout, tokens.load(county)
        )

    def close(self) -> None:
        self.stack.close()


@contextmanager
def repeatable(key: str):
    """Around the calls of one state-changing command: on a timeout, or a broker out of reach,
    the operator learns how to repeat it safely."""
    try:
        yield
    except CliError as exc:
        if exc.code in ("TIMEOUT", "BROKER_UNREACHABLE"):
            raise CliError(
                exc.code,
                f"{exc.message}. It may or may not have run: repeat it with --idempotency-key "
                f"{key} and it runs at most once",
            ) from None
        raise


def call_command(session: Session, service: str, method: str, *args, key: str, **kwargs):
    """A state-changing call, `repeatable` under its idempotency key."""
    with repeatable(key):
        return session.stack.call(service, method, *args, idempotency_key=key, **kwargs)
