"""RegistryService's entrypoints with a real database and the county's real data key; the
request context and the caller are given, and roster imports are applied in the foreground."""

import threading
from types import SimpleNamespace

import pytest
from nameko import config as nameko_config
from nameko.testing.services import worker_factory

from registry.rosters.use_cases import RosterImporter
from registry.service import RegistryService
from registry.settings import Settings
from registry_hiring_support import HR_A, hr_operator
from sanbao_common.context import Caller
from sanbao_common.crypto import public_key_text
from sanbao_common.db import DatabaseHandle, create_database_engine
from testkit import TEST_COUNTY, fake_access, principal


@pytest.fixture
def db(databases):
    engine = create_database_engine(databases["registry"])
    yield DatabaseHandle(engine, threading.Lock())
    engine.dispose()


@pytest.fixture
def registry_settings(databases, token_keys):
    settings = Settings().load(
        {
            "DATABASE_URL": databases["registry"],
            "HTTP_ADDRESS": "127.0.0.1:1",
            "TOKEN_SIGNING_KEY_FILE": str(token_keys.path),
            "DATA_KEY_FILE": str(token_keys.data_key_path),
            "STALE_AFTER_DAYS": 30,
            "FUND_CHECKPOINT_PUBLIC_KEYS": public_key_text(token_keys.checkpoint_key),
        }
    )
    with nameko_config.patch({"COUNTY": TEST_COUNTY, "registry": settings}):
        yield settings


class ForegroundImports:
    """The roster importer as the service has it, applying each import before returning."""

    def __init__(self, db, key, settings):
        self.db, self.key, self.settings = db, key, settings

    def importer(self) -> RosterImporter:
        return RosterImporter(self.db, self.key, TEST_COUNTY, self.settings)

    def apply_in_background(self, import_id, caller, roster=None):
        self.importer().apply(import_id, caller, roster)


@pytest.fixture
def registry_worker(db, token_keys, registry_settings):
    def make(principal, actor="cli:tester"):
        return worker_factory(
            RegistryService,
            db=db,
            context=SimpleNamespace(caller=lambda: Caller(TEST_COUNTY, actor, "corr-1")),
            access=fake_access(principal),
            data_key=token_keys.data_key,
            roster_imports=ForegroundImports(db, token_keys.data_key, registry_settings),
        )

    return make


@pytest.fixture
def coop(registry_worker):
    """A cooperative's operator of the whole county."""
    return registry_worker(principal(["coop_operator"], scope="532501"))


@pytest.fixture
def hr_a(registry_worker):
    """An operator of the HR company HR_A (tests/registry_hiring_support.py)."""
    return registry_worker(hr_operator(HR_A))
