"""The joint account's chart of accounts, in integer fen on the kit's double-entry primitives
(`sanbao_common.ledger`); which accounts each movement debits and credits is beside it, in
`fund.domain.posting_rules`.

Balances come from the postings: the fund keeps each ledger account's balance (per reference)
beside its postings, moved only by the statement that writes them, in the same transaction
(docs/decisions/0008), and `verify_books` sums the postings again and names any kept balance
that differs. Entries are never changed: a correction is a new entry reversing the one it
corrects. Advances are kept per reference (a batch id or a labourer id), so what is outstanding
against each can be read from the books.
"""

from __future__ import annotations

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
# The cash in the joint account: what outflows draw on, never below zero.
CASH_ACCOUNTS = ("cash_principal", "cash_income")
# Accounts kept per reference: their postings carry the batch or labourer they are for.
KEPT_PER_REFERENCE = frozenset({"advances_outstanding"})
