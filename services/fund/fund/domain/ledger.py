"""The joint account's chart of accounts, in integer fen on the kit's double-entry primitives
(`sanbao_common.ledger`); which accounts each movement debits and credits is beside it, in
`fund.domain.posting_rules`.

Balances come from the postings: the fund keeps each ledger account's balance (per reference)
beside its postings, moved only by the statement that writes them, in the same transaction
(docs/decisions/0008), and `verify_books` sums the postings again and names any kept balance
that differs. Entries are never changed: a correction is a new entry reversing the one it
corrects. Advances are kept per reference (a batch id or a labourer id), so what is outstanding
against each can be read from the books; so are payers' credits (per payer). Receivables are
kept one row each beside the books (`receivables`, with what matched them); the receivable
accounts hold their open total, which `verify_books` checks against those rows.
"""

from __future__ import annotations

# account -> its normal side (+1 debit, -1 credit) and what it means.
CHART = {
    "cash_principal": (+1, "cash in the joint account funded by the principal"),
    "cash_income": (+1, "cash in the joint account from income (distributable)"),
    "advances_outstanding": (+1, "advances paid and not yet settled, per batch or labourer"),
    "cash_held": (+1, "cash in the joint account held for payers' credits (overpayments)"),
    "revenue_receivable": (+1, "service revenue the HR company owes, by period"),
    "revenue_uncollected": (-1, "service revenue receivable and not yet received"),
    "policy_subsidy_receivable": (+1, "policy subsidies a bureau owes"),
    "policy_subsidy_uncollected": (-1, "policy subsidies receivable and not yet received"),
    "employer_subsidy_receivable": (+1, "employer subsidies an employer owes"),
    "employer_subsidy_uncollected": (-1, "employer subsidies receivable and not yet received"),
    "payer_credits": (-1, "overpayments held for their payers, per payer (not income)"),
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
# The cash in the joint account: what outflows draw on (none draws on the cash held for payers'
# credits), never below zero.
CASH_ACCOUNTS = ("cash_principal", "cash_income", "cash_held")
SPENDABLE_CASH = ("cash_principal", "cash_income")
# Accounts kept per reference: their postings carry the batch or labourer an advance is for, or
# the payer a credit is held for.
KEPT_PER_REFERENCE = frozenset({"advances_outstanding", "payer_credits"})
# Receivable kind -> its receivable account, the account income waits in until it is received,
# and its income account: a receivable is recorded as owed, and earned as it is paid.
RECEIVABLE_ACCOUNTS: dict[str, tuple[str, str, str]] = {
    "service_revenue": ("revenue_receivable", "revenue_uncollected", "income_service_revenue"),
    "policy_subsidy": (
        "policy_subsidy_receivable",
        "policy_subsidy_uncollected",
        "income_policy_subsidy",
    ),
    "employer_subsidy": (
        "employer_subsidy_receivable",
        "employer_subsidy_uncollected",
        "income_employer_subsidy",
    ),
}
