"""registry's 0018 on both backends: households keyed by (village, number) instead of by number
across the county, with the households already stored carried over as they are, and a
downgrade that restores the county-wide key only while no number is used in two villages."""

import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, inspect, select, text
from sqlalchemy.exc import IntegrityError

from sanbao_common.db import create_database_engine
from sanbao_common.migrations import alembic_config, current_revision, upgrade
from testkit import service_dir

KAFANG_VILLAGE, KAFANG_OTHER, JIJIE_VILLAGE = "532501001201", "532501001202", "532501002201"
AT = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def empty_database(db_backend, database_templates, tmp_path):
    if db_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return database_templates.create_postgres(f"sanbao_m_{uuid.uuid4().hex[:12]}")


def household(household_id: str, village_code: str, number: str, poor: bool = False) -> dict:
    return {
        "household_id": household_id, "household_number": number, "village_code": village_code,
        "head_person_id": f"head-of-{household_id}", "poor": poor,
        "poverty_file_number": "YN0000000001" if poor else None, "version": 3,
        "changed_at": AT, "changed_by": "user:li.kf",
    }  # fmt: skip


def add(engine, *rows: dict) -> None:
    """Each row in its own transaction (a refused one leaves the others)."""
    for row in rows:
        with engine.begin() as connection:
            table = Table("households", MetaData(), autoload_with=connection)
            connection.execute(table.insert(), row)


def stored(engine) -> dict[str, dict]:
    with engine.connect() as connection:
        table = Table("households", MetaData(), autoload_with=connection)
        rows = connection.execute(select(table)).all()
    found = {}
    for row in rows:
        values = dict(row._mapping)
        moment = values["changed_at"]
        if isinstance(moment, str):  # SQLite reflected as text
            moment = datetime.fromisoformat(moment)
        values["changed_at"] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        found[values["household_id"]] = values
    return found


def keys(engine) -> tuple[set, set]:
    """(the unique keys of households, as column tuples; its plain indexes, by name)."""
    with engine.connect() as connection:
        inspector = inspect(connection)
        unique = {tuple(c["column_names"]) for c in inspector.get_unique_constraints("households")}
        indexes = inspector.get_indexes("households")
    unique |= {tuple(i["column_names"]) for i in indexes if i["unique"]}
    return unique, {i["name"] for i in indexes if not i["unique"]}


def test_registry_0018_numbers_households_within_their_village(empty_database):
    url = empty_database
    config = alembic_config(service_dir("registry"), url)
    upgrade(service_dir("registry"), url, "0017")
    engine = create_database_engine(url, pool_size=1)
    try:
        before = [
            household("h-1", KAFANG_VILLAGE, "001", poor=True),
            household("h-2", JIJIE_VILLAGE, "002"),
            household("h-3", KAFANG_OTHER, "H-7", poor=True),
        ]
        add(engine, *before)
        with pytest.raises(IntegrityError):  # before: one 001 in the whole county
            add(engine, household("h-x", JIJIE_VILLAGE, "001"))

        upgrade(service_dir("registry"), url, "0018")
        assert stored(engine) == {row["household_id"]: row for row in before}
        assert keys(engine) == ({("village_code", "household_number")}, set())
        # Another village's 001 is another household; the same village's is refused.
        add(engine, household("h-4", JIJIE_VILLAGE, "001"))
        with pytest.raises(IntegrityError):
            add(engine, household("h-5", KAFANG_VILLAGE, "001"))

        # Down while 001 is used in two villages: refused, and nothing changes.
        with pytest.raises(SystemExit, match="1 are used in more than one village \\(001\\)"):
            command.downgrade(config, "0017")
        assert current_revision(url) == "0018"
        assert set(stored(engine)) == {"h-1", "h-2", "h-3", "h-4"}
        assert keys(engine)[0] == {("village_code", "household_number")}

        with engine.begin() as connection:
            connection.execute(text("DELETE FROM households WHERE household_id = 'h-4'"))
        command.downgrade(config, "0017")
        assert current_revision(url) == "0017"
        assert stored(engine) == {row["household_id"]: row for row in before}
        assert keys(engine) == ({("household_number",)}, {"ix_households_village_code"})
        with pytest.raises(IntegrityError):
            add(engine, household("h-6", JIJIE_VILLAGE, "001"))

        upgrade(service_dir("registry"), url, "0018")
        assert stored(engine) == {row["household_id"]: row for row in before}
    finally:
        engine.dispose()
