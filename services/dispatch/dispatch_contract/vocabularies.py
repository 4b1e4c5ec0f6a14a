"""dispatch's vocabularies: where a job is (the place scopes registry uses for intentions,
`registry_contract.vocabularies.SCOPES`, repeated here because a contract imports only the
standard library; a test keeps the two the same) and what becomes of a job order."""

from __future__ import annotations

PLACE_SCOPES: tuple[str, ...] = ("in_county", "in_prefecture", "in_province", "outside_province")

# A job order is open until it is filled, closed (no more wanted) or cancelled.
ORDER_OPEN = "open"
ORDER_ENDINGS: tuple[str, ...] = ("filled", "closed", "cancelled")
