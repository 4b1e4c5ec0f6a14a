"""Settlement and the records it settles from, for settlement's service tests: callers of every
role (service-tier workers on the test's own database, or real tokens for the interface tier),
and the events settlement consumes — dispatch's sealed agreements and placements, registry's
organisations — built with the kit's envelope and delivered through the consumer's own path
(envelope checks, inbox, one transaction).

    s = Settlement(engine)                       # (the `settlement` fixture)
    s.deliver(s.agreement_event())               # agreement AGREEMENT, version 1, sealed
    s.deliver(s.placement_event("placement_started", placement_id, 1))
    s.county_admin().set_reward_rule({...}, key())
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import date
from types import SimpleNamespace

from nameko import config as nameko_config
from nameko.testing.services import worker_factory

from dispatch_contract.agreements import PURPOSE
from sanbao_common.access import Principal
from sanbao_common.context import Caller
from sanbao_common.db import DatabaseHandle
from sanbao_common.envelope import new_envelope
from sanbao_common.messaging.consumer import BatchOutcome, Delivery
from sanbao_common.privacy import mask_id_number
from settlement.service import SettlementService
from testkit import TEST_COUNTY, fake_access

COUNTY = TEST_COUNTY
COUNTY_COOP, HR_COMPANY = "org-county-coop", "org-hr-company"
TOWNSHIP = f"{COUNTY}001"
VILLAGE = f"{TOWNSHIP}201"
OTHER_VILLAGE = f"{TOWNSHIP}202"
TOWNSHIP_COOP, VILLAGE_COOP = "org-township-001", "org-village-201"
AGREEMENT = "0b7c4c52-6a8e-4c1e-9d7a-5d1c2f3e4a01"


def key() -> str:
    """A fresh idempotency key."""
    return uuid.uuid4().hex


def new_id() -> str:
    return str(uuid.uuid4())


def terms(
    agreement_id: str = AGREEMENT,
    version: int = 1,
    effective_from: str = "2026-01-01",
    *,
    hr_company: str = HR_COMPANY,
    per_placement_fen: int = 30000,
    qualifying_days: int = 90,
    per_month_fen: int = 5000,
    max_months: int = 12,
    shares=(5000, 2000, 3000),
    **changes,
) -> dict:
    """One sealed version's terms exactly as dispatch publishes them (fen, basis points)."""

    def parties(values):
        return dict(zip(("county", "township", "village"), values, strict=True))

    found = {
        "purpose": PURPOSE,
        "agreement_id": agreement_id,
        "version": version,
        "reference": "个旧人社劳务〔2026〕1号",
        "county": COUNTY,
        "county_cooperative": COUNTY_COOP,
        "hr_company": hr_company,
        "principal_fen": 10_000_000,
        "term_start": "2026-01-01",
        "term_end": "2028-12-31",
        "bank_name": "中国农业银行个旧支行",
        "bank_account": "6228480123456789012",
        "effective_from": effective_from,
        "revenue": {
            "per_placement_fen": per_placement_fen,
            "qualifying_days": qualifying_days,
            "per_month_fen": per_month_fen,
            "max_months": max_months,
            "shares_bp": parties(shares),
        },
        "subsidies": {
            kind: {
                "cooperatives_bp": coops,
                "hr_company_bp": 10000 - coops,
                "cooperative_shares_bp": parties((4000, 2000, 4000)),
            }
            for kind, coops in (("policy", 6000), ("employer", 3000))
        },
        "county_cooperative_seal": "SHA256:county",
        "hr_company_seal": "SHA256:hr",
    }
    found.update(changes)
    return found


def envelope(event_type: str, source: str, record_id: str, version: int, payload: dict, **env):
    body = new_envelope(
        event_type,
        source=source,
        county=COUNTY,
        payload=payload,
        actor="user:publisher",
        correlation_id="corr-test",
        record_id=record_id,
        version=version,
    )
    return body | env


