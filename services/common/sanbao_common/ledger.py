"""Double-entry primitives, for every service that keeps books (the fund's joint accounts,
settlement's village books): postings in integer fen, balanced entries, balances summed from
postings, and the reversal that corrects an entry.

A posting's amount is positive for a debit and negative for a credit; an entry is two or more
non-zero postings that sum to zero. Entries are never changed: a correction is a new entry, the
reversal of the one it corrects (and the journal records which one it reverses). A posting may
carry a reference (a batch, a labourer, a village) for accounts kept per reference. Which accounts
exist, and which a movement debits and credits, is each service's own chart and posting rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Iterable
from dataclasses import dataclass

from sanbao_common.errors import DomainError


class UnbalancedEntry(DomainError):
    code = "UNBALANCED_ENTRY"
    message_en = "a journal entry must balance"
    message_zh = "会计分录借贷不平衡"


@dataclass(frozen=True)
class Posting:
    account: str
    amount_fen: int  # + debit, - credit
    reference: str | None = None


Entry = tuple[Posting, ...]


def entry(*postings: Posting, chart: Container[str] | None = None) -> Entry:
    """A balanced set of two or more non-zero integer postings (on accounts of `chart`, if one is
    given), or UnbalancedEntry."""
    if len(postings) < 2:
        raise UnbalancedEntry(
            message_en="an entry has at least two postings", message_zh="分录至少两笔"
        )
    for posting in postings:
        if chart is not None and posting.account not in chart:
            raise UnbalancedEntry(account=posting.account)
        if type(posting.amount_fen) is not int or posting.amount_fen == 0:
            raise UnbalancedEntry(
                message_en="amounts are non-zero integer fen", message_zh="金额须为非零整数（分）"
            )
    total = sum(p.amount_fen for p in postings)
    if total != 0:
        raise UnbalancedEntry(total=total)
    return tuple(postings)


def reversal(postings: Iterable[Posting], chart: Container[str] | None = None) -> Entry:
    """The entry that undoes `postings`: every posting again, on the other side, in order."""
    return entry(*(Posting(p.account, -p.amount_fen, p.reference) for p in postings), chart=chart)


def balances(postings: Iterable[Posting]) -> dict[str, int]:
    """Debit-positive balance of every account the postings touch."""
    totals: dict[str, int] = defaultdict(int)
    for posting in postings:
        totals[posting.account] += posting.amount_fen
    return dict(totals)


def trial_balance_holds(totals: dict[str, int]) -> bool:
    """Debits equal credits: what every set of balanced entries sums to."""
    return sum(totals.values()) == 0
