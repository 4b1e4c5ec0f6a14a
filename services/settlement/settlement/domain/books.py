"""A village cooperative's books: double entry on the kit's primitives (`sanbao_common.ledger`).

Chart: `bank` (the cooperative's money, an asset), `distribution_income` (what the county's
distributions brought in) and the three uses the guidance lists — `agent_rewards`,
`public_works`, `working_costs`. A distribution paid to the village is Dr bank / Cr
distribution_income; an approved use is Dr <use> / Cr bank. Every posting carries the entry's
reference (the distribution, or the use's voucher). The bank balance never goes negative: a use
is refused (`VILLAGE_BALANCE_SHORT`) when it is more than the balance of posted entries, checked
when the use is recorded and again when a second person approves it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sanbao_common.errors import DomainError
from sanbao_common.ledger import Entry, Posting, entry

BANK = "bank"
INCOME = "distribution_income"
USES = ("agent_rewards", "public_works", "working_costs")
CHART = (BANK, INCOME, *USES)


class UnknownUse(DomainError):
    code = "UNKNOWN_USE"
    message_en = "a village's income is used for agent_rewards, public_works or working_costs"
    message_zh = "村集体收益的用途只能是 agent_rewards（经纪人奖励）、public_works（公益事业）或 working_costs（工作经费）"  # noqa: E501


class AmountNotPositive(DomainError):
    code = "AMOUNT_NOT_POSITIVE"
    message_en = "the amount must be above zero (integer fen)"
    message_zh = "金额须大于零（整数，单位：分）"


class VillageBalanceShort(DomainError):
    code = "VILLAGE_BALANCE_SHORT"
    message_en = "the village cooperative's bank balance is less than the amount"
    message_zh = "村合作社账户余额不足"


def _positive(amount_fen: int) -> int:
    if type(amount_fen) is not int or amount_fen <= 0:
        raise AmountNotPositive(amount_fen=amount_fen)
    return amount_fen


def income_entry(amount_fen: int, reference: str) -> Entry:
    """A distribution received: Dr bank, Cr distribution_income."""
    amount = _positive(amount_fen)
    return entry(Posting(BANK, amount, reference), Posting(INCOME, -amount, reference), chart=CHART)


def use_entry(use: str, amount_fen: int, reference: str) -> Entry:
    """An approved use of the village's income: Dr <use>, Cr bank."""
    if use not in USES:
        raise UnknownUse(use=use)
    amount = _positive(amount_fen)
    return entry(Posting(use, amount, reference), Posting(BANK, -amount, reference), chart=CHART)


def bank_balance(postings: Iterable[Posting]) -> int:
    """The bank account's balance (fen) from the postings of the entries posted."""
    return sum(p.amount_fen for p in postings if p.account == BANK)


def ensure_covers(balance_fen: int, amount_fen: int) -> None:
    """VillageBalanceShort unless the balance covers spending `amount_fen`."""
    if amount_fen > balance_fen:
        raise VillageBalanceShort(balance_fen=balance_fen, amount_fen=amount_fen)
