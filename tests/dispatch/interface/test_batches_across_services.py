"""A batch across services, on the real broker and both databases: registry, dispatch and the fund
running as containers, each on its own database, reaching one another only by RPC and events.

registry registers real labourers (valid ID numbers, one of them too old for the order) and its
events put them in dispatch's pool. The HR company forms a batch for an order with age limits and
the people confirm. The county cooperative's approval has registry check each exact age: with
the too-old person confirmed it is refused (AGE_OUTSIDE_LIMITS, nothing written); once they
withdrew and someone else confirmed it passes, and `advance_requested` reaches the fund, which
proposes one advance with a line per seat on the approver's behalf. The approver's own signature
does not count; one signatory of each organisation signs and the fund pays. dispatch learns it
from `outflow_paid` and allows the departure it refused before; a no-show leaves the fund one
claim on that labourer's share. All along registry shows the HR company's operator the full ID
number of the people its open batch holds, and another HR company's operator never.

The directory (the organisations' confirmed seals, the HR company's bank account, the
signatories' certified keys) reaches dispatch and the fund as registry's events published on its
exchange: how registry makes them is tested elsewhere (tests/common/interface/
test_resync_seals.py)."""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import func, select

from dispatch.service import DispatchService
from dispatch_support import COUNTY_ORG, HR_ORG, Party, revenue, subsidy
from fund.adapters.tables import signatories
from fund.service import FundService
from fund_contract.signing import PROPOSAL_FIELDS
from fund_support import PAYEES
from messaging_helpers import publish
from registry.service import RegistryService
from sanbao_common import clock
from sanbao_common.crypto import (
    fingerprint,
    new_signing_key,
    public_key_text,
    sign,
    statement_bytes,
)
from sanbao_common.db import create_database_engine
from sanbao_common.envelope import new_envelope
from sanbao_common.messaging.tables import OUTBOX
from sanbao_common.messaging.topology import events_exchange
from testkit import TEST_COUNTY, eventually

RIVAL_HR = "org-hr-rival"
VILLAGE = "532501001201"
AGES = (18, 45)  # the order's limits


def key() -> str:
    return uuid.uuid4().hex


def refusal(call, *args) -> str:
    """What a call over the broker is refused with, "[CODE] message" (it must be refused)."""
    with pytest.raises(RemoteError) as refused:
        call(*args)
    return refused.value.value


def code_of(call, *args) -> str:
    return refusal(call, *args).split("]")[0].lstrip("[")


# -- registry's directory events -----------------------------------------------------------------


def registry_event(event_type: str, payload: dict, record_id: str, version: int) -> dict:
    return new_envelope(
        event_type, source="registry", county=TEST_COUNTY, payload=payload,
        actor="user:county.admin", correlation_id="corr-directory", record_id=record_id,
        version=version,
    )  # fmt: skip


def seal_confirmed(registrar, party: Party) -> dict:
    confirmation, signature = registrar.confirmation(party.org_id, party.kind, party.seal)
    payload = {
        "org_id": party.org_id, "org_kind": party.kind,
        "fingerprint": confirmation["fingerprint"], "public_key": public_key_text(party.seal),
        "confirmation": confirmation, "confirmation_signature": signature,
    }  # fmt: skip
    return registry_event("seal_confirmed", payload, party.org_id, 2)


def bank_account_set(org_id: str) -> dict:
    kind, name, bank, number = PAYEES[org_id]
    payload = {
        "org_id": org_id, "org_kind": kind, "org_name": name, "bank_name": bank,
        "account_name": name, "account_number": number, "version": 1,
        "changed_at": datetime.now(UTC).isoformat(), "changed_by": "user:county.admin",
        "reason": "开户",
    }  # fmt: skip
    return registry_event("organisation_bank_account_changed", payload, org_id, 1)


def key_enrolled(party: Party, user_id: str, personal) -> dict:
    """registry's `signing_key_enrolled`: `user_id`'s key, certified by the party's seal."""
    certificate = {
        "purpose": "certify", "organisation_id": party.org_id, "county": TEST_COUNTY,
        "user_id": user_id, "public_key": public_key_text(personal), "limit_fen": None,
        "issued_at": datetime.now(UTC).isoformat(),
    }  # fmt: skip
    payload = {
        "fingerprint": fingerprint(personal), "org_id": party.org_id, "user_id": user_id,
        "public_key": public_key_text(personal), "limit_fen": None,
        "enrolled_at": certificate["issued_at"], "revoked_at": None,
        "seal_fingerprint": party.seal_fingerprint, "certificate": certificate,
        "seal_signature": sign(party.seal, statement_bytes(certificate)),
    }  # fmt: skip
    return registry_event("signing_key_enrolled", payload, fingerprint(personal), 1)


