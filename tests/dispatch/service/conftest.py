"""dispatch's service tier: DispatchService workers on this test's own database
(tests/dispatch_support.py)."""

import pytest

from dispatch_support import Dispatch
from sanbao_common.db import create_database_engine


@pytest.fixture
def dispatch(databases):
    engine = create_database_engine(databases["dispatch"])
    yield Dispatch(engine)
    engine.dispose()
