"""What another service may ask of the fund by event, and the vocabularies of the fund's income
side: receivables (what a counterparty owes the joint account, by kind and period) and outflow
proposals made on behalf of the person whose action caused them. Standard library only: the
services that ask import this, never `fund` itself (docs/decisions/0011-contract-packages.md).

`receivable_requested` (from settlement): a receivable recorded exactly once per business key
(`RECEIVABLE_KEY_FIELDS`): the same key asked again with the same amount changes nothing; with
another amount it is refused (`fund_request_refused`), never overwritten.

`advance_requested` (from dispatch: a batch's advance) and `distribution_requested` (from
settlement: a period's distribution): a proposal made exactly once per `request_key` while it is
pending or paid; a rejected or expired one is made again only when the request names it in
`replaces`. The `proposer` is recorded as the proposal's proposer, who
therefore cannot sign it. Lines name directory organisations as payees; the fund adds their
bank details, which the signatories sign.
"""

from __future__ import annotations

# Receivable kinds, each with its own receivable and income accounts (so each is shared by its
# own rule): service revenue the HR company owes, policy subsidies a bureau pays, employer
# subsidies an employer pays.
RECEIVABLE_KINDS: tuple[str, ...] = ("service_revenue", "policy_subsidy", "employer_subsidy")
COUNTERPARTY_KINDS: tuple[str, ...] = ("hr_company", "bureau", "employer")
# What an inflow of an income kind pays: the payer's open receivables of its kind oldest first,
# nothing (income earned on receipt, with no receivable), or a list of receivable ids.
PAYS_OLDEST_FIRST = "oldest_first"
PAYS_NOTHING = "nothing"

RECEIVABLE_REQUEST_FIELDS: tuple[str, ...] = (
    "account_id", "kind", "period", "counterparty_id", "counterparty_kind", "counterparty_name",
    "statement_ref", "amount_fen",
)  # fmt: skip
RECEIVABLE_KEY_FIELDS: tuple[str, ...] = (
    "account_id", "kind", "period", "counterparty_id", "statement_ref",
)  # fmt: skip

# The outflows another service may ask for, by the event that asks (people propose every kind
# by RPC), and the fields of each such request.
REQUESTED_OUTFLOWS: dict[str, str] = {
    "advance_requested": "advance",
    "distribution_requested": "distribution",
}
OUTFLOW_REQUEST_FIELDS: tuple[str, ...] = (
    "request_key", "account_id", "lines", "expires_at", "proposer", "replaces",
)  # fmt: skip
REQUEST_LINE_FIELDS: tuple[str, ...] = ("payee", "amount_fen", "purpose", "reference")
PROPOSER_FIELDS: tuple[str, ...] = ("user_id", "username", "organisation_id")

# Who may pay whom: a line's payee is an organisation of the directory, or a labourer for a
# per-person refund (a reimbursement line, whose bank details the proposer gives).
PAYEE_ORGANISATION = "organisation"
PAYEE_LABOURER = "labourer"
