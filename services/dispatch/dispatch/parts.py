"""What the parts of `DispatchService` share: each sub-domain's entrypoints are a class of their
own (`dispatch/<sub-domain>/entrypoints.py`: agreements, orders, matching), and
`dispatch.service.DispatchService` inherits them all; nameko finds the entrypoints of base
classes as it finds its own."""

from __future__ import annotations

from sanbao_common.errors import InvalidInput
from sanbao_common.messaging.idempotency import run_command


class DispatchPart:
    name = "dispatch"

    def _command(self, method: str, key: str, request, execute):
        """Run `execute(uow)` once per idempotency key and return its first reply; the key is
        bound to the caller whose token sent it (nobody else is answered with the reply)."""
        return run_command(
            self.db, self.name, method, key, request, execute, caller=self.access.principal.actor
        )


def text_argument(value, field: str, most: int = 100, allowed=None) -> str:
    """A plain RPC argument that is text: 1 to `most` characters (one of `allowed` when given)."""
    if not isinstance(value, str) or not 1 <= len(value) <= most:
        raise InvalidInput({field: [f"a text of 1 to {most} characters"]})
    if allowed is not None and value not in allowed:
        raise InvalidInput({field: [f"one of {', '.join(allowed)}"]})
    return value


def optional_argument(value, field: str, allowed=None, most: int = 36) -> str | None:
    """A filter: None, or `text_argument`."""
    return None if value is None else text_argument(value, field, most, allowed)
