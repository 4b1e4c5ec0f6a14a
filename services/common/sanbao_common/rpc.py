"""RPC entrypoints and the schema boundary every entrypoint goes through."""

from __future__ import annotations

from marshmallow import Schema, ValidationError
from nameko.rpc import rpc as nameko_rpc

from sanbao_common.errors import DomainError, InvalidInput


def rpc(fn):
    """An RPC method whose domain errors reach the caller as expected, never counted as bugs."""
    return nameko_rpc(expected_exceptions=DomainError)(fn)


def load(schema: Schema, data) -> dict:
    """Validate RPC arguments; the caller gets every field's problem at once."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput({"_schema": ["expected an object"]})
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise InvalidInput(exc.messages) from None
