"""outbox and idempotency keys: dispatch publishes events (agreements, job orders) and takes
commands

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from sanbao_common.messaging import schema_v1, schema_v2

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema_v1.create_outbox()
    schema_v1.create_idempotency_keys()
    schema_v2.bind_idempotency_keys_to_callers()


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("outbox")
