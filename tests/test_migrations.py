"""Each service's migrations build exactly the schema its code declares, on both backends,
and a service refuses to start on a database its migrations have not reached."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from sanbao_common.db import create_database_engine
from sanbao_common.migrations import SchemaNotCurrent, check_current, head_revision, upgrade
from testkit import SERVICES, service_dir


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_tables_the_code_declares(service, databases):
    metadata = importlib.import_module(f"{service}.adapters.tables").metadata
    engine = create_database_engine(databases[service], pool_size=1)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert context.get_current_revision() == head_revision(service_dir(service))
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_migrating_twice_changes_nothing(databases):
    url = databases["registry"]
    upgrade(service_dir("registry"), url)
    check_current(service_dir("registry"), url)


def test_a_database_behind_the_code_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    with pytest.raises(SchemaNotCurrent, match="revision none, the code needs 0004"):
        check_current(service_dir("registry"), url)
