"""Dispatch's migration 0009 on both backends: a pool filled before matching existed keeps its
people, with empty answers (no scope, no codes, no wage, no start) and nobody booked, and can be
ranked at once; registry's resync then fills the answers in. The downgrade drops the columns and
keeps the people."""

import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, text

from dispatch.matching.repository import load_pool
from dispatch.matching.scoring import OrderTerms, explain
from sanbao_common.db import create_database_engine
from sanbao_common.migrations import alembic_config, upgrade
from testkit import service_dir


@pytest.fixture
def empty_database(db_backend, database_templates, tmp_path):
    if db_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return database_templates.create_postgres(f"sanbao_m_{uuid.uuid4().hex[:12]}")


def test_0009_keeps_the_pool_with_empty_answers_and_ranks_it(empty_database):
    url = empty_database
    upgrade(service_dir("dispatch"), url, "0008")
    engine = create_database_engine(url, pool_size=1)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO candidates (person_id, name, id_number_masked, sex, birth_year, "
                    "village_code, poor, employment_status, willing_to_go, skills, "
                    "intention_regions, status, version, events_applied, updated_at) VALUES "
                    "('p-1', '王芳', '532501***********X', 'female', 1990, '532501001201', "
                    ":poor, 'at_home', :willing, '[\"焊工\"]', '[\"广东省\"]', 'active', 4, 4, :at)"
                ),
                {"poor": True, "willing": True, "at": datetime(2026, 11, 1, tzinfo=UTC)},
            )
        upgrade(service_dir("dispatch"), url)
        with engine.connect() as connection:
            row = connection.execute(text("SELECT * FROM candidates")).one()._mapping
            assert (row["name"], row["version"], row["events_applied"]) == ("王芳", 4, 4)
            assert row["intention_scope"] is None and row["booked_by"] is None
            for name in ("industry_codes", "skill_codes", "training_intention"):
                assert row[name] in ([], "[]"), name
            order = OrderTerms("o", 3, "outside_province", "C39", ("welder",), 18, 45,
                               450000, 600000, datetime(2027, 3, 1).date())  # fmt: skip
            (candidate,) = load_pool(connection, order).rows
        # Untold answers are neither held for nor against anyone: the middle levels.
        points = {f.factor: f.points for f in explain(candidate, order)}
        assert points == {"place": 6, "industry": 8, "skills": 0, "age": 10, "training": 0,
                          "wage": 5, "start": 3}  # fmt: skip

        command.downgrade(alembic_config(service_dir("dispatch"), url), "0008")
        with engine.connect() as connection:
            table = Table("candidates", MetaData(), autoload_with=connection)
            assert {"intention_scope", "skill_codes", "booked_by"}.isdisjoint(table.c.keys())
            assert connection.execute(text("SELECT person_id FROM candidates")).all() == [("p-1",)]
    finally:
        engine.dispose()