# -- the people around the batch ----------------------------------------------------------------


class County:
    """The running services and everyone who calls them, each with their own token."""

    def __init__(self, uri: str, token_keys, exits: ExitStack, engines: dict):
        self.uri, self.keys, self.exits, self.engines = uri, token_keys, exits, engines
        self.coop, self.hr = Party(COUNTY_ORG, "county_coop"), Party(HR_ORG, "hr_company")
        self.personal = {}  # user id -> signing key
        self.id_numbers = {}  # person id -> the ID number registry keeps sealed
        mint = token_keys.mint
        self.admin = self.client(mint(["county_admin"], username="county.admin"))
        self.clerk = self.client(mint(["coop_operator"], org_id=COUNTY_ORG, username="li.coop"))
        self.approver = self.client(self.coop_token("wang.coop", ["coop_operator", "signatory"]))
        self.hr_op = self.client(self.hr_token(HR_ORG, "zhou.hr", ["hr_operator"]))
        self.rival = self.client(self.hr_token(RIVAL_HR, "qian.hr", ["hr_operator"]))
        self.finance = self.client(mint(["finance"], org_id=COUNTY_ORG, username="he.fin"))
        self.auditor = self.client(mint(["auditor"], kind="audit_bureau", username="lu.audit"))

    def client(self, token: str):
        context = {"token": token, "correlation_id": "corr-batch-flow"}
        return self.exits.enter_context(ClusterRpcClient(context_data=context, timeout=20))

    def coop_token(self, username: str, roles) -> str:
        return self.keys.mint(roles, org_id=COUNTY_ORG, username=username,
                              user_id=f"u-{username}")  # fmt: skip

    def hr_token(self, org_id: str, username: str, roles) -> str:
        return self.keys.mint(roles, kind="hr_company", org_id=org_id, scope=org_id,
                              username=username, user_id=f"u-{username}")  # fmt: skip

    def signatory(self, party: Party, username: str):
        """A client for `username` of `party`, whose key the party's seal certified."""
        self.personal[f"u-{username}"] = new_signing_key()
        publish(self.uri, events_exchange("registry"), "signing_key_enrolled",
                [key_enrolled(party, f"u-{username}", self.personal[f"u-{username}"])])  # fmt: skip
        if party is self.coop:
            return self.client(self.coop_token(username, ["signatory"]))
        return self.client(self.hr_token(party.org_id, username, ["signatory"]))

    def sign(self, client, username: str, proposal: dict) -> dict:
        personal = self.personal[f"u-{username}"]
        statement = statement_bytes({k: proposal[k] for k in PROPOSAL_FIELDS})
        return client.fund.sign_outflow(
            proposal["proposal_id"], fingerprint(personal), sign(personal, statement), key()
        )

    def enrolled(self) -> bool:
        """Whether the fund holds every signatory's key (they come by event)."""
        with self.engines["fund"].connect() as connection:
            held = set(connection.execute(select(signatories.c.user_id)).scalars())
        return held >= set(self.personal)

    def published(self, event_type: str) -> int:
        """Events of `event_type` dispatch has written to its outbox."""
        with self.engines["dispatch"].connect() as connection:
            return connection.execute(
                select(func.count()).where(OUTBOX.c.event_type == event_type)
            ).scalar_one()

    # -- the directory, the agreement and its joint account, the order ---------------------------

    def directory(self) -> None:
        exchange = events_exchange("registry")
        seals = [seal_confirmed(self.keys.registrar, p) for p in (self.coop, self.hr)]
        publish(self.uri, exchange, "seal_confirmed", seals)
        publish(self.uri, exchange, "organisation_bank_account_changed", [bank_account_set(HR_ORG)])

    def joint_account(self) -> str:
        """An agreement sealed by both in dispatch, whose joint account the fund opens; the
        principal deposited."""
        year = clock.today().year
        terms = {
            "reference": "个旧人社劳务〔2026〕17号", "county_cooperative": COUNTY_ORG,
            "hr_company": HR_ORG, "principal": "200000.00", "term_start": f"{year}-01-01",
            "term_end": f"{year + 1}-12-31", "bank_name": "富滇银行个旧支行",
            "bank_account": "1234567890123", "revenue": revenue(),
            "subsidies": {"policy": subsidy(), "employer": subsidy()},
        }  # fmt: skip
        drafted = eventually(lambda: self.draft(terms), within=15)
        signed = drafted["versions"][0]["terms"]
        for party in (self.coop, self.hr):
            self.admin.dispatch.seal_agreement(
                drafted["agreement_id"], 1, party.org_id, party.sign(signed), key()
            )
        account = drafted["agreement_id"]
        eventually(lambda: self.opened(account), within=15)
        self.finance.fund.record_inflow(
            account, {"kind": "principal_deposit", "amount": "20000.00", "bank_ref": "B-17"}, key()
        )
        return account

    def draft(self, terms: dict) -> dict | None:
        """The draft, once dispatch holds both seals (they come by event)."""
        try:
            return self.admin.dispatch.draft_agreement(terms, key())
        except RemoteError:
            return None

    def opened(self, account: str) -> bool:
        return any(a["account_id"] == account for a in self.auditor.fund.list_joint_accounts())

    def order(self, account: str) -> str:
        employer = self.hr_op.dispatch.register_employer(
            {"name": "东莞市长安电子科技有限公司", "credit_code": "91350100M000100Y43",
             "place_scope": "outside_province", "place": "广东省东莞市", "industry": "C39"},
            key(),
        )  # fmt: skip
        order = {
            "agreement_id": account, "employer_id": employer["employer_id"],
            "title": "电子厂普工", "head_count": 3, "wage_min": "4500.00",
            "wage_max": "6000.00", "skills": ["assembler"], "age_min": AGES[0],
            "age_max": AGES[1], "starts_on": (clock.today() + timedelta(days=10)).isoformat(),
        }  # fmt: skip
        return self.hr_op.dispatch.open_job_order(order, key())["order_id"]

    # -- labourers -------------------------------------------------------------------------------

    def labourers(self, sample, count: int, too_old: int) -> list[str]:
        """`count` people registered in registry (the last `too_old` of them past the order's
        age limit), once dispatch's pool has them all: their ids."""
        year = clock.today().year
        inside, old = (year - AGES[1] + 5, year - AGES[0] - 5), (year - 62, year - 56)
        people = [
            {"name": sample.name(), "village_code": VILLAGE,
             "id_number": sample.id_number(birth_year_range=old if n >= count - too_old
                                           else inside)}
            for n in range(count)
        ]  # fmt: skip
        reply = self.clerk.registry.register_labourers(people, key())
        ids = [p["person_id"] for p in reply["registered"]]
        assert len(ids) == count, reply
        eventually(lambda: self.admin.dispatch.count_candidates() == {"candidates": count})
        self.id_numbers.update({i: p["id_number"] for i, p in zip(ids, people, strict=True)})
        return ids

    def id_number_seen(self, client, person_id: str) -> str | None:
        return client.registry.get_labourer(person_id).get("id_number")

    def answer(self, batch_id: str, people, response: str = "confirmed") -> dict:
        today = clock.today().isoformat()
        for person_id in people:
            state = self.clerk.dispatch.record_response(batch_id, person_id, response, today, key())
        return state


