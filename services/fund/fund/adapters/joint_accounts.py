"""The joint accounts' rows: their terms, status and seals (part of `Books`)."""

from __future__ import annotations

import json

from sqlalchemy import insert, select, update

from fund.adapters.tables import joint_accounts
from fund.domain.accounts import JointAccount


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
        row = {
            k: getattr(account, k)
            for k in (
                "account_id",
                "agreement_ref",
                "county",
                "county_org_id",
                "hr_org_id",
                "principal_fen",
                "term_start",
                "term_end",
                "county_seal",
                "hr_seal",
                "status",
                "version",
                "amendment",
            )
        }
        row["seal_keys"] = json.dumps(account.seal_keys, sort_keys=True)
        row["seal_signatures"] = json.dumps(account.seal_signatures, sort_keys=True)
        row["reseal"] = None if account.reseal is None else json.dumps(account.reseal)
        return row

    def account(self, account_id: str) -> JointAccount | None:
        row = self.connection.execute(
            select(joint_accounts).where(joint_accounts.c.account_id == account_id)
        ).first()
        if row is None:
            return None
        data = dict(row._mapping)
        data["seal_keys"] = json.loads(data["seal_keys"])
        data["seal_signatures"] = json.loads(data["seal_signatures"])
        data["reseal"] = json.loads(data["reseal"]) if data["reseal"] else None
        return JointAccount(**data)

    def accounts(self) -> list[JointAccount]:
        ids = self.connection.execute(
            select(joint_accounts.c.account_id).order_by(joint_accounts.c.agreement_ref)
        ).scalars()
        return [self.account(account_id) for account_id in ids]
