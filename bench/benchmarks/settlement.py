"""One month of settlement, in process, on SQLite (the embedded default).

A migrated settlement database holding SETTLEMENT_BENCH_PLACEMENTS placements (100,000; started
over the 14 months before the month settled, a fifth of them ended since, 30% registered-poor,
two thirds with an agent) under SETTLEMENT_BENCH_AGREEMENTS agreements (5; each with a second
version in force from the middle of the first year), the county's agent reward and policy
subsidy rules, and a township and village cooperative for each of 180 villages: the rows
settlement's consumers keep, written here directly.

- settlement.month_seconds: from those rows to the month closed and its requests posted, through
  settlement's own use cases: the month closed (its lines computed, statements issued, events
  written), each agreement's statement acknowledged by its HR company (`receivable_requested`),
  and each receivable reported paid in full (`receivable_matched` → `distribution_requested`).
- settlement.raw_insert_rows_per_s: the same lines written by SQLAlchemy Core executemany into
  an empty copy of the lines table: the floor the month's writing stands on.
SETTLEMENT_BENCH_PLACEMENTS=20000 gives a quick variant.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select

from benchmarks.stack import scratch_databases

PLACEMENTS = int(os.environ.get("SETTLEMENT_BENCH_PLACEMENTS", "100000"))
AGREEMENTS = int(os.environ.get("SETTLEMENT_BENCH_AGREEMENTS", "5"))
COUNTY = "532501"
PERIOD = "2027-06"
TODAY = date(2027, 7, 5)
SEED = 20261201
SURNAMES, GIVEN = "李王张刘陈杨赵黄周吴", ("秀英", "建国", "丽", "伟", "芳", "志强", "桂兰", "海")


def _terms(agreement_id: str, hr_company: str, version: int, effective_from: str) -> dict:
    parties = ("county", "township", "village")
    return {
        "purpose": "cooperation_agreement", "agreement_id": agreement_id, "version": version,
        "reference": f"个旧人社劳务〔2026〕{version}号", "county": COUNTY,
        "county_cooperative": "org-county-coop", "hr_company": hr_company,
        "principal_fen": 50_000_000, "term_start": "2026-01-01", "term_end": "2028-12-31",
        "bank_name": "中国农业银行个旧支行", "bank_account": "6228480123456789012",
        "effective_from": effective_from,
        "revenue": {
            "per_placement_fen": 30000 + 1000 * version, "qualifying_days": 90,
            "per_month_fen": 5000, "max_months": 12,
            "shares_bp": dict(zip(parties, (2000, 3000, 5000), strict=True)),
        },
        "subsidies": {
            kind: {"cooperatives_bp": 6000, "hr_company_bp": 4000,
                   "cooperative_shares_bp": dict(zip(parties, (3000, 3000, 4000), strict=True))}
            for kind in ("policy", "employer")
        },
        "county_cooperative_seal": "SHA256:county", "hr_company_seal": f"SHA256:{hr_company}",
    }  # fmt: skip


def _fill(engine, rng: random.Random) -> dict:
    """The inputs settlement's consumers would have kept: agreements, placements, cooperatives,
    rules. Returns what the measurement needs (the agreements' HR companies)."""
    from settlement.adapters.input_tables import agreement_versions, organisations, placements
    from settlement.adapters.rule_tables import reward_rules, subsidy_rules

    now = datetime.now(UTC)
    companies = {str(uuid.UUID(int=rng.getrandbits(128), version=4)): f"org-hr-{n}"
                 for n in range(AGREEMENTS)}  # fmt: skip
    villages = [f"{COUNTY}{t:03d}{v:03d}" for t in range(1, 13) for v in range(201, 216)]
    with engine.begin() as connection:
        for agreement, company in companies.items():
            for version, since in ((1, "2026-01-01"), (2, "2026-07-01")):
                connection.execute(insert(agreement_versions), [{
                    "agreement_id": agreement, "version": version,
                    "effective_from": date.fromisoformat(since),
                    "county_cooperative": "org-county-coop", "hr_company": company,
                    "terms": json.dumps(_terms(agreement, company, version, since)),
                    "received_at": now,
                }])  # fmt: skip
        orgs = [
            {
                "org_id": "org-county-coop",
                "kind": "county_coop",
                "name": "个旧市劳务合作社",
                "division_code": COUNTY,
                "parent_id": None,
                "active": True,
                "version": 1,
            }
        ]
        for township in sorted({v[:9] for v in villages}):
            orgs.append(
                {
                    "org_id": f"org-t-{township}",
                    "kind": "township_coop",
                    "name": f"{township}乡镇劳务合作社",
                    "division_code": township,
                    "parent_id": "org-county-coop",
                    "active": True,
                    "version": 1,
                }
            )
        for village in villages:
            orgs.append(
                {
                    "org_id": f"org-v-{village}",
                    "kind": "village_coop",
                    "name": f"{village}村劳务合作社",
                    "division_code": village,
                    "parent_id": f"org-t-{village[:9]}",
                    "active": True,
                    "version": 1,
                }
            )
        connection.execute(insert(organisations), orgs)
        connection.execute(
            insert(reward_rules),
            [_rule("reward", {"village_code": None, "per_labourer_fen": 20000, "after_months": 3})],
        )
        connection.execute(insert(subsidy_rules), [_rule("subsidy", {
            "payer_id": "bureau-hrss", "payer_name": "个旧市人力资源和社会保障局",
            "per_head_fen": 50000, "qualifying_days": 30})])  # fmt: skip
        agreements = list(companies.items())
        for first in range(0, PLACEMENTS, 5000):
            rows = [_placement(rng, agreements, villages, now)
                    for _ in range(min(5000, PLACEMENTS - first))]  # fmt: skip
            connection.execute(insert(placements), rows)
    return companies


def _rule(kind: str, fields: dict) -> dict:
    return {"rule_id": f"{kind}-rule", "version": 1, "effective_from": date(2026, 1, 1),
            "created_at": datetime.now(UTC), "created_by": "user:bench", **fields}  # fmt: skip


def _placement(rng: random.Random, agreements: list, villages: list, now: datetime) -> dict:
    agreement, company = rng.choice(agreements)
    village = rng.choice(villages)
    starts_on = date(2026, 5, 1) + timedelta(days=rng.randint(0, 425))
    ended_on = None
    if rng.random() < 0.2:
        ended_on = starts_on + timedelta(days=rng.randint(10, 400))
        ended_on = ended_on if ended_on < TODAY else None
    return {
        "placement_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "version": 1, "agreement_id": agreement,
        "agreement_version": 1 if starts_on < date(2026, 7, 1) else 2,
        "hr_company": company, "person_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "id_number_masked": f"5325{rng.randint(1, 29):02d}**********{rng.randint(0, 99):02d}",
        "village_code": village, "township_code": village[:9],
        "agent_id": f"agent-{village}-{rng.randint(1, 2)}" if rng.random() < 0.67 else None,
        "poor": rng.random() < 0.3, "starts_on": starts_on, "ended_on": ended_on,
        "status": "ended" if ended_on else "active", "follow_up_months": "",
        "state": "{}", "received_at": now, "changed_at": now,
    }  # fmt: skip


def _principal(role: str, organisation_id: str, kind: str):
    from sanbao_common.access import Principal

    return Principal(
        user_id=f"user-{organisation_id}", username=f"bench.{role}",
        organisation_id=organisation_id, organisation_kind=kind, roles=(role,), scope=COUNTY,
        county=COUNTY, expires_at="2099-01-01T00:00:00+00:00", token_id=uuid.uuid4().hex,
        issued_at="2027-07-05",
    )  # fmt: skip


def _month(handle, companies: dict) -> dict:
    """The month closed, its statements acknowledged, their receivables paid in full."""
    from sanbao_common import clock
    from sanbao_common.context import Caller
    from settlement.adapters.period_tables import statements
    from settlement.distributions.use_cases import apply_receivable_events
    from settlement.domain.periods import previous_period
    from settlement.periods.statements import acknowledge_statement
    from settlement.periods.use_cases import close_period

    caller = Caller(COUNTY, "user:bench.coop", "bench")
    coop = _principal("coop_operator", "org-county-coop", "county_coop")

    def close(period: str) -> dict:
        with handle.unit_of_work() as uow:
            closed = close_period(uow, caller, coop, period, TODAY)
            uow.commit()
        return closed

    def issued(kind: str) -> list:
        with handle.unit_of_work() as uow:
            return uow.connection.execute(select(statements).where(
                statements.c.period == PERIOD, statements.c.kind == kind)).all()  # fmt: skip

    clock.set(datetime(2027, 7, 5, 9, tzinfo=clock.COUNTY_TIME))
    try:
        history = time.perf_counter()
        close(previous_period(PERIOD))  # every earlier month settled: the month is one month
        started = time.perf_counter()
        closed = close(PERIOD)
        closing = time.perf_counter()
        for statement in issued("service_revenue"):
            hr = _principal("signatory", statement.counterparty_id, "hr_company")
            with handle.unit_of_work() as uow:
                acknowledge_statement(
                    uow,
                    Caller(COUNTY, hr.actor, "bench"),
                    hr,
                    {"statement_id": statement.statement_id, "disputes": []},
                )
                uow.commit()  # fmt: skip
        received = [_matched(statement) for statement in issued("service_revenue")]
        with handle.unit_of_work() as uow:
            apply_receivable_events(uow, received, COUNTY, datetime.now(UTC))
            uow.commit()
        finished = time.perf_counter()
    finally:
        clock.reset()
    return {
        "month_seconds": round(finished - started, 2),
        "close_seconds": round(closing - started, 2),
        "history_seconds": round(started - history, 2),
        "lines": closed.get("rows"),
        "statements": closed.get("statements") and len(closed["statements"]),
        "total_fen": closed.get("total_fen"),
        "receivables_paid": len(received),
    }


def _matched(statement):
    from sanbao_common.envelope import Envelope

    payload = {
        "receivable_id": str(uuid.uuid4()), "account_id": statement.agreement_id,
        "kind": "service_revenue", "period": PERIOD, "counterparty_id": statement.counterparty_id,
        "counterparty_kind": "hr_company", "counterparty_name": statement.counterparty_name,
        "statement_ref": statement.statement_id, "amount_fen": statement.acknowledged_fen,
        "paid_fen": statement.acknowledged_fen, "open_fen": 0, "status": "paid",
        "requested_by": "settlement",
    }  # fmt: skip
    return Envelope(uuid.uuid4(), "receivable_matched", "fund", COUNTY, datetime.now(UTC), 1,
                    "bench", "user:bench.fin", payload, statement.statement_id, 2)  # fmt: skip


def _raw_insert(engine) -> tuple[float, int]:
    """The month's lines again, by Core executemany into an emptied lines table."""
    from settlement.adapters.period_tables import settlement_lines

    with engine.begin() as connection:
        rows = [dict(r._mapping) for r in connection.execute(
            select(settlement_lines).where(settlement_lines.c.period == PERIOD))]  # fmt: skip
        connection.execute(delete(settlement_lines))
    started = time.perf_counter()
    with engine.begin() as connection:
        for first in range(0, len(rows), 5000):
            connection.execute(insert(settlement_lines), rows[first : first + 5000])
    return round(len(rows) / (time.perf_counter() - started), 1), len(rows)


def settlement() -> tuple[dict, dict]:
    from sanbao_common.db import DatabaseHandle, create_database_engine

    details = {
        "placements": PLACEMENTS,
        "agreements": AGREEMENTS,
        "period": PERIOD,
        "backend": "sqlite",
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    rng = random.Random(SEED)
    with (
        tempfile.TemporaryDirectory() as workdir,
        scratch_databases("sqlite", ("settlement",), Path(workdir)) as urls,
    ):
        engine = create_database_engine(urls["settlement"])
        try:
            filled = time.perf_counter()
            companies = _fill(engine, rng)
            details["fill_seconds"] = round(time.perf_counter() - filled, 2)
            month = _month(DatabaseHandle(engine, threading.Lock()), companies)
            raw_rate, raw_rows = _raw_insert(engine)
        finally:
            engine.dispose()
    details.update(month, raw_rows=raw_rows)
    details["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    figures = {
        "settlement.month_seconds": month["month_seconds"],
        "settlement.raw_insert_rows_per_s": raw_rate,
    }
    return figures, details
