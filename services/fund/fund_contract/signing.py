"""The fields of an account's terms a seal signs, and of a proposal a signatory signs: a client
picks them out of the account or proposal it is shown and signs their canonical JSON
(`sanbao_common.crypto.statement_bytes`), the same bytes the fund checks."""

from __future__ import annotations

TERMS_FIELDS: tuple[str, ...] = (
    "purpose", "account_id", "agreement_ref", "county", "county_cooperative", "hr_company",
    "principal_fen", "term_start", "term_end", "county_cooperative_seal", "hr_company_seal",
)  # fmt: skip
PROPOSAL_FIELDS: tuple[str, ...] = (
    "purpose", "proposal_id", "account_id", "county", "kind", "amount_fen", "lines", "expires_at",
)  # fmt: skip
