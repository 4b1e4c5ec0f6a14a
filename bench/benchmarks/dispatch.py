"""Matching job orders against dispatch's candidate pool, in process.

A generated pool of MATCH_BENCH_LABOURERS labourers (100,000; 30% registered-poor, 60% willing to
go and not working) in a migrated dispatch database, and MATCH_BENCH_ORDERS open orders (1,000;
head counts 5-50, four place scopes, ten industries, 0-3 skills, age limits on a third).

- dispatch.match_seconds: `dispatch.matching` ranking every order, top 3 x head count: the pool
  read once (`load_pool`) and indexed, then `Pool.rank` per order: the code `match_order` runs.
- dispatch.match_query_seconds: one SQL query per order over the same eligible candidates
  (`eligible_filter`, the same rule), ranked in the database by a simple expression (poor first,
  then place scope equal, then industry code / section match, then person id) with the same
  LIMIT: what a plain implementation would do.
- dispatch.match_ratio: the first over the second (goal: at most 2).
- dispatch.match_one_order_ms: the median of ranking one order as the RPC does (the order's
  eligible registered-poor read, the others too if they are fewer than wanted, ranked; the
  eligible counted), over 50 orders.
Each figure with a `_pg` twin on PostgreSQL (MATCH_BENCH_BACKENDS=sqlite for SQLite only).
MATCH_BENCH_LABOURERS=20000 MATCH_BENCH_ORDERS=200 gives a quick variant.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Text, case, cast, insert, select, text

from benchmarks.stack import scratch_databases

LABOURERS = int(os.environ.get("MATCH_BENCH_LABOURERS", "100000"))
ORDERS = int(os.environ.get("MATCH_BENCH_ORDERS", "1000"))
BACKENDS = os.environ.get("MATCH_BENCH_BACKENDS", "sqlite,postgresql").split(",")
SINGLE_ORDERS = 50
SEED = 20261201

SCOPES = ("in_county", "in_prefecture", "in_province", "outside_province")
INDUSTRIES = ("E47", "E48", "C18", "C39", "C13", "H62", "O80", "G54", "A01", "F52")
SKILLS = (
    "welder", "electrician", "bricklayer", "rebar", "carpenter", "cook", "driver", "sewing",
    "housekeeper", "carer", "forklift", "excavator", "assembler", "security", "painter",
)  # fmt: skip
SURNAMES, GIVEN = "李王张刘陈杨赵黄周吴", ("秀英", "建国", "丽", "伟", "芳", "志强", "桂兰", "海")
START = date(2027, 3, 1)


def _labourer(rng: random.Random, now: datetime) -> dict:
    willing = rng.random() < 0.6
    working = rng.choice((*SCOPES, "unable_to_work"))
    return {
        "person_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "id_number_masked": f"5325{rng.randint(1, 29):02d}**********{rng.randint(0, 99):02d}",
        "sex": rng.choice(("male", "female")),
        "birth_year": rng.randint(1961, 2008),
        "village_code": f"532501{rng.randint(1, 12):03d}{rng.randint(201, 215):03d}",
        "poor": rng.random() < 0.3,
        "employment_status": rng.choice(("at_home", "unemployed", None)) if willing else working,
        "willing_to_go": willing,
        "skills": [],
        "intention_regions": [],
        "status": "active",
        "version": 1,
        "events_applied": 1,
        "updated_at": now,
        "intention_scope": (rng.choice((*SCOPES, *SCOPES, None)) if willing else "none"),
        "industry_codes": sorted(rng.sample(INDUSTRIES, rng.choice((0, 1, 1, 2)))),
        "skill_codes": sorted(rng.sample(SKILLS, rng.choice((0, 1, 1, 2)))),
        "training_intention": ["愿意参加培训"] if rng.random() < 0.4 else [],
        "expected_wage_fen": rng.choice((None, 300000, 350000, 400000, 450000, 500000, 600000)),
        "earliest_start": rng.choice((None, START + timedelta(days=rng.randint(-60, 90)))),
        "agent_id": None,
        "booked_by": None,
    }


def _order(rng: random.Random, number: int) -> dict:
    age_min = age_max = None
    if number % 3 == 0:
        age_min, age_max = rng.randint(18, 25), rng.randint(40, 55)
    wage_min = rng.choice((300000, 350000, 400000, 450000))
    return {
        "order_id": f"order-{number:04d}",
        "head_count": rng.randint(5, 50),
        "place_scope": SCOPES[number % 4],
        "industry": INDUSTRIES[number % 10],
        "skills": sorted(rng.sample(SKILLS, rng.randint(0, 3))),
        "age_min": age_min,
        "age_max": age_max,
        "wage_min_fen": wage_min,
        "wage_max_fen": wage_min + rng.choice((50000, 100000, 200000)),
        "starts_on": START + timedelta(days=rng.randint(0, 90)),
        "status": "open",
    }


def _fill(engine, rng: random.Random) -> float:
    from dispatch.adapters.tables import candidates

    now, started = datetime.now(UTC), time.perf_counter()
    with engine.begin() as connection:
        for first in range(0, LABOURERS, 5000):
            rows = [_labourer(rng, now) for _ in range(min(5000, LABOURERS - first))]
            connection.execute(insert(candidates), rows)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE candidates" if engine.dialect.name == "postgresql"
                                else "ANALYZE"))  # fmt: skip
    return round(time.perf_counter() - started, 2)


def ranking_query(order):
    """The plain way: the same eligible candidates, ranked in the database by poor first, then
    place and industry match, then person id, with the same LIMIT."""
    from dispatch.adapters.tables import candidates
    from dispatch.matching.repository import eligible_filter

    c = candidates.c
    codes = cast(c.industry_codes, Text)
    fit = case((c.intention_scope == order.scope, 2), else_=0) + case(
        (codes.like(f'%"{order.industry}"%'), 2),
        (codes.like(f'%"{order.section}%'), 1),
        else_=0,
    )
    return (
        select(c.person_id, c.name, c.id_number_masked, c.village_code, c.poor)
        .where(eligible_filter(order))
        .order_by(c.poor.desc(), fit.desc(), c.person_id)
        .limit(order.wanted)
    )


def _measure(engine, orders: list) -> dict:
    from dispatch.matching.repository import count_eligible, load_pool
    from dispatch.matching.scoring import OrderTerms

    terms = [OrderTerms.of(order) for order in orders]
    started = time.perf_counter()
    with engine.connect() as connection:
        pool = load_pool(connection)
    loaded = time.perf_counter()
    ranked = [pool.rank(order) for order in terms]
    matched = time.perf_counter()
    with engine.connect() as connection:
        queried = [connection.execute(ranking_query(order)).all() for order in terms]
    finished = time.perf_counter()
    one = []
    with engine.connect() as connection:
        for order in terms[:SINGLE_ORDERS]:
            begun = time.perf_counter()
            load_pool(connection, order).rank(order)
            count_eligible(connection, order)
            one.append((time.perf_counter() - begun) * 1000)
    return {
        "match_seconds": round(matched - started, 3),
        "match_load_seconds": round(loaded - started, 3),
        "match_rank_seconds": round(matched - loaded, 3),
        "match_query_seconds": round(finished - matched, 3),
        "match_ratio": round((matched - started) / (finished - matched), 3),
        "match_one_order_ms": round(statistics.median(one), 1),
        "pool_available": pool.size,
        "candidates_put_forward": sum(len(found) for found in ranked),
        # Both keep the same people in the same number: they differ only in order within a tier.
        "orders_with_the_same_count": sum(
            len(mine) == len(plain) for mine, plain in zip(ranked, queried, strict=True)
        ),
        "poor_share_of_top": round(
            sum(m.candidate.poor for found in ranked for m in found)
            / max(1, sum(len(found) for found in ranked)),
            3,
        ),
    }


def dispatch() -> tuple[dict, dict]:
    """The pool filled once per backend; the matcher and the plain queries over it, in turn."""
    from sanbao_common.db import create_database_engine

    figures, details = {}, {"labourers": LABOURERS, "orders": ORDERS, "backends": {}}
    details["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
    for backend in BACKENDS:
        rng = random.Random(SEED)
        orders = [_order(rng, n) for n in range(ORDERS)]
        with (
            tempfile.TemporaryDirectory() as workdir,
            scratch_databases(backend, ("dispatch",), Path(workdir)) as urls,
        ):
            engine = create_database_engine(urls["dispatch"])
            try:
                fill = _fill(engine, rng)
                found = _measure(engine, orders)
            finally:
                engine.dispose()
        details["backends"][backend] = {"fill_seconds": fill, **found}
        suffix = "" if backend == "sqlite" else "_pg"
        for name in ("match_seconds", "match_query_seconds", "match_ratio", "match_one_order_ms"):
            figures[f"dispatch.{name}{suffix}"] = found[name]
        print(f"[bench]   {backend}: {details['backends'][backend]}", flush=True)
    details["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return figures, details
