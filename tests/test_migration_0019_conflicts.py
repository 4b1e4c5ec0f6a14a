"""registry's 0019 on both backends: the identity conflicts already held are bound to their
person's version as it stands (0 for a record no longer there), imports recorded before keep no
valid rows (they resume as they did), and the downgrade calls superseded conflicts rejected."""

import uuid
from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, LargeBinary, MetaData, Table, text

from sanbao_common.db import create_database_engine
from sanbao_common.migrations import alembic_config, upgrade
from testkit import service_dir

AT = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def empty_database(db_backend, database_templates, tmp_path):
    if db_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return database_templates.create_postgres(f"sanbao_m_{uuid.uuid4().hex[:12]}")


def _filler(column):
    """A value for a required column of whatever type (the row's content does not matter)."""
    kind = column.type
    for types, value in (
        (Boolean, False), (DateTime, AT), (Date, date(2026, 11, 1)), (Integer, 1),
        (LargeBinary, b""), (JSON, []),
    ):  # fmt: skip
        if isinstance(kind, types):
            return value
    return "x"[: getattr(kind, "length", None) or 1]


def _insert(connection, table_name: str, **values) -> None:
    table = Table(table_name, MetaData(), autoload_with=connection)
    for column in table.c:
        if column.name not in values and not column.nullable and column.server_default is None:
            values[column.name] = _filler(column)
    connection.execute(table.insert(), values)


def _conflict(conflict_id: str, person_id: str, row: int) -> dict:
    return {
        "conflict_id": conflict_id, "import_id": "i-1", "sheet": "", "row_number": row,
        "person_id": person_id, "content_sealed": b"sealed", "status": "held", "held_at": AT,
        "held_by": "user:li.kf",
    }  # fmt: skip


def test_registry_0019_binds_held_conflicts_to_their_persons_version(empty_database):
    url = empty_database
    upgrade(service_dir("registry"), url, "0018")
    engine = create_database_engine(url, pool_size=1)
    try:
        with engine.begin() as connection:
            _insert(connection, "labourers", person_id="p-1", version=3)
            _insert(connection, "roster_imports", import_id="i-1", status="applying",
                    total_rows=5, valid_rows=4, applied_rows=2)  # fmt: skip
            _insert(connection, "roster_conflicts", **_conflict("c-1", "p-1", 2))
            _insert(connection, "roster_conflicts", **_conflict("c-2", "p-gone", 3))
        upgrade(service_dir("registry"), url, "0019")
        with engine.begin() as connection:
            query = text("SELECT conflict_id, person_version FROM roster_conflicts")
            versions = dict(connection.execute(query).all())
            kept = connection.execute(text("SELECT valid_refs FROM roster_imports")).scalar()
            connection.execute(
                text("UPDATE roster_conflicts SET status = 'superseded' WHERE conflict_id = 'c-2'")
            )
        assert versions == {"c-1": 3, "c-2": 0} and kept is None

        command.downgrade(alembic_config(service_dir("registry"), url), "0018")
        with engine.connect() as connection:
            statuses = dict(
                connection.execute(text("SELECT conflict_id, status FROM roster_conflicts")).all()
            )
            conflicts = Table("roster_conflicts", MetaData(), autoload_with=connection)
            imports = Table("roster_imports", MetaData(), autoload_with=connection)
        assert statuses == {"c-1": "held", "c-2": "rejected"}
        assert "person_version" not in conflicts.c and "valid_refs" not in imports.c
    finally:
        engine.dispose()
