"""outbox and idempotency keys: registry's events leave through the outbox; commands take keys

Revision ID: 0002
Revises: 0001
"""

from sanbao_common.messaging import schema_v1

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema_v1.create_outbox()
    schema_v1.create_idempotency_keys()


def downgrade() -> None:
    from alembic import op

    op.drop_table("idempotency_keys")
    op.drop_table("outbox")
