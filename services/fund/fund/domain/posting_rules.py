"""The posting rules: for each kind of movement, which accounts of the chart
(`fund.domain.ledger`) it debits and credits. Every command builds its entry here, and
`verify_books` checks every posted entry against the same table.

A rule is a list of (debit, credit) legs, each moving the movement's whole amount: principal
spent (expenses, write-offs) is also owed back by the HR company, which returns the whole fund at
the end of the term, so the books say so the moment it is spent (the second leg). A leg on an
account kept per reference carries the movement's reference (the advance). Inflow and outflow
movements are named by their kind (`fund_contract.vocabularies`), income kinds by what the credit
does (`receipt:`, `earned:`, `credit_held:` + the kind); a paid outflow posts its rule once per
line of the proposal, in one entry. An inflow paying several receivables posts one entry per
receivable it pays, and one for what it leaves as the payer's credit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fund.domain.ledger import CASH_ACCOUNTS, CHART, KEPT_PER_REFERENCE, RECEIVABLE_ACCOUNTS
from sanbao_common.ledger import Entry, Posting, entry


@dataclass(frozen=True)
class PostingRule:
    entry_kind: str  # the journal entry's kind
    legs: tuple[tuple[str, str], ...]  # (debit, credit), each for the whole amount

    def postings(self, amount_fen: int, reference: str | None = None) -> list[Posting]:
        def leg(account: str, amount: int) -> Posting:
            return Posting(account, amount, reference if account in KEPT_PER_REFERENCE else None)

        return [
            posting
            for debit, credit in self.legs
            for posting in (leg(debit, amount_fen), leg(credit, -amount_fen))
        ]

    @property
    def kept_per_reference(self) -> bool:
        """Whether it moves an account kept per reference: then its entry names one."""
        return any(account in KEPT_PER_REFERENCE for leg in self.legs for account in leg)

    @property
    def draws_on(self) -> str | None:
        """The cash account it pays from (None: it moves no cash out)."""
        return next((credit for _, credit in self.legs if credit in CASH_ACCOUNTS), None)


_CHARGED_TO_HR = ("shortfall_receivable", "charged_to_hr")


def _inflow(kind: str, debit: str, credit: str) -> PostingRule:
    return PostingRule(f"inflow:{kind}", ((debit, credit),))


def _outflow(kind: str, *legs: tuple[str, str]) -> PostingRule:
    return PostingRule(f"outflow:{kind}", legs)


def _income_rules(kind: str) -> dict[str, PostingRule]:
    """An income kind's movements: owed (a receivable), received against it (cash in, and the
    income earned as it is paid), received with nothing owed (earned on receipt), received beyond
    what it pays (held as the payer's credit, not income), and a held credit paying a
    receivable later (its cash becomes income cash)."""
    receivable, uncollected, income = RECEIVABLE_ACCOUNTS[kind]
    return {
        f"receivable:{kind}": PostingRule(f"receivable:{kind}", ((receivable, uncollected),)),
        f"receipt:{kind}": PostingRule(
            f"inflow:{kind}", (("cash_income", receivable), (uncollected, income))
        ),
        f"earned:{kind}": _inflow(kind, "cash_income", income),
        f"credit_held:{kind}": _inflow(kind, "cash_held", "payer_credits"),
        f"credit_applied:{kind}": PostingRule(
            f"credit_applied:{kind}",
            (("payer_credits", receivable), ("cash_income", "cash_held"), (uncollected, income)),
        ),
    }


POSTING_RULES: dict[str, PostingRule] = {
    # money in: a bank credit, by its kind; income kinds by what the credit pays
    "principal_deposit": _inflow("principal_deposit", "cash_principal", "principal_received"),
    **_income_rules("service_revenue"),
    **_income_rules("policy_subsidy"),
    **_income_rules("employer_subsidy"),
    "advance_recovery": _inflow("advance_recovery", "cash_principal", "advances_outstanding"),
    "shortfall_deposit": _inflow("shortfall_deposit", "cash_principal", "shortfall_receivable"),
    # claims: an advance settled against vouchers
    "settlement": PostingRule("settlement", (("expenses", "advances_outstanding"), _CHARGED_TO_HR)),
    # money out: a paid proposal, by its kind, per line
    "advance": _outflow("advance", ("advances_outstanding", "cash_principal")),
    "reimbursement": _outflow("reimbursement", ("expenses", "cash_principal"), _CHARGED_TO_HR),
    "distribution": _outflow("distribution", ("distributions", "cash_income")),
    "return_principal": _outflow("return_principal", ("principal_returned", "cash_principal")),
    # giving up an advance moves no cash; the HR company owes the principal it consumed
    "write_off": _outflow("write_off", ("write_offs", "advances_outstanding"), _CHARGED_TO_HR),
    # a payer's credit paid back to it, from the cash held for credits
    "credit_refund": _outflow("credit_refund", ("payer_credits", "cash_held")),
}

# Movements no command posts any more, which entries posted before fund migration 0010 follow:
# service revenue receivable earned when recorded (the retired `record_receivable`), and
# service revenue received against such a receivable. Only verify reads them, and paying a
# receivable recorded that way (`basis` "accrued").
RETIRED_RULES: dict[str, PostingRule] = {
    "receivable": PostingRule("receivable", (("revenue_receivable", "income_service_revenue"),)),
    "receipt_accrued:service_revenue": _inflow(
        "service_revenue", "cash_income", "revenue_receivable"
    ),
}


def movement_entry(movement: str, amount_fen: int, reference: str | None = None) -> Entry:
    """The balanced entry one movement of `amount_fen` posts."""
    rule = POSTING_RULES.get(movement) or RETIRED_RULES[movement]
    return entry(*rule.postings(amount_fen, reference), chart=CHART)


def outflow_entry(kind: str, lines: Iterable) -> Entry:
    """The one entry that pays a proposal of `kind`: its rule for each line (`amount_fen`,
    `reference`), in order; the same whether it is posted or checked."""
    rule = POSTING_RULES[kind]
    return entry(
        *(p for line in lines for p in rule.postings(line.amount_fen, line.reference)),
        chart=CHART,
    )


def follows_a_rule(entry_kind: str, postings: Sequence[Posting]) -> bool:
    """Whether `postings` are exactly what some movement posting entries of `entry_kind` makes,
    for one amount and reference (the amount of the first posting, the reference of the first
    posting that has one; a movement of an account kept per reference names one)."""
    if not postings or type(postings[0].amount_fen) is not int or postings[0].amount_fen <= 0:
        return False
    amount = postings[0].amount_fen
    reference = next((p.reference for p in postings if p.reference is not None), None)
    return any(
        rule.entry_kind == entry_kind
        and list(postings) == rule.postings(amount, reference)
        and (reference or not rule.kept_per_reference)  # an advance's batch, a credit's payer
        for rule in (*POSTING_RULES.values(), *RETIRED_RULES.values())
    )
