"""settlement's own tables, all of them, gathered on one metadata: the kit's
(`settlement.adapters.metadata`) and each sub-domain's in `settlement/adapters/<x>_tables.py`.
Alembic migrations in services/settlement/alembic/ create them."""

from settlement.adapters import (  # noqa: F401
    input_tables,
    money_tables,
    period_tables,
    rule_tables,
)
from settlement.adapters.metadata import (  # noqa: F401
    idempotency_keys,
    inbox,
    metadata,
    outbox,
    token_revocations,
)
