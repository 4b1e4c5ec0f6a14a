"""The joint accounts' rows: their sealed terms, status and seals; and the sealed agreements held
until the fund knows the seals they name (part of `Books`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from fund.adapters.tables import held_agreements, joint_accounts
from fund.domain.accounts import JointAccount

_COLUMNS = (
    "account_id", "agreement_ref", "county", "county_org_id", "hr_org_id", "principal_fen",
    "term_start", "term_end", "county_seal", "hr_seal", "status", "version", "agreement_id",
    "agreement_version", "bank_name", "bank_account",
)  # fmt: skip


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class SealedAgreement:
    """What the fund takes of an `agreement_sealed`: the signed parts (terms, seal signatures),
    the envelope's actor, correlation id and event id; held, the agreement id and version its
    terms give and why it waits."""

    agreement_id: str
    version: int
    terms: dict
    seal_signatures: dict
    actor: str
    correlation_id: str
    event_id: str
    reason: str


class JointAccountRows:
    connection: object

    def add_account(self, account: JointAccount) -> None:
        self.connection.execute(insert(joint_accounts).values(**self._account_row(account)))

    def save_account(self, account: JointAccount) -> None:
        self.connection.execute(
            update(joint_accounts)
            .where(joint_accounts.c.account_id == account.account_id)
            .values(**self._account_row(account))
        )

    @staticmethod
    def _account_row(account: JointAccount) -> dict:
        row = {k: getattr(account, k) for k in _COLUMNS}
        row["seal_keys"] = _json(account.seal_keys)
        row["seal_signatures"] = _json(account.seal_signatures)
        row["terms"] = _json(account.sealed_terms)
        return row

    def account(self, account_id: str) -> JointAccount | None:
        return self._one(joint_accounts.c.account_id == account_id)

    def account_of_agreement(self, agreement_id: str) -> JointAccount | None:
        return self._one(joint_accounts.c.agreement_id == agreement_id)

    def _one(self, condition) -> JointAccount | None:
        row = self.connection.execute(select(joint_accounts).where(condition)).first()
        if row is None:
            return None
        data = {k: getattr(row, k) for k in _COLUMNS}
        return JointAccount(
            **data,
            seal_keys=json.loads(row.seal_keys),
            seal_signatures=json.loads(row.seal_signatures),
            sealed_terms=json.loads(row.terms),
        )

    def accounts(self) -> list[JointAccount]:
        ids = self.connection.execute(
            select(joint_accounts.c.account_id).order_by(joint_accounts.c.agreement_ref)
        ).scalars()
        return [self.account(account_id) for account_id in ids]

    def accounts_before_agreements(self) -> list[JointAccount]:
        """Open accounts the fund's retired sealing opened, not yet taken by an agreement."""
        ids = self.connection.execute(
            select(joint_accounts.c.account_id)
            .where(joint_accounts.c.agreement_id.is_(None), joint_accounts.c.status == "open")
            .order_by(joint_accounts.c.account_id)
        ).scalars()
        return [self.account(account_id) for account_id in ids]

    # -- sealed agreements waiting for a seal ---------------------------------------------------

    def hold_agreement(self, held: SealedAgreement, at: datetime) -> None:
        """Keep the agreement's latest version waiting; an older one than is held is dropped."""
        current = self.connection.execute(
            select(held_agreements.c.version).where(
                held_agreements.c.agreement_id == held.agreement_id
            )
        ).scalar()
        if current is not None and current > held.version:
            return
        self.drop_held_agreement(held.agreement_id, held.version)
        self.connection.execute(
            insert(held_agreements).values(
                agreement_id=held.agreement_id,
                version=held.version,
                terms=_json(held.terms),
                seal_signatures=_json(held.seal_signatures),
                actor=held.actor,
                correlation_id=held.correlation_id,
                event_id=held.event_id,
                reason=held.reason,
                held_at=at,
            )
        )

    def drop_held_agreement(self, agreement_id: str, up_to_version: int) -> None:
        self.connection.execute(
            delete(held_agreements).where(
                held_agreements.c.agreement_id == agreement_id,
                held_agreements.c.version <= up_to_version,
            )
        )

    def held_agreements(self) -> list[SealedAgreement]:
        rows = self.connection.execute(
            select(held_agreements).order_by(
                held_agreements.c.held_at, held_agreements.c.agreement_id
            )
        ).all()
        return [
            SealedAgreement(
                row.agreement_id,
                row.version,
                json.loads(row.terms),
                json.loads(row.seal_signatures),
                row.actor,
                row.correlation_id,
                row.event_id,
                row.reason,
            )
            for row in rows
        ]
