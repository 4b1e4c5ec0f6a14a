"""Fixtures every tier shares: the database backends, per-test databases built from migrated
templates, a per-test RabbitMQ vhost (nameko's `rabbit_config`), and a valid stack config.

Tests that take `db_backend` (directly or through `databases` / `stack_config`) run once on
SQLite and once on PostgreSQL; `--db sqlite` or `--db postgresql` narrows that. When PostgreSQL
is selected and does not answer, the session stops at once saying so: it never skips silently.
"""

from __future__ import annotations

import os
import shutil
import uuid
import zlib
from pathlib import Path

import pytest
from hypothesis import settings
from nameko import config as nameko_config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sanbao_common.messaging.admin import apply_topology
from sanbao_common.migrations import upgrade
from sanbao_common.sample_data import SampleData
from testkit import TEST_COUNTY, TokenKeys, make_stack_config, service_dir

# Property tests: bounded and reproducible in CI (same examples every run); HYPOTHESIS_PROFILE=deep
# searches harder locally.
settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True, database=None)
settings.register_profile("deep", max_examples=5_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

POSTGRES_ADMIN_URL = os.environ.get(
    "SANBAO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        choices=["all", "sqlite", "postgresql"],
        default="all",
        help="database backends to run database tests on (default: all)",
    )
    parser.addoption(
        "--slow-twins",
        action="store_true",
        help="also run the PostgreSQL twins of the longest end-to-end tests (make test-slow)",
    )


def selected_backends(config) -> list[str]:
    choice = config.getoption("--db")
    return ["sqlite", "postgresql"] if choice == "all" else [choice]


def pytest_sessionstart(session):
    if "postgresql" not in selected_backends(session.config):
        return
    try:
        engine = create_engine(POSTGRES_ADMIN_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        pytest.exit(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({type(exc).__name__}): start "
            "it (pg_ctlcluster --skip-systemctl-redirect <version> main start), point "
            "SANBAO_TEST_POSTGRES at one, or run `make test-sqlite` for SQLite only",
            returncode=3,
        )


def pytest_generate_tests(metafunc):
    if "db_backend" in metafunc.fixturenames:
        backends = selected_backends(metafunc.config)
        if metafunc.definition.get_closest_marker("postgresql_only"):
            backends = [b for b in backends if b == "postgresql"]
        if metafunc.definition.get_closest_marker("slow_twin") and not metafunc.config.getoption(
            "--slow-twins"
        ):
            backends = [b for b in backends if b == "sqlite"] or backends
        metafunc.parametrize("db_backend", backends, scope="session")


class DatabaseTemplates:
    """Each service's schema migrated once per backend; tests get cheap copies of it."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.session_tag = uuid.uuid4().hex[:8]
        self._templates: dict[tuple[str, str], str] = {}
        self._postgres_databases: list[str] = []

    def template(self, backend: str, service: str) -> str:
        key = (backend, service)
        if key not in self._templates:
            if backend == "sqlite":
                url = f"sqlite:///{self.workdir / f'template-{service}.sqlite'}"
            else:
                url = self.create_postgres(f"sanbao_tpl_{self.session_tag}_{service}")
            upgrade(service_dir(service), url)
            if service == "registry":
                from registry.bootstrap import seed_villages

                # The sample villages every SampleData village code is one of (make run seeds
                # the same list): a village code must be in the county's list.
                seed_villages(url, TEST_COUNTY)
            self._templates[key] = url
        return self._templates[key]

    def copy(self, backend: str, service: str, directory: Path) -> str:
        template = self.template(backend, service)
        if backend == "sqlite":
            target = directory / f"{service}.sqlite"
            shutil.copyfile(make_url(template).database, target)
            return f"sqlite:///{target}"
        name = f"sanbao_t_{uuid.uuid4().hex[:12]}_{service}"
        return self.create_postgres(name, template=make_url(template).database)

    def create_postgres(self, name: str, template: str | None = None) -> str:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            suffix = f" TEMPLATE {template}" if template else ""
            connection.execute(text(f"CREATE DATABASE {name}{suffix}"))
        admin.dispose()
        self._postgres_databases.append(name)
        return str(make_url(POSTGRES_ADMIN_URL).set(database=name))

    def drop_postgres(self, names: list[str]) -> None:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory):
    templates = DatabaseTemplates(tmp_path_factory.mktemp("db-templates"))
    yield templates
    if templates._postgres_databases:
        templates.drop_postgres(templates._postgres_databases)


class Databases(dict):
    """service name -> URL of this test's own, migrated, database (made on first use)."""

    def __init__(self, backend: str, templates: DatabaseTemplates, directory: Path):
        super().__init__()
        self.backend = backend
        self._templates = templates
        self._directory = directory

    def __missing__(self, service: str) -> str:
        url = self._templates.copy(self.backend, service, self._directory)
        self[service] = url
        return url


@pytest.fixture
def databases(db_backend, database_templates, tmp_path):
    dbs = Databases(db_backend, database_templates, tmp_path)
    yield dbs
    if db_backend == "postgresql" and dbs:
        names = [make_url(url).database for url in dbs.values()]
        database_templates.drop_postgres(names)
        for name in names:
            database_templates._postgres_databases.remove(name)


@pytest.fixture
def topology(rabbit_config):
    """The county's exchanges and queues, declared on this test's vhost as `make run` does."""
    return apply_topology(nameko_config["AMQP_URI"])


@pytest.fixture(scope="session")
def token_keys(tmp_path_factory) -> TokenKeys:
    return TokenKeys(tmp_path_factory.mktemp("token-key"))


@pytest.fixture
def stack_config(rabbit_config, topology, databases, token_keys):
    """nameko's config for containers of any of the five services, on this test's vhost with
    the county's topology declared."""
    config = make_stack_config(nameko_config["AMQP_URI"], databases, token_keys)
    with nameko_config.patch(config):
        yield config


@pytest.fixture
def sample(request) -> SampleData:
    """Generated people, different for each test but the same on every run."""
    return SampleData(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture(autouse=True)
def business_clock():
    """The kit's business clock (sanbao_common.clock): a test that moves it (`clock.set`,
    `clock.advance`) leaves the wall clock behind it for the next test."""
    from sanbao_common import clock

    yield clock
    clock.reset()