# -- the flow ---------------------------------------------------------------------------------


@pytest.fixture
def county(container_factory, stack_config, token_keys):
    for service in (RegistryService, DispatchService, FundService):
        container_factory(service).start()
    engines = {
        service: create_database_engine(stack_config[service]["DATABASE_URL"], pool_size=1)
        for service in ("dispatch", "fund")
    }
    with ExitStack() as exits:
        made = County(stack_config["AMQP_URI"], token_keys, exits, engines)
        made.directory()
        yield made
    for engine in engines.values():
        engine.dispose()


def form_and_approve(county: County, order_id: str, people: list[str]) -> dict:
    """Formed with one too-old person: refused at approval, nothing written; approved once they
    withdrew and the spare person confirmed."""
    alice, bob, old, spare = people
    batch = county.hr_op.dispatch.form_batch(
        {"order_id": order_id, "people": [alice, bob, old],
         "costs": [{"kind": "transport", "per": "person", "amount": "300.00"},
                   {"kind": "training", "per": "batch", "amount": "100.00"}]},
        key(),
    )  # fmt: skip
    batch_id = batch["batch_id"]
    confirmed = county.answer(batch_id, [alice, bob, old])
    # registry knows the batch by now (from dispatch's events): its company sees who it holds.
    eventually(lambda: county.id_number_seen(county.hr_op, old) == county.id_numbers[old])
    refused = refusal(county.approver.dispatch.approve_batch, batch_id, key())
    assert refused.startswith("[AGE_OUTSIDE_LIMITS] "), refused
    assert old in refused and "too_old" in refused and alice not in refused
    unchanged = county.admin.dispatch.get_batch(batch_id)
    assert unchanged == confirmed  # nothing written: no seats, same version
    assert county.published("batch_approved") == county.published("advance_requested") == 0

    county.answer(batch_id, [old], "declined")
    county.hr_op.dispatch.invite_to_batch(batch_id, [spare], key())
    county.answer(batch_id, [spare])
    approved = county.approver.dispatch.approve_batch(batch_id, key())
    assert approved["status"] == "approved"
    assert [(m["person_id"], m["seat"], m["share_fen"]) for m in approved["members"]
            if m["seat"] is not None] == [
        (alice, 1, 33334), (bob, 2, 33333), (spare, 3, 33333),
    ]  # fmt: skip
    assert approved["advance"]["status"] == "requested"
    return approved


