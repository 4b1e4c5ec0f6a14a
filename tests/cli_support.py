"""What the CLI's tests share: the real services' entrypoints standing in for the stack
(`Workers`), a stack that loses its answers, and the passphrase of the tests' key files."""

from __future__ import annotations

import json
import uuid

from sanbao_cli.client import CliError
from sanbao_common.errors import DomainError, parse_error_text

PASSPHRASE = "a passphrase for the test's keys"


def key() -> str:
    return uuid.uuid4().hex


class Workers:
    """The stack as the CLI reaches it, each call run by the real service's entrypoint for one
    caller (what their token would say); requests and replies go through JSON as on the wire,
    and a domain error reaches the CLI as the broker carries it: code and message."""

    def __init__(self, **workers):
        self.workers = workers
        self.calls: list[tuple] = []

    def call(self, service, method, *args, **kwargs):
        self.calls.append((service, method))
        args, kwargs = json.loads(json.dumps([args, kwargs]))
        try:
            reply = getattr(self.workers[service], method)(*args, **kwargs)
        except DomainError as exc:
            code, message = parse_error_text(str(exc))
            raise CliError(code, message) from None
        return json.loads(json.dumps(reply, default=str))


class SignedOut:
    """Refuses every call as a stack does once the caller's sign-in has expired: the request
    never reached the method."""

    def call(self, service, method, *args, **kwargs):
        raise CliError("TOKEN_EXPIRED", "the sign-in has expired: sign in again")


class LosesAnswers:
    """Delivers every command, then loses its answer, as a timeout or a dropped connection
    would: the command ran, and the CLI cannot know."""

    def __init__(self, stack):
        self.stack = stack

    def call(self, service, method, *args, **kwargs):
        reply = self.stack.call(service, method, *args, **kwargs)
        if "idempotency_key" in kwargs:
            raise CliError("TIMEOUT", f"{service} did not answer within 10 s")
        return reply
