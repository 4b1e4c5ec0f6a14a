"""What a period's run reads of settlement's inputs (settlement.adapters.input_tables), as the
pure domain's types: every agreement's sealed versions as rules, the placements in id order and
in pages, and the cooperatives that are paid."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from settlement.adapters.input_tables import (
    agreement_versions,
    organisations,
    placements,
    refused_inputs,
)
from settlement.domain.items import Placement
from settlement.domain.rules import AgreementRules, rules_from_terms

TOWNSHIP_COOP, VILLAGE_COOP = "township_coop", "village_coop"
COOPERATIVE_KINDS = ("county_coop", TOWNSHIP_COOP, VILLAGE_COOP)


def _utc(moment: datetime) -> datetime:
    """SQLite gives timestamps back naive; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _months(text: str) -> frozenset[int]:
    return frozenset(int(month) for month in text.split(",") if month)


def placement_of(row) -> Placement:
    """A placements row as the domain's Placement."""
    return Placement(
        placement_id=row.placement_id,
        version=row.version,
        agreement_id=row.agreement_id,
        hr_company=row.hr_company,
        person_id=row.person_id,
        name=row.name,
        id_number_masked=row.id_number_masked,
        village_code=row.village_code,
        township_code=row.township_code,
        agent_id=row.agent_id,
        poor=bool(row.poor),
        starts_on=row.starts_on,
        ended_on=row.ended_on,
        follow_up_months=_months(row.follow_up_months),
    )


class Inputs:
    def __init__(self, connection: Connection):
        self.connection = connection

    def agreements(self) -> dict[str, list[AgreementRules]]:
        """agreement id -> its sealed versions' rules, in version order."""
        found: dict[str, list[AgreementRules]] = {}
        rows = self.connection.execute(
            select(agreement_versions.c.agreement_id, agreement_versions.c.terms).order_by(
                agreement_versions.c.agreement_id, agreement_versions.c.version
            )
        )
        for agreement_id, terms in rows:
            found.setdefault(agreement_id, []).append(rules_from_terms(json.loads(terms)))
        return found

    def agreement_terms(self, agreement_id: str) -> list[dict]:
        """The terms of every sealed version of one agreement, in version order."""
        rows = self.connection.execute(
            select(agreement_versions.c.terms)
            .where(agreement_versions.c.agreement_id == agreement_id)
            .order_by(agreement_versions.c.version)
        ).scalars()
        return [json.loads(terms) for terms in rows]

    def placements_iter(self, batch: int = 5000, **where) -> Iterator[Placement]:
        """Every placement in id order, read `batch` at a time; `where` narrows by column
        (e.g. agreement_id=..., village_code=...)."""
        after = None
        while True:
            query = select(placements).order_by(placements.c.placement_id).limit(batch)
            for column, value in where.items():
                query = query.where(placements.c[column] == value)
            if after is not None:
                query = query.where(placements.c.placement_id > after)
            rows = self.connection.execute(query).all()
            yield from (placement_of(row) for row in rows)
            if len(rows) < batch:
                return
            after = rows[-1].placement_id

    def placement(self, placement_id: str) -> Placement | None:
        row = self.connection.execute(
            select(placements).where(placements.c.placement_id == placement_id)
        ).first()
        return None if row is None else placement_of(row)

    def cooperatives(self) -> tuple[dict[str, str], dict[str, str]]:
        """(township code -> its active township cooperative's org id, village code -> its
        active village cooperative's org id)."""
        rows = self.connection.execute(
            select(organisations.c.kind, organisations.c.division_code, organisations.c.org_id)
            .where(
                organisations.c.kind.in_((TOWNSHIP_COOP, VILLAGE_COOP)),
                organisations.c.active.is_(True),
                organisations.c.division_code.is_not(None),
            )
            .order_by(organisations.c.org_id)
        )
        townships: dict[str, str] = {}
        villages: dict[str, str] = {}
        for kind, code, org_id in rows:
            (townships if kind == TOWNSHIP_COOP else villages).setdefault(code, org_id)
        return townships, villages

    def organisation(self, org_id: str) -> dict | None:
        row = self.connection.execute(
            select(organisations).where(organisations.c.org_id == org_id)
        ).first()
        return None if row is None else dict(row._mapping)

    def organisations(self, org_ids) -> dict[str, dict]:
        """org id -> the organisation, for those known of `org_ids`."""
        ids = sorted(set(org_ids))
        found = {}
        for start in range(0, len(ids), 500):
            rows = self.connection.execute(
                select(organisations).where(organisations.c.org_id.in_(ids[start : start + 500]))
            )
            found.update({row.org_id: dict(row._mapping) for row in rows})
        return found

    def summary(self) -> dict:
        """Counts for operators after a resync: agreements and their versions, placements by
        status, cooperatives by kind (active), refused inputs."""
        count = func.count()
        agreements, versions = self.connection.execute(
            select(func.count(func.distinct(agreement_versions.c.agreement_id)), count)
        ).one()
        by_status = dict(
            self.connection.execute(
                select(placements.c.status, count).group_by(placements.c.status)
            ).all()
        )
        by_kind = dict(
            self.connection.execute(
                select(organisations.c.kind, count)
                .where(
                    organisations.c.kind.in_(COOPERATIVE_KINDS), organisations.c.active.is_(True)
                )
                .group_by(organisations.c.kind)
            ).all()
        )
        refused = self.connection.execute(select(count).select_from(refused_inputs)).scalar()
        return {
            "agreements": agreements,
            "agreement_versions": versions,
            "placements": {status: by_status.get(status, 0) for status in ("active", "ended")},
            "cooperatives": {kind: by_kind.get(kind, 0) for kind in COOPERATIVE_KINDS},
            "organisations": self.connection.execute(
                select(count).select_from(organisations)
            ).scalar(),
            "refused_inputs": refused,
        }

    def refused(self, limit: int = 100) -> list[dict]:
        """The latest inputs settlement refused, newest first."""
        rows = self.connection.execute(
            select(refused_inputs).order_by(refused_inputs.c.refused_at.desc()).limit(limit)
        )
        return [dict(row._mapping, refused_at=_utc(row.refused_at).isoformat()) for row in rows]