def advance_signed(county: County, account: str, batch: dict) -> None:
    """The fund's one proposal, a line per seat, proposed on the approver's behalf: they
    cannot sign it, one signatory of each organisation does, and it is paid. Departure waits."""
    batch_id = batch["batch_id"]
    chen = county.signatory(county.coop, "chen.coop")
    zhao = county.signatory(county.hr, "zhao.hr")
    county.signatory(county.coop, "wang.coop")  # the approver holds a key of their own
    pending = eventually(lambda: county.auditor.fund.get_joint_account(account)["pending_outflows"])
    assert len(pending) == 1
    proposal = county.auditor.fund.get_outflow(pending[0]["proposal_id"])
    assert (proposal["kind"], proposal["amount_fen"]) == ("advance", 100_000)
    (asked,) = county.auditor.fund.list_fund_requests(account)
    assert (asked["source"], asked["request_key"], asked["state"], asked["record_id"]) == (
        "dispatch", f"batch:{batch_id}", "made", proposal["proposal_id"],
    )  # fmt: skip
    lines = [(line["payee"], line["amount_fen"], line["reference"]) for line in proposal["lines"]]
    assert lines == [
        (HR_ORG, 33334, f"{batch_id}/1"),
        (HR_ORG, 33333, f"{batch_id}/2"),
        (HR_ORG, 33333, f"{batch_id}/3"),
    ]  # fmt: skip

    eventually(county.enrolled)

    def advance_status():
        return county.hr_op.dispatch.get_batch(batch_id)["advance"]["status"]

    eventually(lambda: advance_status() == "proposed")
    today = clock.today().isoformat()
    depart = county.hr_op.dispatch.record_departure
    assert code_of(depart, batch_id, today, [], key()) == "ADVANCE_NOT_PAID"
    refused = refusal(county.sign, county.approver, "wang.coop", proposal)
    assert refused.startswith("[SIGNATURE_REJECTED] ") and "proposer" in refused, refused
    assert county.sign(chen, "chen.coop", proposal)["status"] == "pending"
    assert county.sign(zhao, "zhao.hr", proposal)["status"] == "paid"
    eventually(lambda: advance_status() == "paid")


def test_a_batch_is_age_checked_advanced_signed_and_departs_across_services(county, sample):
    account = county.joint_account()
    order_id = county.order(account)
    people = county.labourers(sample, 4, too_old=1)
    alice, bob, spare, old = people
    people = [alice, bob, old, spare]

    batch = form_and_approve(county, order_id, people)
    batch_id = batch["batch_id"]
    # registry learned the batch from dispatch's events: the HR company's operator sees its
    # people in full, the one who withdrew masked again; another company's operator never.
    eventually(lambda: county.id_number_seen(county.hr_op, spare) == county.id_numbers[spare])
    assert county.id_number_seen(county.hr_op, alice) == county.id_numbers[alice]
    assert county.id_number_seen(county.hr_op, old) is None
    assert county.id_number_seen(county.rival, alice) is None

    advance_signed(county, account, batch)

    departed = county.hr_op.dispatch.record_departure(
        batch_id, clock.today().isoformat(), [bob], key()
    )
    assert [(m["person_id"], m["status"]) for m in departed["members"] if m["seat"]] == [
        (alice, "departed"), (bob, "no_show"), (spare, "departed"),
    ]  # fmt: skip
    claims = eventually(lambda: county.auditor.fund.list_advance_claims(account)["claims"])
    assert [(c["reference"], c["person_id"], c["claimed_fen"], c["status"]) for c in claims] == [
        (f"{batch_id}/2", bob, 33333, "open"),
    ]  # fmt: skip
    eventually(lambda: county.id_number_seen(county.hr_op, bob) is None)
    assert county.id_number_seen(county.hr_op, alice) == county.id_numbers[alice]
    assert county.id_number_seen(county.rival, alice) is None
    # The fund's books check out against the county's witness (registry keeps the fund's
    # checkpoints, the one taken after the payment included).
    eventually(lambda: county.auditor.fund.verify_books()["ok"])
