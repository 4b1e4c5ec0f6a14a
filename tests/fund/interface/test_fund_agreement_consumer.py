"""The fund's `handle_agreement_sealed` on the real broker and both databases: dispatch's
`agreement_sealed` opens the joint account once, however often it is delivered; an agreement
that arrives before registry's seal confirmations waits for them and opens when they come; a
forged one changes nothing and is neither retried nor parked in the dead-letter queue."""

import uuid

import pytest
from nameko.testing.services import entrypoint_waiter
from prometheus_client import REGISTRY
from sqlalchemy import select

from dispatch_contract.agreements import PURPOSE
from fund.adapters.repository import Books
from fund.adapters.tables import held_agreements
from fund.service import FundService
from messaging_helpers import publish, queue_depth
from sanbao_common.crypto import fingerprint, new_signing_key, public_key_text, sign
from sanbao_common.crypto import statement_bytes as canonical
from sanbao_common.db import create_database_engine
from sanbao_common.envelope import new_envelope
from sanbao_common.messaging import topology as topology_module
from sanbao_common.messaging.subscriptions import find
from testkit import TEST_COUNTY, eventually

COUNTY_ORG, HR_ORG = "org-county-coop", "org-hr-company"
QUEUE = find("fund", "handle_agreement_sealed").queue


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    """Backoff of 0.2/0.4/0.6 s instead of 1/10/60 s: a retry would show within the test."""
    monkeypatch.setattr(topology_module, "RETRY_DELAYS_SECONDS", (0.2, 0.4, 0.6))


@pytest.fixture
def fund(container_factory, stack_config):
    container = container_factory(FundService)
    container.start()
    return container


@pytest.fixture
def books(stack_config):
    engine = create_database_engine(stack_config["fund"]["DATABASE_URL"])
    yield engine
    engine.dispose()


SEALS = {COUNTY_ORG: new_signing_key(), HR_ORG: new_signing_key()}
KINDS = {COUNTY_ORG: "county_coop", HR_ORG: "hr_company"}


def seal_confirmed(token_keys, org: str) -> dict:
    """registry's `seal_confirmed`, the finance bureau's registrar (the pinned key) signing."""
    seal = SEALS[org]
    confirmation, signature = token_keys.registrar.confirmation(org, KINDS[org], seal)
    payload = {
        "org_id": org,
        "org_kind": KINDS[org],
        "fingerprint": fingerprint(seal),
        "public_key": public_key_text(seal),
        "confirmation": confirmation,
        "confirmation_signature": signature,
    }
    return new_envelope("seal_confirmed", source="registry", county=TEST_COUNTY, payload=payload,
                        actor="user:cai.registrar", correlation_id="corr-seal",
                        record_id=fingerprint(seal).replace(" ", ""), version=2)  # fmt: skip


def both_seals(token_keys) -> list[dict]:
    return [seal_confirmed(token_keys, COUNTY_ORG), seal_confirmed(token_keys, HR_ORG)]


def agreement_sealed(signers=SEALS) -> tuple[dict, dict]:
    terms = {
        "purpose": PURPOSE, "agreement_id": str(uuid.uuid4()), "version": 1,
        "reference": "个旧人社劳务〔2026〕3号", "county": TEST_COUNTY,
        "county_cooperative": COUNTY_ORG, "hr_company": HR_ORG, "principal_fen": 50_000_000,
        "term_start": "2026-01-01", "term_end": "2028-12-31", "bank_name": "中国农业银行个旧支行",
        "bank_account": "24301001040012345", "effective_from": "2026-01-01",
        "revenue": {"per_placement_fen": 30_000, "qualifying_days": 90, "per_month_fen": 0,
                    "max_months": 0, "shares_bp": {"county": 2000, "township": 3000,
                                                   "village": 5000}},
        "subsidies": {},
        "county_cooperative_seal": fingerprint(SEALS[COUNTY_ORG]),
        "hr_company_seal": fingerprint(SEALS[HR_ORG]),
    }  # fmt: skip
    payload = {
        "agreement_id": terms["agreement_id"],
        "version": 1,
        "status": "sealed",
        "terms": terms,
        "seal_signatures": {org: sign(key, canonical(terms)) for org, key in signers.items()},
        "sealed_at": "2026-01-05T02:00:00+00:00",
    }
    envelope = new_envelope("agreement_sealed", source="dispatch", county=TEST_COUNTY,
                            payload=payload, actor="user:zhou.hr", correlation_id="corr-agr",
                            record_id=terms["agreement_id"], version=1)  # fmt: skip
    return terms, envelope


def accounts(engine) -> dict:
    with engine.connect() as connection:
        return {a.account_id: a for a in Books(connection).accounts()}


def audited(engine, command: str) -> list:
    with engine.connect() as connection:
        return [r for r in Books(connection).audit_records() if r.command == command]


def applied(outcome: str) -> float:
    labels = {"handler": "handle_agreement_sealed", "outcome": outcome}
    return REGISTRY.get_sample_value("sanbao_fund_event_handler_messages_total", labels) or 0.0


def test_a_sealed_agreement_opens_its_account_once(fund, books, stack_config, token_keys):
    uri = stack_config["AMQP_URI"]
    publish(uri, "registry.events", "seal_confirmed", both_seals(token_keys))
    eventually(lambda: len(audited(books, "seal_confirmed")) == 2)
    terms, event = agreement_sealed()
    duplicates = applied("duplicate")
    with entrypoint_waiter(fund, "handle_agreement_sealed"):
        publish(uri, "dispatch.events", "agreement_sealed", [event])
    publish(uri, "dispatch.events", "agreement_sealed", [event])  # redelivered
    eventually(lambda: applied("duplicate") == duplicates + 1)
    account = accounts(books)[terms["agreement_id"]]
    assert account.status == "open" and account.terms() == terms
    assert account.bank_account == "24301001040012345" and account.version == 1
    assert len(audited(books, "open_joint_account")) == 1


def test_an_agreement_before_its_seals_waits_and_a_forged_one_is_not_parked(
    fund, books, stack_config, token_keys
):
    uri = stack_config["AMQP_URI"]
    terms, early = agreement_sealed()
    forged_terms, forged = agreement_sealed(
        {COUNTY_ORG: SEALS[COUNTY_ORG], HR_ORG: new_signing_key()}
    )
    with entrypoint_waiter(fund, "handle_agreement_sealed"):
        publish(uri, "dispatch.events", "agreement_sealed", [early])
    with books.connect() as connection:
        waiting = connection.execute(select(held_agreements.c.agreement_id)).scalars().all()
    assert waiting == [terms["agreement_id"]] and accounts(books) == {}
    publish(uri, "registry.events", "seal_confirmed", both_seals(token_keys))
    eventually(lambda: set(accounts(books)) == {terms["agreement_id"]})
    with entrypoint_waiter(fund, "handle_agreement_sealed"):
        publish(uri, "dispatch.events", "agreement_sealed", [forged])
    assert set(accounts(books)) == {terms["agreement_id"]}
    (refused,) = audited(books, "refuse_agreement")
    assert refused.detail["agreement_id"] == forged_terms["agreement_id"]
    assert refused.detail["code"] == "SEAL_SIGNATURE_REJECTED"
    # Taken off the queue for good: no retry comes back, nothing is parked.
    retried = applied("retried")
    eventually(lambda: queue_depth(uri, QUEUE) == 0)
    assert queue_depth(uri, topology_module.dead_queue(QUEUE)) == 0
    assert applied("retried") == retried