def agreement_event(sealed_terms: dict | None = None, **env) -> dict:
    """dispatch's `agreement_sealed` of the given terms (version 1 of AGREEMENT unless given)."""
    sealed_terms = sealed_terms if sealed_terms is not None else terms()
    payload = {
        "agreement_id": sealed_terms.get("agreement_id", AGREEMENT),
        "version": sealed_terms.get("version", 1),
        "status": "sealed",
        "terms": sealed_terms,
        "seal_signatures": {
            COUNTY_COOP: "c2ln",
            sealed_terms.get("hr_company", HR_COMPANY): "c2ln",
        },
        "sealed_at": "2026-01-01T10:00:00+08:00",
    }
    return envelope(
        "agreement_sealed", "dispatch", payload["agreement_id"], payload["version"], payload, **env
    )


def placement_state(placement_id: str, version: int = 1, **changes) -> dict:
    """A placement's whole state as dispatch's placement events carry it (active, unless
    `status`/`ended_on` say otherwise)."""
    state = {
        "placement_id": placement_id,
        "batch_id": "batch-1",
        "order_id": "order-1",
        "agreement_id": AGREEMENT,
        "agreement_version": 1,
        "hr_company": HR_COMPANY,
        "employer_id": "employer-1",
        "employer_name": "昆明某电子厂",
        "person_id": new_id(),
        "name": "李秀英",
        "id_number_masked": mask_id_number("532501199003150021"),  # 532501***********1
        "village_code": VILLAGE,
        "township_code": TOWNSHIP,
        "agent_id": None,
        "poor": False,
        "place_scope": "in_province",
        "place": "昆明市呈贡区",
        "starts_on": "2026-03-10",
        "wage_fen": 450000,
        "current_wage_fen": 450000,
        "status": "active",
        "ended_on": None,
        "end_reason": None,
        "end_note": None,
        "schedule": [],
        "follow_ups": [],
        "started_at": "2026-03-10T10:00:00+08:00",
        "started_by": "user:zhou.hr",
        "ended_at": None,
        "ended_by": None,
        "version": version,
    }
    state.update(changes)
    return state


def placement_event(event_type: str, placement_id: str, version: int = 1, **changes) -> dict:
    state = placement_state(placement_id, version, **changes)
    return envelope(event_type, "dispatch", placement_id, version, state)


def follow_up(month: int, contacted_on: str = "2026-04-10") -> dict:
    return {
        "month": month,
        "due_on": contacted_on,
        "contacted_on": contacted_on,
        "outcome": "employed",
        "wage_fen": 460000,
        "note": None,
        "recorded_at": f"{contacted_on}T10:00:00+08:00",
        "recorded_by": "user:zhou.hr",
    }


def organisation_event(
    org_id: str,
    kind: str,
    division_code: str | None,
    *,
    version: int = 1,
    active: bool = True,
    name: str | None = None,
    event_type: str = "organisation_registered",
) -> dict:
    payload = {
        "org_id": org_id,
        "kind": kind,
        "name": name or f"{division_code or org_id} 劳务合作社",
        "division_code": division_code,
        "credit_code": None,
        "parent_id": None,
        "active": active,
        "version": version,
        "changed_at": "2026-01-01T10:00:00+08:00",
        "changed_by": "user:admin",
        "action": "registered" if event_type == "organisation_registered" else "deactivated",
        "reason": None if event_type == "organisation_registered" else "合并",
    }
    return envelope(event_type, "registry", org_id, version, payload)


def directory_events() -> list[dict]:
    """The county, township and village cooperatives and the HR company, as registry
    registered them."""
    return [
        organisation_event(COUNTY_COOP, "county_coop", COUNTY),
        organisation_event(TOWNSHIP_COOP, "township_coop", TOWNSHIP),
        organisation_event(VILLAGE_COOP, "village_coop", VILLAGE),
        organisation_event(HR_COMPANY, "hr_company", None, name="昆明某人力资源有限公司"),
    ]


def who(roles, *, org: str, kind: str, scope: str, user: str) -> Principal:
    return Principal(
        user_id=user, username=user, organisation_id=org, organisation_kind=kind,
        roles=tuple(sorted(roles)), scope=scope, county=COUNTY,
        expires_at="2999-01-01T00:00:00+00:00", token_id="test",
    )  # fmt: skip


