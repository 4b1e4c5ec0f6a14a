"""Sets of candidates as Python integers: bit i is the i-th candidate of a pool (in person id
order). Intersections and unions of a 100,000-candidate pool are then a few microseconds each,
in C, which is what lets one process rank a whole pool for a thousand orders in about a second
(no numpy in the stack; docs/decisions/0018).

A score held as bitsets is a bit-sliced integer (O'Neil & Quass, "Improved query performance with
variant indexes", 1997): `slices[b]` is the set of candidates whose score has bit b set. Adding
points to a set of candidates is a ripple-carry adder over the slices; the best k of a set are
found from the highest slice down, counting members at each step.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable


def from_indices(indices: Iterable[int], size: int) -> int:
    """The set of these candidates in a pool of `size`."""
    buffer = bytearray((size + 7) // 8)
    for i in indices:
        buffer[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buffer, "little")


def members(bits: int, limit: int | None = None) -> list[int]:
    """The candidates of a set, lowest index first (at most `limit` of them). Through the set's
    binary digits as text: str.find runs in C, quicker than any loop over the integer here."""
    digits = bin(bits)[:1:-1]  # lowest bit first
    found: list[int] = []
    at = digits.find("1")
    while at >= 0 and (limit is None or len(found) < limit):
        found.append(at)
        at = digits.find("1", at + 1)
    return found


class Thresholds:
    """For an ordered attribute (a birth year, a wage, a date): the set of candidates whose value
    is at most v, for any v, from one cumulative set per distinct value."""

    def __init__(self, by_value: dict):
        self.values = sorted(by_value)
        self.at_most_each: list[int] = []
        running = 0
        for value in self.values:
            running |= by_value[value]
            self.at_most_each.append(running)

    def at_most(self, value) -> int:
        i = bisect_right(self.values, value)
        return self.at_most_each[i - 1] if i else 0

    def less_than(self, value) -> int:
        i = bisect_left(self.values, value)
        return self.at_most_each[i - 1] if i else 0

    def between(self, low, high) -> int:
        """Candidates with low <= value <= high (None: no bound that way); only those that have
        a value."""
        found = self.at_most(high) if high is not None else self.everyone
        return found & ~self.less_than(low) if low is not None else found

    @property
    def everyone(self) -> int:
        return self.at_most_each[-1] if self.at_most_each else 0


def add_points(slices: list[int], levels: list[tuple[int, int]]) -> None:
    """Add `points` to the score of each candidate of `members`, for each (points, members) of
    `levels` (disjoint sets), in place: a ripple-carry adder over the bit slices."""
    carry = 0
    for b in range(len(slices)):
        addend = 0
        for points, group in levels:
            if points >> b & 1:
                addend |= group
        if not addend and not carry:
            continue
        total = slices[b]
        slices[b] = total ^ addend ^ carry
        carry = (total & addend) | (carry & (total ^ addend))


def best(slices: list[int], among: int, k: int) -> int:
    """The k highest scores of `among` (all of it if it has no more than k), ties at the cut
    going to the lowest indices (the smallest person ids)."""
    if among.bit_count() <= k:
        return among
    chosen, undecided = 0, among
    for b in reversed(range(len(slices))):
        higher = undecided & slices[b]
        count = chosen.bit_count() + higher.bit_count()
        if count > k:
            undecided = higher
        else:
            chosen |= higher
            undecided &= ~slices[b]
            if count == k:
                return chosen
    # What is left scores the same: the lowest indices fill the places left.
    return chosen | from_indices(members(undecided, k - chosen.bit_count()), among.bit_length())


def scores(slices: list[int], indices: list[int]) -> list[int]:
    """The scores of these candidates, read from the slices."""
    if not indices:
        return []
    size = (max(indices) >> 3) + 1
    weighted = [(1 << b, part.to_bytes(max(size, (part.bit_length() + 7) // 8), "little"))
                for b, part in enumerate(slices)]  # fmt: skip
    found = []
    for i in indices:
        byte, bit, total = i >> 3, 1 << (i & 7), 0
        for weight, data in weighted:
            if data[byte] & bit:
                total += weight
        found.append(total)
    return found
