"""PLACEHOLDER (owner fills in): dispatch's vocabulary tables, on the service's one metadata."""

from dispatch.adapters.metadata import metadata  # noqa: F401
