"""The fields of a proposal a signatory signs: a client picks them out of the proposal it is
shown and signs their canonical JSON (`sanbao_common.crypto.statement_bytes`), the same bytes the
fund checks. (What the seals sign to open a joint account are a cooperation agreement's terms:
`dispatch_contract.agreements.TERMS_FIELDS`.)"""

from __future__ import annotations

PROPOSAL_FIELDS: tuple[str, ...] = (
    "purpose", "proposal_id", "account_id", "county", "kind", "amount_fen", "lines", "expires_at",
)  # fmt: skip