# Who calls settlement, by role: (roles, organisation, its kind, scope, username).
CALLERS = {
    "county_admin": (("county_admin", "coop_operator"), COUNTY_COOP, "county_coop", COUNTY,
                     "admin"),
    "county_coop_operator": (("coop_operator",), COUNTY_COOP, "county_coop", COUNTY, "wang.coop"),
    "township_coop_operator": (("coop_operator",), TOWNSHIP_COOP, "township_coop", TOWNSHIP,
                               "zhao.town"),
    "village_coop_operator": (("coop_operator",), VILLAGE_COOP, "village_coop", VILLAGE,
                              "li.village"),
    "second_village_coop_operator": (("coop_operator",), VILLAGE_COOP, "village_coop", VILLAGE,
                                     "chen.village"),
    # The HR company's operator whose key its seal certified (a signatory): they acknowledge.
    "hr_operator": (("hr_operator", "signatory"), HR_COMPANY, "hr_company", HR_COMPANY,
                    "zhou.hr"),
    # An HR operator account without the seal's certification (e.g. one a county administrator
    # created in the company): reads the company's statements, never acknowledges them.
    "hr_clerk": (("hr_operator",), HR_COMPANY, "hr_company", HR_COMPANY, "qian.hr"),
    "agent": (("agent",), VILLAGE_COOP, "village_coop", VILLAGE, "agent-1"),
    "finance": (("finance",), "org-finance", "bureau", COUNTY, "qian.finance"),
    "auditor": (("auditor",), "org-audit", "bureau", COUNTY, "sun.audit"),
}  # fmt: skip


class Settlement:
    """SettlementService workers acting for given people, on one database."""

    def __init__(self, engine):
        self.engine = engine
        self.db = DatabaseHandle(engine, threading.Lock())

    def as_(self, roles, *, org: str, kind: str, scope: str, user: str, **dependencies):
        """A worker for a person with `roles` of `org` (`kind`, area or company `scope`);
        `dependencies` replace the worker's (others are mocks, as nameko's worker_factory does)."""
        principal = who(roles, org=org, kind=kind, scope=scope, user=user)
        context = SimpleNamespace(caller=lambda: Caller(COUNTY, f"user:{user}", "corr"))
        return worker_factory(
            SettlementService,
            db=self.db,
            context=context,
            access=fake_access(principal),
            **dependencies,
        )

    def caller(self, name: str, **dependencies):
        """A worker for one of `CALLERS` (e.g. "county_admin", "hr_operator", "agent")."""
        roles, org, kind, scope, user = CALLERS[name]
        return self.as_(roles, org=org, kind=kind, scope=scope, user=user, **dependencies)

    def county_admin(self, **dependencies):
        return self.caller("county_admin", **dependencies)

    def county_coop_operator(self, **dependencies):
        return self.caller("county_coop_operator", **dependencies)

    def village_coop_operator(self, **dependencies):
        return self.caller("village_coop_operator", **dependencies)

    def hr_operator(self, **dependencies):
        return self.caller("hr_operator", **dependencies)

    def agent(self, **dependencies):
        return self.caller("agent", **dependencies)

    # -- events reaching settlement -------------------------------------------------------------

    def deliver(self, *bodies: dict, worker=None) -> BatchOutcome:
        """Events delivered to settlement's handler of the first body's type, as the county's
        queue would hand them over (envelope checks, inbox, one transaction)."""
        worker = worker or self.county_admin()
        deliveries = [Delivery(n, json.dumps(b).encode(), {}) for n, b in enumerate(bodies, 1)]
        with nameko_config.patch({"COUNTY": COUNTY}):
            return getattr(worker, f"handle_{bodies[0]['type']}")(deliveries)

    def deliver_each(self, *bodies: dict) -> None:
        """Each body delivered on its own type's handler, in order."""
        for body in bodies:
            self.deliver(body)

    def directory(self) -> None:
        """The cooperatives and the HR company known (registry's organisation events)."""
        self.deliver(*directory_events())

    def rows(self, table) -> list[dict]:
        """Every row of one of settlement's tables."""
        from sqlalchemy import select

        with self.db.reader() as uow:
            return [dict(row._mapping) for row in uow.connection.execute(select(table))]


class SettlementTokens:
    """Real sign-in tokens for `CALLERS` (the interface tier: a running container checks them)."""

    def __init__(self, token_keys):
        self.token_keys = token_keys

    def __call__(self, name: str) -> str:
        roles, org, kind, scope, user = CALLERS[name]
        return self.token_keys.mint(
            roles, scope=scope, kind=kind, username=user, user_id=user, org_id=org
        )


def day(text: str) -> date:
    return date.fromisoformat(text)
