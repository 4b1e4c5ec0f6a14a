"""A period's rows: one per (item, party) with the fen that period settles for it.

Periods close in month order; `next_open` is the month after the last closed one (or, before
any has closed, the earliest period run). Closed periods are never edited: whatever changed since
is settled in the next open period.

- Running the next open period P (`period == next_open`) catches up: for every (item, party) of
  the items due in P or earlier, and every (item, party) settled in closed periods, the row is
  the current part minus what closed periods settled (`Settled.amount_fen`), when not zero. So a
  late placement's items due in earlier months, a placement that ended earlier than recorded (an
  item no longer earned: a reversal, the negative of what was settled) or any changed part all
  land here, as *adjustments*: rows for items due before P or already settled before. Rerunning
  P gives the same rows; once P's rows are settled, running the next period finds no delta for
  them: nothing is ever settled twice.
- Running a later period (P after next_open, a preview while an earlier one is open) lists the
  items due in P only, less anything settled for them (normally nothing). When the earlier
  periods close, P becomes the next open period and catches up.
- Deferral: the rows are grouped by (statement, payee) — statement = (agreement, kind,
  counterparty), payee from the caller's `payee_of`. A group whose sum is negative (a payee would
  owe money back on that statement) is left out of the period whole, with the reason
  `NEGATIVE_NET_DEFERRED`; being unsettled, it is computed again in the next open period, where
  new items may outweigh it. So no payee total on any statement is ever negative.
- Placements the caller marks pending (no agreement, no rules in force, no payee) get no rows and
  their settled parts are left alone until they can be computed again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from sanbao_common.errors import DomainError
from settlement.domain.items import PARTIES, Item
from settlement.domain.periods import period_of

NEGATIVE_NET_DEFERRED = "NEGATIVE_NET_DEFERRED"
_PARTY_ORDER = {party: index for index, party in enumerate(PARTIES)}


class PeriodClosed(DomainError):
    code = "PERIOD_CLOSED"
    message_en = "the period is closed: a closed period is never changed (later changes are settled in the next open period)"  # noqa: E501
    message_zh = "该结算期已关闭，不再更改（之后的变动在下一个未关闭的结算期调整）"


@dataclass(frozen=True, slots=True)
class Settled:
    """What closed periods settled for one (item, party), summed; with the item's metadata so
    that an item no longer earned can be reversed."""

    item_key: str
    party: str
    amount_fen: int
    kind: str
    placement_id: str
    counterparty_id: str
    agreement_id: str
    due_period: str


@dataclass(frozen=True, slots=True)
class Row:
    period: str
    item_key: str
    party: str
    amount_fen: int  # non-zero; negative for a reversal or a reduced part
    adjustment: bool  # due before `period`, or settled before: a correction of the past
    item: Item | None  # None: a reversal of an item no longer earned (see `settled`)
    placement_id: str
    kind: str
    counterparty_id: str
    agreement_id: str
    due_period: str
    settled: Settled | None = None  # what closed periods settled for it, if anything

    @property
    def statement(self) -> tuple[str, str, str]:
        return (self.agreement_id, self.kind, self.counterparty_id)

    @property
    def source(self) -> Item | Settled:
        return self.item if self.item is not None else self.settled


def _settled_by_key(settled: Iterable[Settled], pending: set[str]) -> dict:
    """One sum per (item, party). Several (say the sums per counterparty, when an item's payer
    changed after it was settled) are added up under the first one's metadata: the difference is
    then settled on the item's current statement."""
    found: dict[tuple[str, str], Settled] = {}
    for s in settled:
        if s.placement_id in pending:
            continue
        key = (s.item_key, s.party)
        earlier = found.get(key)
        found[key] = (
            s if earlier is None else replace(earlier, amount_fen=earlier.amount_fen + s.amount_fen)
        )
    return found


def _item_rows(period, catch_up, items, settled, pending) -> tuple[list[Row], set]:
    rows, seen = [], set()
    settled_items = {key for key, _ in settled}
    for item in items:
        if item.placement_id in pending:
            continue
        due_period = period_of(item.due_on)
        if due_period > period or (not catch_up and due_period != period):
            continue
        earlier = due_period < period or item.key in settled_items
        for party, amount in item.parts.items():
            key = (item.key, party)
            if key in seen:
                raise ValueError(f"item {item.key} given twice")
            seen.add(key)
            before = settled.get(key)
            delta = amount - (before.amount_fen if before is not None else 0)
            if delta:
                rows.append(
                    Row(period, item.key, party, delta, earlier, item, item.placement_id,
                        item.kind, item.counterparty_id, item.agreement_id, due_period, before)
                )  # fmt: skip
    return rows, seen


def _reversals(period: str, settled: dict, seen: set) -> list[Row]:
    return [
        Row(period, s.item_key, s.party, -s.amount_fen, True, None, s.placement_id, s.kind,
            s.counterparty_id, s.agreement_id, s.due_period, s)
        for key, s in settled.items()
        if key not in seen and s.amount_fen
    ]  # fmt: skip


def defer_negative_groups(
    rows: Iterable[Row], payee_of: Callable[[Item | Settled, str], str]
) -> tuple[list[Row], list[Row]]:
    """(kept, deferred): rows of every (statement, payee) group whose sum is negative deferred
    whole."""
    groups: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        groups[(row.statement, payee_of(row.source, row.party))].append(row)
    kept, deferred = [], []
    for members in groups.values():
        target = deferred if sum(r.amount_fen for r in members) < 0 else kept
        target.extend(members)
    return _ordered(kept), _ordered(deferred)


def _ordered(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.item_key, _PARTY_ORDER.get(r.party, 99), r.party))


def assemble(
    period: str,
    next_open: str,
    items: Iterable[Item],
    settled: Iterable[Settled],
    pending_placements: set[str],
    payee_of: Callable[[Item | Settled, str], str],
) -> tuple[list[Row], list[Row]]:
    """(rows, deferred) of `period` given every item due so far (the caller's `through`), what
    closed periods settled (a sum per (item, party)) and the pending placements. Rows come in
    a fixed order (item key, then party order), so the same inputs give the same list.
    PeriodClosed for a period before `next_open`."""
    if period < next_open:
        raise PeriodClosed(period=period, next_open=next_open)
    catch_up = period == next_open
    by_key = _settled_by_key(settled, pending_placements)
    rows, seen = _item_rows(period, catch_up, items, by_key, pending_placements)
    if catch_up:
        rows += _reversals(period, by_key, seen)
    return defer_negative_groups(rows, payee_of)


def settled_sums(rows: Iterable[Row], before: Iterable[Settled] = ()) -> list[Settled]:
    """What is settled per (item, party) once `rows` (a closed period's) are added to `before`
    (the earlier sums): the next run's `settled`. Metadata from the latest row."""
    sums = {(s.item_key, s.party): s for s in before}
    for r in rows:
        earlier = sums.get((r.item_key, r.party))
        amount = r.amount_fen + (earlier.amount_fen if earlier is not None else 0)
        sums[(r.item_key, r.party)] = Settled(
            r.item_key, r.party, amount, r.kind, r.placement_id, r.counterparty_id,
            r.agreement_id, r.due_period,
        )  # fmt: skip
    return [sums[key] for key in sorted(sums)]
