"""The fund's vocabularies: the kinds of money in (a bank credit), of money out (a proposal) and
of vouchers settling an advance. The fund's posting rules have one rule for each inflow and
outflow kind (`fund.domain.posting_rules`)."""

from __future__ import annotations

INFLOW_KINDS: tuple[str, ...] = (
    "principal_deposit", "service_revenue", "policy_subsidy", "employer_subsidy",
    "advance_recovery", "shortfall_deposit",
)  # fmt: skip
OUTFLOW_KINDS: tuple[str, ...] = (
    "advance", "reimbursement", "distribution", "return_principal", "write_off", "credit_refund",
)  # fmt: skip
# What a voucher settling an advance may be for (reimbursement accounting, 报账制).
VOUCHER_KINDS: tuple[str, ...] = ("transport", "medical_exam", "training", "meals", "other")
