"""A joint account and the people around it, for the fund's tests: two organisations with their
seals, the cooperation agreements those seals sign (dispatch's `agreement_sealed`, applied by the
fund's handler), their signatories' keys certified by those seals, and callers of every role."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from nameko.testing.services import worker_factory

from dispatch_contract.agreements import PURPOSE, TERMS_FIELDS
from fund.agreements import REFUSED, WAITING, apply_agreements, retry_held
from fund.events import apply_seals, apply_signing_keys
from fund.payees import apply_bank_accounts
from fund.service import FundService
from fund_contract.signing import PROPOSAL_FIELDS as PROPOSAL
from sanbao_common.context import Caller
from sanbao_common.crypto import (
    fingerprint,
    new_signing_key,
    public_key_text,
    sign,
    statement_bytes,
)
from sanbao_common.db import DatabaseHandle
from sanbao_common.money import parse_yuan
from testkit import Registrar, fake_access, principal

COUNTY = "532501"
COUNTY_ORG, HR_ORG = "org-county-coop", "org-hr-company"
VILLAGE_ORG = "org-village-coop"
# The directory's organisations with their bank accounts (registry's
# organisation_bank_account_changed): whom outflow lines may pay.
PAYEES = {
    COUNTY_ORG: (
        "county_coop",
        "个旧市劳务合作联社",
        "中国农业银行个旧支行",
        "6228480318052312345",
    ),
    HR_ORG: (
        "hr_company",
        "红河人力资源服务有限公司",
        "中国建设银行蒙自支行",
        "53050163754100000123",
    ),
    VILLAGE_ORG: (
        "village_coop",
        "卡房镇新寨村劳务合作社",
        "个旧农村商业银行卡房支行",
        "2220105001234567",
    ),
}
AGREEMENT_REF = "个旧人社劳务〔2026〕1号"
# One registrar for every Fund on a database (property tests open many on one).
REGISTRAR = Registrar(COUNTY)


def key() -> str:
    return uuid.uuid4().hex


class Party:
    """One organisation: its seal and its people."""

    def __init__(self, org_id: str, kind: str):
        self.org_id, self.kind = org_id, kind
        self.seal = new_signing_key()
        self.signatories: dict[str, object] = {}  # user id -> personal key

    @property
    def seal_fingerprint(self) -> str:
        return fingerprint(self.seal)


class Fund:
    """FundService workers acting for given people, on one database."""

    def __init__(self, engine):
        self.engine = engine
        self.db = DatabaseHandle(engine, threading.Lock())
        self.checkpoint_key = new_signing_key()
        self.county = Party(COUNTY_ORG, "county_coop")
        self.hr = Party(HR_ORG, "hr_company")
        # The finance bureau's seal registrar, whose key the county pinned.
        self.registrar = REGISTRAR
        self.agreements: dict[str, dict] = {}  # agreement id -> the latest terms sealed

    def as_(self, roles, party: Party | None = None, user: str = "someone"):
        party = party or self.county
        who = principal(
            roles,
            kind=party.kind,
            scope=COUNTY if party is self.county else party.org_id,
            username=user,
        )
        who = who.__class__(**{**who.__dict__, "user_id": user, "organisation_id": party.org_id})
        context = SimpleNamespace(caller=lambda: Caller(COUNTY, f"user:{user}", "corr"))
        # The county's witness, as registry would have it: the checkpoints the fund sent out.
        registry = SimpleNamespace(list_audit_checkpoints=lambda source: self.witness())
        return worker_factory(
            FundService,
            db=self.db,
            context=context,
            access=fake_access(who),
            checkpoint_key=self.checkpoint_key,
            registry=registry,
            registrar_keys=self.registrar.keys,
        )

    def witness(self) -> list[dict]:
        import json

        from sqlalchemy import select

        from sanbao_common.messaging.tables import OUTBOX

        with self.db.reader() as uow:
            bodies = uow.connection.execute(
                select(OUTBOX.c.body).where(OUTBOX.c.event_type == "audit_checkpoint")
            ).scalars()
            return [
                {
                    k: json.loads(b)["payload"][k]
                    for k in ("seq", "hash", "at", "signature", "public_key")
                }
                for b in bodies
            ]

    def bank_event(self, org_id: str, *, version: int = 1, number: str | None = None, **changes):
        """registry's `organisation_bank_account_changed` for one of `PAYEES`."""
        kind, name, bank, known_number = PAYEES[org_id]
        payload = {
            "org_id": org_id,
            "org_kind": kind,
            "org_name": name,
            "bank_name": bank,
            "account_name": name,
            "account_number": number or known_number,
            "version": version,
            "changed_at": datetime.now(UTC).isoformat(),
            "changed_by": "user:county.admin",
            "reason": "开户",
        }
        return SimpleNamespace(
            type="organisation_bank_account_changed",
            event_id=uuid.uuid4(),
            actor="user:county.admin",
            correlation_id="corr",
            payload=dict(payload, **changes),
        )

    def register_payees(self, *events) -> None:
        """The directory's bank accounts reaching the fund (all of `PAYEES`, or `events`)."""
        with self.db.unit_of_work() as uow:
            apply_bank_accounts(uow, list(events) or [self.bank_event(o) for o in PAYEES], COUNTY)
            uow.commit()

    def seal_event(self, party: Party, *, replaces: str | None = None, key=None):
        """registry's `seal_confirmed` for the party's seal, as the registrar (or `key`) signed."""
        confirmation, signature = self.registrar.confirmation(
            party.org_id, party.kind, party.seal, replaces=replaces, key=key
        )
        return SimpleNamespace(
            type="seal_confirmed",
            actor="user:cai.registrar",
            correlation_id="corr",
            payload={
                "org_id": party.org_id,
                "org_kind": party.kind,
                "fingerprint": party.seal_fingerprint,
                "public_key": public_key_text(party.seal),
                "confirmation": confirmation,
                "confirmation_signature": signature,
            },
        )

    def relay(self, *events) -> None:
        """Seal events reaching the fund, as its consumers apply them (agreements waiting for a
        seal are tried again after each)."""
        with self.db.unit_of_work() as uow:
            apply_seals(uow, list(events), COUNTY, self.registrar.keys)
            retry_held(uow, COUNTY, self.registrar.keys)
            uow.commit()

    def confirm_seals(self) -> None:
        self.relay(self.seal_event(self.county), self.seal_event(self.hr))

    def new_seal(self, party: Party) -> None:
        """The party replaces its seal, and the registrar confirms the new one."""
        old = party.seal_fingerprint
        party.seal = new_signing_key()
        self.relay(self.seal_event(party, replaces=old))

    # -- cooperation agreements, as dispatch's agreement_sealed brings them ----------------------

    def terms(self, principal_yuan: str = "100000.00", **changes) -> dict:
        """Version 1 of a new agreement between the two parties, naming their current seals."""
        terms = {
            "purpose": PURPOSE,
            "agreement_id": str(uuid.uuid4()),
            "version": 1,
            "reference": AGREEMENT_REF,
            "county": COUNTY,
            "county_cooperative": COUNTY_ORG,
            "hr_company": HR_ORG,
            "principal_fen": parse_yuan(principal_yuan),
            "term_start": "2026-01-01",
            "term_end": "2028-12-31",
            "bank_name": "中国工商银行个旧支行",
            "bank_account": "2505030109024567891",
            "effective_from": "2026-01-01",
            "revenue": {
                "per_placement_fen": 30_000,
                "qualifying_days": 90,
                "per_month_fen": 5_000,
                "max_months": 12,
                "shares_bp": {"county": 2000, "township": 3000, "village": 5000},
            },
            "subsidies": {
                kind: {
                    "cooperatives_bp": 6000,
                    "hr_company_bp": 4000,
                    "cooperative_shares_bp": {"county": 3000, "township": 3000, "village": 4000},
                }
                for kind in ("policy", "employer")
            },
            "county_cooperative_seal": self.county.seal_fingerprint,
            "hr_company_seal": self.hr.seal_fingerprint,
        }
        assert tuple(terms) == TERMS_FIELDS
        return dict(terms, **changes)

    def amendment(self, terms: dict, **changes) -> dict:
        """The next version of an agreement: new revenue rules from a later date, naming the
        parties' current seals (how re-sealing after a seal change is done)."""
        return {
            **terms,
            "version": terms["version"] + 1,
            "effective_from": f"2027-0{terms['version']}-01",
            "revenue": dict(
                terms["revenue"], per_month_fen=terms["revenue"]["per_month_fen"] + 100
            ),
            "county_cooperative_seal": self.county.seal_fingerprint,
            "hr_company_seal": self.hr.seal_fingerprint,
            **changes,
        }

    def sealed_event(self, terms: dict, signatures: dict | None = None, **unsigned):
        """dispatch's `agreement_sealed` for `terms`, signed by both parties' current seals (or
        carrying `signatures`), with any unsigned payload fields overridden by `unsigned`."""
        if signatures is None:
            signatures = {
                party.org_id: sign(party.seal, statement_bytes(terms))
                for party in (self.county, self.hr)
            }
        payload = {
            "agreement_id": terms["agreement_id"],
            "version": terms["version"],
            "status": "sealed",
            "terms": terms,
            "seal_signatures": signatures,
            "sealed_at": datetime.now(UTC).isoformat(),
        }
        return SimpleNamespace(
            type="agreement_sealed",
            event_id=uuid.uuid4(),
            actor="user:hr.admin",
            correlation_id="corr",
            payload=dict(payload, **unsigned),
        )

    def deliver(self, *events) -> list:
        """Sealed agreements reaching the fund, as its consumer applies them: their outcomes."""
        with self.db.unit_of_work() as uow:
            outcomes = apply_agreements(uow, list(events), COUNTY, self.registrar.keys)
            uow.commit()
        return outcomes

    def seal_agreement(self, terms: dict, signatures: dict | None = None, **unsigned):
        """Deliver the sealed agreement; the reason it waits or is refused is raised."""
        (outcome,) = self.deliver(self.sealed_event(terms, signatures, **unsigned))
        if outcome.result in (WAITING, REFUSED):
            raise outcome.error
        return outcome

    def open_account(self, principal_yuan: str = "100000.00") -> str:
        """Both seals confirmed, and an agreement they sealed: its joint account (its id)."""
        self.confirm_seals()
        terms = self.terms(principal_yuan)
        self.seal_agreement(terms)
        self.agreements[terms["agreement_id"]] = terms
        return terms["agreement_id"]

    def reseal(self, account_id: str):
        """An amendment of the account's agreement naming the parties' current seals, sealed by
        both: after a seal change, outflows resume."""
        terms = self.amendment(self.agreements[account_id])
        outcome = self.seal_agreement(terms)
        self.agreements[account_id] = terms
        return outcome

    def certify(self, party: Party, user: str, limit_fen: int | None = None, revoke=False) -> str:
        """The party's seal certifies a new personal key for `user` (as registry relays it)."""
        personal = new_signing_key()
        certificate = {
            "purpose": "certify",
            "organisation_id": party.org_id,
            "county": COUNTY,
            "user_id": user,
            "public_key": public_key_text(personal),
            "limit_fen": limit_fen,
            "issued_at": datetime.now(UTC).isoformat(),
        }
        seal_signature = sign(party.seal, statement_bytes(certificate))
        self.enrol(party, user, personal, certificate, seal_signature, limit_fen)
        return fingerprint(personal)

    def enrol(
        self,
        party: Party,
        user: str,
        personal,
        certificate: dict,
        seal_signature: str,
        limit_fen: int | None = None,
    ):
        """registry's `signing_key_enrolled` for `user`'s key with `limit_fen`, carrying whatever
        certificate and seal signature it is given (an attacker's too), as the fund applies it."""
        event = SimpleNamespace(
            type="signing_key_enrolled",
            actor="user:admin",
            correlation_id="corr",
            payload={
                "fingerprint": fingerprint(personal),
                "org_id": party.org_id,
                "user_id": user,
                "public_key": public_key_text(personal),
                "limit_fen": limit_fen,
                "certificate": certificate,
                "seal_signature": seal_signature,
                "seal_fingerprint": party.seal_fingerprint,
            },
        )
        with self.db.unit_of_work() as uow:
            apply_signing_keys(uow, [event])
            uow.commit()
        party.signatories[user] = personal

    def revoke(self, fingerprint_: str) -> None:
        event = SimpleNamespace(
            type="signing_key_revoked",
            actor="user:admin",
            correlation_id="corr",
            payload={"fingerprint": fingerprint_},
        )
        with self.db.unit_of_work() as uow:
            apply_signing_keys(uow, [event])
            uow.commit()

    def sign_as(self, party: Party, user: str, proposal: dict):
        """`user`'s signature over the exact proposal, and the call that submits it."""
        personal = party.signatories[user]
        statement = {k: proposal[k] for k in PROPOSAL}
        signature = sign(personal, statement_bytes(statement))
        worker = self.as_(["signatory"], party, user=user)
        return lambda: worker.sign_outflow(
            proposal["proposal_id"], fingerprint(personal), signature, key()
        )


def in_a_day() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()
