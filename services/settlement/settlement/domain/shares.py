"""Splitting fen without losing one.

`split_bp` shares an item's amount among parties by basis points with the largest-remainder
method: each party first gets the floor of its exact share; the fen left over (fewer than the
number of parties) go one each to the parties with the largest remainders, ties broken by the
fixed party order (county before township before village). The parts always add up to the
amount, and the same inputs always give the same parts.

`pro_rata_floor` is how a partial payment is shared: with `paid` of `total` received, each payee
is owed floor(paid × weight / total) cumulatively. Floors never add up to more than was paid,
never go down as more is paid, and at full payment are the weights exactly, so the fen a floor
held back are paid with the last instalment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def split_bp(amount_fen: int, shares_bp: Mapping[str, int], order: Sequence[str]) -> dict[str, int]:
    """`amount_fen` (>= 0) split among `order`'s parties by `shares_bp` (a party missing from it
    has 0; the shares need not add up to 10000, the split is by their total), largest remainder,
    ties to the party earlier in `order`. Every party of `order` is in the result, in order."""
    if amount_fen < 0:
        raise ValueError(f"cannot split a negative amount: {amount_fen}")
    unknown = set(shares_bp) - set(order)
    if unknown:
        raise ValueError(f"shares for parties not in the order: {sorted(unknown)}")
    weights = [shares_bp.get(party, 0) for party in order]
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError(f"shares must be non-negative with a positive total: {dict(shares_bp)}")
    total = sum(weights)
    parts = [amount_fen * w // total for w in weights]
    left = amount_fen - sum(parts)
    # Largest remainder first; among equal remainders the earlier party (a stable sort).
    by_remainder = sorted(range(len(order)), key=lambda i: -(amount_fen * weights[i] % total))
    for i in by_remainder[:left]:
        parts[i] += 1
    return dict(zip(order, parts, strict=True))


def pro_rata_floor(paid_fen: int, total_fen: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Each key's cumulative share of `paid_fen` received out of `total_fen`:
    floor(paid × weight / total). `weights` are the payees' totals (non-negative, adding up to
    at most `total_fen`); at `paid_fen == total_fen` the result is `weights` itself. What is
    paid beyond the total is not shared by this (paid is capped at the total)."""
    if total_fen <= 0:
        raise ValueError(f"the total must be positive: {total_fen}")
    if paid_fen < 0:
        raise ValueError(f"paid cannot be negative: {paid_fen}")
    if any(w < 0 for w in weights.values()) or sum(weights.values()) > total_fen:
        raise ValueError("weights are non-negative and add up to at most the total")
    paid = min(paid_fen, total_fen)
    return {key: paid * weight // total_fen for key, weight in weights.items()}
