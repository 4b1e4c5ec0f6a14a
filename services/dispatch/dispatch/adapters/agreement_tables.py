"""PLACEHOLDER (owner fills in): dispatch's agreement tables, on the service's one metadata."""

from dispatch.adapters.metadata import metadata  # noqa: F401
