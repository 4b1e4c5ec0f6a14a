"""The joint account's books: a chart of accounts and balanced journal entries in integer fen.

A posting's amount is positive for a debit and negative for a credit; an entry's postings sum to
zero. Balances are derived, never stored. Entries are never changed: a correction is a new entry
reversing the one it corrects. Advances are kept per reference (a batch id or a labourer id), so
what is outstanding against each can be read from the books.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from fund.exceptions import UnbalancedEntry

# account -> its normal side (+1 debit, -1 credit) and what it means.
CHART = {
    "cash_principal": (+1, "cash in the joint account funded by the principal"),
    "cash_income": (+1, "cash in the joint account from income (distributable)"),
    "advances_outstanding": (+1, "advances paid and not yet settled, per batch or labourer"),
    "revenue_receivable": (+1, "service revenue the HR company owes for a period"),
    "shortfall_receivable": (
        +1,
        "principal the HR company owes back: what expenses and write-offs consumed",
    ),
    "principal_received": (-1, "the fund's principal, owed back to the county cooperative"),
    "income_service_revenue": (-1, "service revenue earned"),
    "income_policy_subsidy": (-1, "policy subsidies received"),
    "income_employer_subsidy": (-1, "employer subsidies received"),
    "expenses": (+1, "advances settled against vouchers (transport, medical, training, meals)"),
    "write_offs": (+1, "advances given up"),
    "charged_to_hr": (-1, "principal spent (expenses, write-offs) the HR company must make good"),
    "distributions": (+1, "income paid out to the parties"),
    "principal_returned": (+1, "principal paid back at the end of the term"),
}
INCOME_ACCOUNTS = {
    "service_revenue": "income_service_revenue",
    "policy_subsidy": "income_policy_subsidy",
    "employer_subsidy": "income_employer_subsidy",
}


@dataclass(frozen=True)
class Posting:
    account: str
    amount_fen: int  # + debit, - credit
    reference: str | None = None


def entry(*postings: Posting) -> tuple[Posting, ...]:
    """A balanced set of two or more non-zero postings on known accounts, or UnbalancedEntry."""
    if len(postings) < 2:
        raise UnbalancedEntry(
            message_en="an entry has at least two postings", message_zh="分录至少两笔"
        )
    for posting in postings:
        if posting.account not in CHART:
            raise UnbalancedEntry(account=posting.account)
        if type(posting.amount_fen) is not int or posting.amount_fen == 0:
            raise UnbalancedEntry(
                message_en="amounts are non-zero integer fen", message_zh="金额须为非零整数（分）"
            )
    if sum(p.amount_fen for p in postings) != 0:
        raise UnbalancedEntry(total=sum(p.amount_fen for p in postings))
    return tuple(postings)


def transfer(debit: str, credit: str, amount_fen: int, reference: str | None = None):
    """The two-legged entry: `amount_fen` from `credit` to `debit`."""
    return entry(
        Posting(debit, amount_fen, reference if debit == "advances_outstanding" else None),
        Posting(credit, -amount_fen, reference if credit == "advances_outstanding" else None),
    )


def reversal(postings) -> tuple[Posting, ...]:
    return entry(*(Posting(p.account, -p.amount_fen, p.reference) for p in postings))


def balances(postings) -> dict[str, int]:
    """Debit-positive balance of every account touched."""
    totals: dict[str, int] = defaultdict(int)
    for posting in postings:
        totals[posting.account] += posting.amount_fen
    return dict(totals)


def trial_balance_holds(totals: dict[str, int]) -> bool:
    return sum(totals.values()) == 0
