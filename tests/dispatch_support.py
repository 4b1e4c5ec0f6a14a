"""Dispatch and the people around it, for dispatch's service tests: the county cooperative and HR
companies with their seals (confirmed by the county's registrar, as registry's events relay
them), callers of every role, and sealed cooperation agreements built through the real RPCs.

    dispatch = Dispatch(engine)                     # (the `dispatch` fixture in tests/dispatch)
    agreement_id = dispatch.sealed_agreement()      # county coop + dispatch.hr, in force today
    other = dispatch.hr_company("org-hr-2")         # another HR company, its seal confirmed
    dispatch.as_(["hr_operator"], other).open_job_order(...)
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from nameko.testing.services import worker_factory
from sqlalchemy import select

from dispatch.agreements.seal_events import apply_seal_events
from dispatch.service import DispatchService
from sanbao_common.context import Caller
from sanbao_common.crypto import (
    fingerprint,
    new_signing_key,
    public_key_text,
    sign,
    statement_bytes,
)
from sanbao_common.db import DatabaseHandle
from sanbao_common.messaging.tables import OUTBOX
from testkit import Registrar, fake_access, principal

COUNTY = "532501"
COUNTY_ORG, HR_ORG = "org-county-coop", "org-hr-company"
REGISTRAR = Registrar(COUNTY)


def key() -> str:
    return uuid.uuid4().hex


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


class Party:
    """One organisation and its seal (a private key only its holder has)."""

    def __init__(self, org_id: str, kind: str):
        self.org_id, self.kind = org_id, kind
        self.seal = new_signing_key()

    @property
    def seal_fingerprint(self) -> str:
        return fingerprint(self.seal)

    def sign(self, terms: dict) -> str:
        return sign(self.seal, statement_bytes(terms))


def revenue(per_placement="300.00", per_month="50.00", shares=(5000, 2000, 3000)) -> dict:
    return {
        "per_placement": per_placement,
        "qualifying_days": 90,
        "per_month": per_month,
        "max_months": 12,
        "shares_bp": dict(zip(("county", "township", "village"), shares, strict=True)),
    }


def subsidy(cooperatives=6000, hr_company=4000, shares=(4000, 2000, 4000)) -> dict:
    return {
        "cooperatives_bp": cooperatives,
        "hr_company_bp": hr_company,
        "cooperative_shares_bp": dict(zip(("county", "township", "village"), shares, strict=True)),
    }


class Dispatch:
    """DispatchService workers acting for given people, on one database."""

    def __init__(self, engine):
        self.engine = engine
        self.db = DatabaseHandle(engine, threading.Lock())
        self.county = Party(COUNTY_ORG, "county_coop")
        self.hr = Party(HR_ORG, "hr_company")
        self.registrar = REGISTRAR
        self._confirmed: set[str] = set()
        self._numbers = itertools.count(1)  # each draft its own reference

    # -- callers ---------------------------------------------------------------------------------

    def as_(self, roles, party: Party | None = None, user: str = "someone", **dependencies):
        """A worker for a person of `party` (the county cooperative unless given) with `roles`;
        `dependencies` replace the worker's (others are mocks, as nameko's worker_factory does)."""
        party = party or self.county
        who = principal(roles, kind=party.kind, scope=COUNTY, username=user)
        who = who.__class__(**{**who.__dict__, "user_id": user, "organisation_id": party.org_id})
        context = SimpleNamespace(caller=lambda: Caller(COUNTY, f"user:{user}", "corr"))
        return worker_factory(
            DispatchService,
            db=self.db,
            context=context,
            access=fake_access(who),
            registrar_keys=self.registrar.keys,
            **dependencies,
        )

    def admin(self):
        return self.as_(["county_admin"], user="admin")

    # -- seals, as registry's events bring them --------------------------------------------------

    def seal_event(self, party: Party, *, replaces: str | None = None, key=None, **changes):
        """registry's `seal_confirmed` for the party's seal as the registrar (or `key`, an
        attacker's) signed it; `changes` alter the payload after signing."""
        confirmation, signature = self.registrar.confirmation(
            party.org_id, party.kind, party.seal, replaces=replaces, key=key
        )
        payload = {
            "org_id": party.org_id,
            "org_kind": party.kind,
            "fingerprint": party.seal_fingerprint,
            "public_key": public_key_text(party.seal),
            "confirmation": confirmation,
            "confirmation_signature": signature,
        }
        payload.update(changes)
        return SimpleNamespace(
            type="seal_confirmed",
            actor="user:cai.registrar",
            correlation_id="corr",
            payload=payload,
        )

    def revoked_event(self, party: Party, seal_fingerprint: str | None = None):
        statement, signature = self.registrar.revocation(
            party.org_id, seal_fingerprint or party.seal_fingerprint
        )
        return SimpleNamespace(
            type="seal_revoked",
            actor="user:cai.registrar",
            correlation_id="corr",
            payload={
                "org_id": party.org_id,
                "fingerprint": statement["fingerprint"],
                "revocation": statement,
                "revocation_signature": signature,
            },
        )

    def relay(self, *events) -> None:
        """Seal events reaching dispatch, as its consumers apply them."""
        with self.db.unit_of_work() as uow:
            apply_seal_events(uow, list(events), COUNTY, self.registrar.keys)
            uow.commit()

    def confirm(self, *parties: Party) -> None:
        """The parties' seals confirmed (once each)."""
        fresh = [p for p in parties if p.seal_fingerprint not in self._confirmed]
        self.relay(*(self.seal_event(p) for p in fresh))
        self._confirmed.update(p.seal_fingerprint for p in fresh)

    def new_seal(self, party: Party) -> None:
        """The party replaces its seal, and the registrar confirms the new one."""
        old = party.seal_fingerprint
        party.seal = new_signing_key()
        self.relay(self.seal_event(party, replaces=old))
        self._confirmed.add(party.seal_fingerprint)

    def hr_company(self, org_id: str) -> Party:
        """Another HR company of the directory, its seal confirmed."""
        party = Party(org_id, "hr_company")
        self.confirm(party)
        return party

    # -- agreements ------------------------------------------------------------------------------

    def terms_input(self, hr: Party | None = None, **changes) -> dict:
        """What a clerk sends to draft an agreement (yuan text, basis points), in force from the
        start of this year to the end of the year after next."""
        this_year = today().year
        terms = {
            "reference": f"个旧人社劳务〔{this_year}〕{next(self._numbers)}号",
            "county_cooperative": self.county.org_id,
            "hr_company": (hr or self.hr).org_id,
            "principal": "100000.00",
            "term_start": date(this_year, 1, 1).isoformat(),
            "term_end": date(this_year + 2, 12, 31).isoformat(),
            "bank_name": "中国农业银行个旧支行",
            "bank_account": "6228480123456789012",
            "revenue": revenue(),
            "subsidies": {"policy": subsidy(), "employer": subsidy(3000, 7000)},
        }
        terms.update(changes)
        return terms

    def draft(self, hr: Party | None = None, **changes) -> dict:
        self.confirm(self.county, hr or self.hr)
        return self.admin().draft_agreement(self.terms_input(hr, **changes), key())

    def seal(self, agreement: dict, party: Party, version: int | None = None) -> dict:
        """`party`'s seal signs the version's exact terms (the latest draft unless given), relayed
        by the county's administrator."""
        version = version or agreement["draft_version"]
        terms = self.terms_of(agreement, version)
        return self.admin().seal_agreement(
            agreement["agreement_id"], version, party.org_id, party.sign(terms), key()
        )

    @staticmethod
    def terms_of(agreement: dict, version: int) -> dict:
        return next(v["terms"] for v in agreement["versions"] if v["version"] == version)

    def sealed_agreement(self, hr: Party | None = None, **changes) -> str:
        """An agreement between the county cooperative and `hr` (dispatch.hr unless given), its
        version 1 sealed by both: its id. `changes` alter the draft's input (`terms_input`)."""
        hr = hr or self.hr
        drafted = self.draft(hr, **changes)
        self.seal(drafted, self.county)
        sealed = self.seal(drafted, hr)
        assert sealed["status"] == "sealed", sealed
        return drafted["agreement_id"]

    def amend(self, agreement_id: str, **amendment) -> dict:
        amendment.setdefault("effective_from", today().isoformat())
        return self.admin().amend_agreement(agreement_id, amendment, key())

    def get(self, agreement_id: str) -> dict:
        return self.admin().get_agreement(agreement_id)

    # -- what dispatch published -------------------------------------------------------------------

    def events(self, event_type: str | None = None) -> list[dict]:
        """Envelopes in dispatch's outbox, in the order they were written."""
        with self.db.reader() as uow:
            query = select(OUTBOX.c.body).order_by(OUTBOX.c.position)
            if event_type is not None:
                query = query.where(OUTBOX.c.event_type == event_type)
            return [json.loads(body) for body in uow.connection.execute(query).scalars()]
