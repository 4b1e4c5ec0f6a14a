"""The one SQLAlchemy metadata of settlement's tables, with the kit's own on it (the outbox of
the events it publishes, the inbox of those it applied, command idempotency keys, token
revocations). Each sub-domain declares its tables on it in `settlement/adapters/<x>_tables.py`,
and `settlement.adapters.tables` gathers them (what migrations are checked against)."""

from sqlalchemy import MetaData

from sanbao_common.messaging.tables import idempotency_table, inbox_table, outbox_table
from sanbao_common.revocations import token_revocations_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
idempotency_keys = idempotency_table(metadata)
token_revocations = token_revocations_table(metadata)
