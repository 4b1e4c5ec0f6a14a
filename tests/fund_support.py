"""A joint account and the people around it, for the fund's tests: two organisations with their
seals, their signatories' keys certified by those seals, and callers of every role."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from nameko.testing.services import worker_factory

from fund.events import apply_seals, apply_signing_keys
from fund.service import FundService
from fund_contract.signing import PROPOSAL_FIELDS as PROPOSAL
from fund_contract.signing import TERMS_FIELDS as TERMS
from sanbao_common.context import Caller
from sanbao_common.crypto import (
    fingerprint,
    new_signing_key,
    public_key_text,
    sign,
    statement_bytes,
)
from sanbao_common.db import DatabaseHandle
from testkit import Registrar, fake_access, principal

COUNTY = "532501"
COUNTY_ORG, HR_ORG = "org-county-coop", "org-hr-company"
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
        """Seal events reaching the fund, as its consumers apply them."""
        with self.db.unit_of_work() as uow:
            apply_seals(uow, list(events), COUNTY, self.registrar.keys)
            uow.commit()

    def confirm_seals(self) -> None:
        self.relay(self.seal_event(self.county), self.seal_event(self.hr))

    def new_seal(self, party: Party) -> None:
        """The party replaces its seal, and the registrar confirms the new one."""
        old = party.seal_fingerprint
        party.seal = new_signing_key()
        self.relay(self.seal_event(party, replaces=old))

    def open_account(self, principal_yuan: str = "100000.00") -> str:
        self.confirm_seals()
        admin = self.as_(["county_admin"], user="admin")
        prepared = admin.prepare_joint_account(
            {
                "agreement_ref": "个旧人社劳务〔2026〕1号",
                "county_org_id": COUNTY_ORG,
                "hr_org_id": HR_ORG,
                "principal": principal_yuan,
                "term_start": "2026-01-01",
                "term_end": "2028-12-31",
                "county_seal": self.county.seal_fingerprint,
                "hr_seal": self.hr.seal_fingerprint,
            },
            key(),
        )
        account_id = prepared["account_id"]
        for party in (self.county, self.hr):
            terms = {k: prepared[k] for k in TERMS}
            self.as_(["county_admin"], party).seal_joint_account(
                account_id,
                party.org_id,
                public_key_text(party.seal),
                sign(party.seal, statement_bytes(terms)),
                key(),
            )
        return account_id

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
