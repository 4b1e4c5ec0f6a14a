"""dispatch's service tier: DispatchService workers on this test's own database
(tests/dispatch_support.py)."""

import pytest

from batch_support import BatchDesk
from dispatch_support import Dispatch
from sanbao_common.db import create_database_engine


@pytest.fixture
def dispatch(databases):
    engine = create_database_engine(databases["dispatch"])
    yield Dispatch(engine)
    engine.dispose()


@pytest.fixture
def desk(dispatch):
    """Batches taken through their steps by the real RPCs (tests/batch_support.py)."""
    return BatchDesk(dispatch)
