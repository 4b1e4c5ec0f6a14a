"""The fund's service tier: FundService workers on this test's own database (fund_support)."""

import pytest

from fund_support import Fund
from sanbao_common.db import create_database_engine


@pytest.fixture
def fund(databases):
    engine = create_database_engine(databases["fund"])
    fund = Fund(engine)
    fund.register_payees()
    yield fund
    engine.dispose()
