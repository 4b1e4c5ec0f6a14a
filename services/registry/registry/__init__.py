"""registry: the county's source of truth about people (and, later, its directory)."""

__version__ = "0.1.0"
