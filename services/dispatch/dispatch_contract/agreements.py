"""A cooperation agreement (劳务合作协议) as both organisations' seals sign it.

The terms of one agreement version are a JSON object with exactly `TERMS_FIELDS`; each seal
signs their canonical JSON (`sanbao_common.crypto.statement_bytes`). The fund opens the joint
account from them and settlement takes its rules from them, so they carry everything those need
now: sealed bytes cannot grow later.

Amounts are integer fen; shares are basis points (万分比, 10000 = the whole), so that no share
is ever a float and every split adds up exactly.

- `revenue`: the service revenue (劳务经济收益金) the HR company pays for each worker it placed:
  `per_placement_fen` once the placement has lasted `qualifying_days`, and/or `per_month_fen`
  for each month of continued employment, at most `max_months` months (0: no limit); shared
  among the cooperatives by `shares_bp` (county, township, village; the village part goes to
  each village by the number of its own people placed, 根据组织外出转移就业人数).
- `subsidies`: for each kind (`policy`, `employer`), how what is received is shared between the
  cooperatives (`cooperatives_bp`, then among them by `cooperative_shares_bp`) and the HR
  company (`hr_company_bp`).

Agents' rewards are the county's or village's policy, not a term between these two parties.
"""

from __future__ import annotations

PURPOSE = "cooperation_agreement"

TERMS_FIELDS: tuple[str, ...] = (
    "purpose", "agreement_id", "version", "reference", "county", "county_cooperative",
    "hr_company", "principal_fen", "term_start", "term_end", "bank_name", "bank_account",
    "effective_from", "revenue", "subsidies", "county_cooperative_seal", "hr_company_seal",
)  # fmt: skip

# What no amendment changes: a new fund, term or party is a new agreement.
FIXED_FIELDS: tuple[str, ...] = (
    "agreement_id", "reference", "county", "county_cooperative", "hr_company", "principal_fen",
    "term_start", "term_end", "bank_name", "bank_account",
)  # fmt: skip

# The cooperatives sharing revenue and subsidies, in the fixed order a largest-remainder split
# on fen gives its remainders in.
SHARE_PARTIES: tuple[str, ...] = ("county", "township", "village")
SUBSIDY_KINDS: tuple[str, ...] = ("policy", "employer")
WHOLE_BP = 10000

REVENUE_FIELDS: tuple[str, ...] = (
    "per_placement_fen", "qualifying_days", "per_month_fen", "max_months", "shares_bp",
)  # fmt: skip
SUBSIDY_FIELDS: tuple[str, ...] = ("cooperatives_bp", "hr_company_bp", "cooperative_shares_bp")
