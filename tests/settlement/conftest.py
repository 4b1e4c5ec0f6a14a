"""What settlement's service and interface tiers share: SettlementService workers on this
test's own database (tests/settlement_support.py), callers of every role, events delivered
through the consumer's own path; and a running settlement container with real tokens."""

import pytest

from sanbao_common.db import create_database_engine
from settlement.service import SettlementService
from settlement_support import Settlement, SettlementTokens


@pytest.fixture
def settlement(databases):
    """`Settlement`: workers as `settlement.county_admin()`, `.county_coop_operator()`,
    `.village_coop_operator()`, `.hr_operator()`, `.agent()` or `.caller(name)`, and
    `settlement.deliver(*events)`."""
    engine = create_database_engine(databases["settlement"])
    yield Settlement(engine)
    engine.dispose()


@pytest.fixture
def tokens(token_keys):
    """`tokens("county_admin")` etc.: a real token for one of settlement_support.CALLERS."""
    return SettlementTokens(token_keys)


@pytest.fixture
def settlement_container(container_factory, stack_config):
    """A running SettlementService on the test's vhost and databases (call it with
    ClusterRpcClient(context_data={"token": tokens(...)}))."""
    container = container_factory(SettlementService)
    container.start()
    return container
