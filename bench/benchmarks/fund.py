"""The fund on PostgreSQL.

- fund.postings_per_s: balanced 2-4-leg entries through the service's command layer in-process
  (FundService's entrypoints: idempotency key, the books' lock, the audit record; for the outflows
  in the mix, the two signatures verified), bank credits recorded a statement at a time;
  fund.raw_insert_rows_per_s: the same journal and posting rows by SQLAlchemy Core executemany.
- fund.rpc_commands_per_s: single credits through RPC from 20 concurrent callers (report only).
- fund.trial_balance_seconds: every ledger account's balance of one account holding 1,000,000
  entries, summed from its postings (as verify does);
  fund.inflow_ms_at_1m_entries: one bank credit recorded on that account (median of 50).
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import eventlet
from nameko import config as nameko_config
from nameko.runners import ServiceRunner
from nameko.standalone.rpc import ClusterRpcClient
from nameko.testing.services import worker_factory
from sqlalchemy import insert

from benchmarks.common import scratch_vhost
from benchmarks.stack import scratch_databases
from dispatch_contract.agreements import PURPOSE
from fund_contract.signing import PROPOSAL_FIELDS as PROPOSAL
from sanbao_common.access import KnownCallerAccess, Principal, issue_token
from sanbao_common.config import config_schema
from sanbao_common.context import Caller
from sanbao_common.crypto import (
    fingerprint,
    new_signing_key,
    public_key_text,
    save_private_key,
    sign,
    statement_bytes,
)
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.messaging.admin import apply_topology
from sanbao_common.money import format_yuan
from sanbao_common.seals import parse_registrar_keys

COUNTY, COUNTY_ORG, HR_ORG = "532501", "org-county", "org-hr"
ROUNDS, CREDITS_PER_ROUND, ADVANCES_PER_ROUND = 20, 1000, 5
RPC_COMMANDS, RPC_CALLERS = 2000, 20
TRIAL_BALANCE_ENTRIES = 1_000_000
INFLOWS_AT_SCALE = 50


def _who(user: str, org: str, roles) -> Principal:
    return Principal(
        user,
        user,
        org,
        "county_coop" if org == COUNTY_ORG else "hr_company",
        tuple(roles),
        COUNTY,
        COUNTY,
        "2999-01-01T00:00:00+00:00",
        "bench",
    )


def _agreement_terms(seals: dict) -> dict:
    """Version 1 of a cooperation agreement between the two parties (dispatch's terms)."""
    return {
        "purpose": PURPOSE,
        "agreement_id": str(uuid.uuid4()),
        "version": 1,
        "reference": "bench",
        "county": COUNTY,
        "county_cooperative": COUNTY_ORG,
        "hr_company": HR_ORG,
        "principal_fen": 10_000_000_000,
        "term_start": "2026-01-01",
        "term_end": "2030-01-01",
        "bank_name": "bench bank",
        "bank_account": "2505030109024567891",
        "effective_from": "2026-01-01",
        "revenue": {
            "per_placement_fen": 30_000,
            "qualifying_days": 90,
            "per_month_fen": 0,
            "max_months": 0,
            "shares_bp": {"county": 2000, "township": 3000, "village": 5000},
        },
        "subsidies": {},
        "county_cooperative_seal": fingerprint(seals[COUNTY_ORG]),
        "hr_company_seal": fingerprint(seals[HR_ORG]),
    }


class Desk:
    """FundService in this process, acting for the account's people."""

    def __init__(self, db: DatabaseHandle, registrar=None):
        from fund import events
        from fund.service import FundService

        self.events, self.cls, self.db = events, FundService, db
        self.checkpoint_key = new_signing_key()
        self.seals = {COUNTY_ORG: new_signing_key(), HR_ORG: new_signing_key()}
        self.signers: dict[str, tuple] = {}
        # The finance bureau's seal registrar: a seal counts only with its confirmation.
        self.registrar = registrar or new_signing_key()
        self.registrar_keys = parse_registrar_keys(public_key_text(self.registrar))

    def confirm_seals(self) -> None:
        """registry's `seal_confirmed` for both parties' seals, as the fund's consumer applies
        them (each confirmation verified against the pinned registrar key)."""
        events = []
        for org, seal in self.seals.items():
            kind = "county_coop" if org == COUNTY_ORG else "hr_company"
            confirmation = {
                "purpose": "confirm_seal",
                "county": COUNTY,
                "organisation_id": org,
                "organisation_kind": kind,
                "fingerprint": fingerprint(seal),
                "public_key": public_key_text(seal),
                "filing_ref": "bench",
                "replaces": None,
                "registrar": fingerprint(self.registrar),
                "confirmed_at": "2026-01-01T00:00:00+00:00",
            }
            events.append(
                SimpleNamespace(
                    type="seal_confirmed",
                    actor="user:bench.registrar",
                    correlation_id="bench",
                    payload={
                        "org_id": org,
                        "org_kind": kind,
                        "fingerprint": fingerprint(seal),
                        "public_key": public_key_text(seal),
                        "confirmation": confirmation,
                        "confirmation_signature": sign(
                            self.registrar, statement_bytes(confirmation)
                        ),
                    },
                )
            )
        with self.db.unit_of_work() as uow:
            self.events.apply_seals(uow, events, COUNTY, self.registrar_keys)
            uow.commit()

    def as_(self, user, org, roles):
        context = SimpleNamespace(caller=lambda: Caller(COUNTY, f"user:{user}", "bench"))
        return worker_factory(
            self.cls,
            db=self.db,
            context=context,
            access=KnownCallerAccess(_who(user, org, roles)),
            checkpoint_key=self.checkpoint_key,
            registry=SimpleNamespace(list_audit_checkpoints=lambda s: []),
            registrar_keys=self.registrar_keys,
        )

    def open_account(self) -> str:
        """Both seals confirmed, then a cooperation agreement they sealed, as dispatch's
        `agreement_sealed` reaches the fund's consumer: its joint account."""
        from fund.agreements import apply_agreements

        self.confirm_seals()
        self.register_payee()
        terms = _agreement_terms(self.seals)
        sealed = SimpleNamespace(
            type="agreement_sealed",
            event_id=uuid.uuid4(),
            actor="user:bench",
            correlation_id="bench",
            payload={
                "terms": terms,
                "seal_signatures": {
                    org: sign(seal, statement_bytes(terms)) for org, seal in self.seals.items()
                },
            },
        )
        with self.db.unit_of_work() as uow:
            (outcome,) = apply_agreements(uow, [sealed], COUNTY, self.registrar_keys)
            uow.commit()
        assert outcome.result == "opened", outcome.reason
        account_id = outcome.account_id
        for org, user in ((COUNTY_ORG, "chen"), (HR_ORG, "zhou")):
            personal = new_signing_key()
            certificate = {
                "purpose": "certify",
                "organisation_id": org,
                "county": COUNTY,
                "user_id": user,
                "public_key": public_key_text(personal),
                "limit_fen": None,
                "issued_at": "2026-01-01T00:00:00+00:00",
            }
            event = SimpleNamespace(
                type="signing_key_enrolled",
                payload={
                    "fingerprint": fingerprint(personal),
                    "org_id": org,
                    "user_id": user,
                    "public_key": public_key_text(personal),
                    "limit_fen": None,
                    "certificate": certificate,
                    "seal_signature": sign(self.seals[org], statement_bytes(certificate)),
                    "seal_fingerprint": fingerprint(self.seals[org]),
                },
            )
            with self.db.unit_of_work() as uow:
                self.events.apply_signing_keys(uow, [event])
                uow.commit()
            self.signers[org] = (user, personal)
        finance = self.as_("fin", COUNTY_ORG, ["finance"])
        finance.record_inflow(
            account_id,
            {"kind": "principal_deposit", "amount": "100000000.00", "bank_ref": "deposit"},
            uuid.uuid4().hex,
        )
        return account_id

    def register_payee(self) -> None:
        """registry's bank account of the HR company, whom the advances pay."""
        from fund.payees import apply_bank_accounts

        event = SimpleNamespace(
            type="organisation_bank_account_changed",
            event_id=uuid.uuid4(),
            actor="user:bench",
            correlation_id="bench",
            payload={
                "org_id": HR_ORG,
                "org_kind": "hr_company",
                "org_name": "红河人力服务有限公司",
                "bank_name": "中国建设银行蒙自支行",
                "account_name": "红河人力服务有限公司",
                "account_number": "530501637541000123",
                "version": 1,
                "changed_at": "2026-01-01T00:00:00+00:00",
                "changed_by": "user:bench",
            },
        )
        with self.db.unit_of_work() as uow:
            apply_bank_accounts(uow, [event], COUNTY)
            uow.commit()

    def pay_advance(self, account_id: str, reference: str) -> None:
        finance = self.as_("fin", COUNTY_ORG, ["finance"])
        proposal = finance.propose_outflow(
            account_id,
            {
                "kind": "advance",
                "expires_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
                "lines": [
                    {
                        "payee": HR_ORG,
                        "amount": "120.00",
                        "purpose": "车票",
                        "reference": reference,
                    }
                ],
            },
            uuid.uuid4().hex,
        )
        statement = {k: proposal[k] for k in PROPOSAL}
        for org, (user, personal) in self.signers.items():
            self.as_(user, org, ["signatory"]).sign_outflow(
                proposal["proposal_id"],
                fingerprint(personal),
                sign(personal, statement_bytes(statement)),
                uuid.uuid4().hex,
            )


def postings_rate(url: str) -> tuple[dict, dict]:
    engine = create_database_engine(url, pool_size=5)
    desk = Desk(DatabaseHandle(engine, threading.Lock()))
    account = desk.open_account()
    finance = desk.as_("fin", COUNTY_ORG, ["finance"])
    entries, started = 0, time.perf_counter()
    for round_ in range(ROUNDS):
        credits = [
            {
                "kind": "policy_subsidy",
                "amount": format_yuan(1000 + n),
                "bank_ref": f"r{round_}-{n}",
            }
            for n in range(CREDITS_PER_ROUND)
        ]
        finance.record_inflows(account, credits, uuid.uuid4().hex)
        entries += CREDITS_PER_ROUND
        for n in range(ADVANCES_PER_ROUND):
            desk.pay_advance(account, f"batch-{round_}-{n}")
            entries += 1
    elapsed = time.perf_counter() - started
    rate = round(entries / elapsed, 1)

    # The same rows, plain: journal entries and their two postings, executemany per thousand.
    from fund.adapters.tables import journal_entries, postings

    rows, raw_started = 0, time.perf_counter()
    with engine.begin() as connection:
        for chunk in range(0, entries, 1000):
            size = min(1000, entries - chunk)
            ids = [str(uuid.uuid4()) for _ in range(size)]
            now = datetime.now(UTC)
            connection.execute(
                insert(journal_entries),
                [
                    {
                        "entry_id": i,
                        "account_id": "raw",
                        "kind": "inflow:policy_subsidy",
                        "memo": None,
                        "source": i,
                        "reverses": None,
                        "created_at": now,
                        "created_by": "raw",
                    }
                    for i in ids
                ],
            )
            connection.execute(
                insert(postings),
                [
                    {
                        "entry_id": i,
                        "account_id": "raw",
                        "ledger_account": account_name,
                        "amount_fen": amount,
                        "reference": None,
                    }
                    for i in ids
                    for account_name, amount in (
                        ("cash_income", 100),
                        ("income_policy_subsidy", -100),
                    )
                ],
            )
            rows += size * 3
    raw_rate = round(rows / (time.perf_counter() - raw_started), 1)
    engine.dispose()
    return (
        {"fund.postings_per_s": rate, "fund.raw_insert_rows_per_s": raw_rate},
        {
            "entries": entries,
            "seconds": round(elapsed, 2),
            "entries_per_transaction": f"{CREDITS_PER_ROUND} per bank statement; 1 per advance "
            f"({ADVANCES_PER_ROUND} a round, each proposed and signed twice, signatures verified)",
            "raw_rows": rows,
            "raw_rows_are": "one journal row and two posting rows per entry",
        },
    )


def rpc_rate(url: str, workdir: Path) -> tuple[dict, dict]:
    from fund.service import FundService

    token_key, checkpoint = new_signing_key(), workdir / "checkpoint.pem"
    registrar = new_signing_key()  # pinned in the service's configuration, as in a county's
    save_private_key(new_signing_key(), checkpoint, None)
    with scratch_vhost() as amqp_uri:
        apply_topology(amqp_uri)
        common = {
            "COUNTY": COUNTY,
            "AMQP_URI": amqp_uri,
            "RPC_TIMEOUT_SECONDS": 30,
            "LOG_LEVEL": "WARNING",
            "max_workers": 20,
            "TOKEN_PUBLIC_KEYS": public_key_text(token_key),
            "SEAL_REGISTRAR_KEYS": public_key_text(registrar),
        }
        section = {
            "DATABASE_URL": url,
            "HTTP_ADDRESS": "127.0.0.1:18203",
            "CHECKPOINT_SIGNING_KEY_FILE": str(checkpoint),
        }
        config = dict(common, fund=config_schema("fund").load({**common, "fund": section})["fund"])
        with nameko_config.patch(config):
            engine = create_database_engine(url, pool_size=2)
            desk = Desk(DatabaseHandle(engine, threading.Lock()), registrar)
            account = desk.open_account()
            runner = ServiceRunner()
            runner.add_service(FundService)
            runner.start()
            token, _ = issue_token(
                token_key,
                {
                    k: v
                    for k, v in _who("fin", COUNTY_ORG, ["finance"]).__dict__.items()
                    if k not in ("expires_at", "token_id")
                },
                timedelta(hours=1),
            )
            try:

                def caller(n):
                    with ClusterRpcClient(
                        uri=amqp_uri, timeout=60, context_data={"token": token}
                    ) as client:
                        for i in range(n, RPC_COMMANDS, RPC_CALLERS):
                            client.fund.record_inflow(
                                account,
                                {
                                    "kind": "policy_subsidy",
                                    "amount": "10.00",
                                    "bank_ref": f"rpc-{i}",
                                },
                                uuid.uuid4().hex,
                            )

                started = time.perf_counter()
                pool = eventlet.GreenPool(RPC_CALLERS)
                list(pool.imap(caller, range(RPC_CALLERS)))
                elapsed = time.perf_counter() - started
            finally:
                runner.stop()
                engine.dispose()
    return (
        {"fund.rpc_commands_per_s": round(RPC_COMMANDS / elapsed, 1)},
        {"commands": RPC_COMMANDS, "concurrent_callers": RPC_CALLERS, "seconds": round(elapsed, 2)},
    )


def trial_balance(url: str) -> tuple[dict, dict]:
    """An account holding 1,000,000 entries: the trial balance summed from its postings (what
    verify does), then single bank credits recorded on it (what every day looks like)."""
    from fund.adapters.repository import Books
    from fund.adapters.tables import journal_entries, postings

    engine = create_database_engine(url, pool_size=2)
    desk = Desk(DatabaseHandle(engine, threading.Lock()))
    account = desk.open_account()
    legs = (("cash_income", 100), ("income_policy_subsidy", -100))
    with engine.begin() as connection:
        for chunk in range(0, TRIAL_BALANCE_ENTRIES, 20_000):
            ids = [f"tb-{n}" for n in range(chunk, chunk + 20_000)]
            now = datetime.now(UTC)
            connection.execute(
                insert(journal_entries),
                [
                    {
                        "entry_id": i,
                        "account_id": account,
                        "kind": "inflow",
                        "memo": None,
                        "source": None,
                        "reverses": None,
                        "created_at": now,
                        "created_by": "bench",
                    }
                    for i in ids
                ],
            )
            connection.execute(
                insert(postings),
                [
                    {
                        "entry_id": i,
                        "account_id": account,
                        "ledger_account": a,
                        "amount_fen": x,
                        "reference": None,
                    }
                    for i in ids
                    for a, x in legs
                ],
            )
        # the kept balances of the rows written here behind the service's back, as migration
        # 0004 fills them
        connection.exec_driver_sql(
            "DELETE FROM ledger_balances WHERE account_id = %(a)s", {"a": account}
        )
        connection.exec_driver_sql(
            "INSERT INTO ledger_balances (account_id, ledger_account, reference, balance_fen) "
            "SELECT account_id, ledger_account, COALESCE(reference, ''), SUM(amount_fen) "
            "FROM postings WHERE account_id = %(a)s "
            "GROUP BY account_id, ledger_account, COALESCE(reference, '')",
            {"a": account},
        )
        connection.exec_driver_sql("ANALYZE postings")
    with engine.connect() as connection:
        started = time.perf_counter()
        totals = Books(connection).balances_from_postings(account)
        elapsed = time.perf_counter() - started
    assert sum(totals.values()) == 0
    finance = desk.as_("fin", COUNTY_ORG, ["finance"])
    durations = []
    for n in range(INFLOWS_AT_SCALE):
        started = time.perf_counter()
        finance.record_inflow(
            account,
            {"kind": "policy_subsidy", "amount": "10.00", "bank_ref": f"scale-{n}"},
            uuid.uuid4().hex,
        )
        durations.append(time.perf_counter() - started)
    engine.dispose()
    return (
        {
            "fund.trial_balance_seconds": round(elapsed, 3),
            "fund.inflow_ms_at_1m_entries": round(1000 * statistics.median(durations), 2),
        },
        {
            "entries": TRIAL_BALANCE_ENTRIES,
            "postings": 2 * TRIAL_BALANCE_ENTRIES,
            "inflows_timed": INFLOWS_AT_SCALE,
            "inflow_is": "one record_inflow command in-process, median",
        },
    )


def fund():
    figures, details = {}, {"backend": "postgresql"}
    with tempfile.TemporaryDirectory() as workdir:
        for name, run in (("postings", postings_rate), ("trial_balance", trial_balance)):
            with scratch_databases("postgresql", ("fund",), Path(workdir)) as urls:
                f, d = run(urls["fund"])
                figures.update(f)
                details[name] = d
        with scratch_databases("postgresql", ("fund",), Path(workdir)) as urls:
            f, d = rpc_rate(urls["fund"], Path(workdir))
            figures.update(f)
            details["rpc"] = d
    return figures, details
