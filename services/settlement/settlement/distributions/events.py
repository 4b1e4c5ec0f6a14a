"""`distribution_requested` (fund_contract.requests): settlement asks the fund to propose a
distribution on behalf of the person it acts for (the period's closer, or whoever asked again),
whose action caused it: the envelope's actor is theirs, and in the fund they cannot sign it.
record_id = the distribution id; version = the distribution's version."""

from __future__ import annotations

from sanbao_common.envelope import new_envelope

SOURCE = "settlement"
DISTRIBUTION_REQUESTED = "distribution_requested"


def distribution_request(county: str, correlation_id: str, row: dict, lines: list[dict]) -> dict:
    payload = {
        "request_key": row["request_key"],
        "account_id": row["agreement_id"],
        "lines": [
            {
                "payee": line["payee_id"],
                "amount_fen": line["amount_fen"],
                "purpose": line["purpose"],
                "reference": line["reference"],
            }
            for line in lines
        ],
        "expires_at": row["expires_at"].isoformat(),
        "proposer": {
            "user_id": row["proposer_user_id"],
            "username": row["proposer_username"],
            "organisation_id": row["proposer_org_id"],
        },
        "replaces": row["replaces"],
    }
    return new_envelope(
        DISTRIBUTION_REQUESTED,
        source=SOURCE,
        county=county,
        payload=payload,
        actor=f"user:{row['proposer_username']}",
        correlation_id=correlation_id,
        record_id=row["distribution_id"],
        version=row["version"],
    )
